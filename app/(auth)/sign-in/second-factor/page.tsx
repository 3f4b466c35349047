import type { Metadata } from "next";
import { cookies } from "next/headers";
import Link from "next/link";

import { CancelSecondFactor, SecondFactorForm } from "@/components/auth/second-factor-form";
import { SignInOver } from "@/components/auth/sign-in-over";
import { findPendingSignIn } from "@/lib/auth/pending-sign-in";
import { pendingSignInToken, SECOND_FACTOR_PATH } from "@/lib/auth/second-factor-gate";
import { usesSecureCookies } from "@/lib/http/cookies";
import { searchParam, type SearchParams } from "@/lib/http/search-params";
import { getServices } from "@/lib/root";

export const metadata: Metadata = { title: "Two-step verification" };

// Reads this browser's pending sign-in on every request.
export const dynamic = "force-dynamic";

interface SecondFactorPageProps {
  searchParams: Promise<SearchParams>;
}

const linkClasses =
  "rounded-sm font-semibold text-brand underline underline-offset-4 hover:no-underline";

/**
 * The second step of a sign-in (docs/second-factor.md, "Signing in"): the first factor
 * passed, and nothing is signed in until a code from the authenticator app (or a recovery
 * code) does too. Without a live pending sign-in for this browser there is nothing to do
 * here but start again.
 */
export default async function SecondFactorPage({ searchParams }: SecondFactorPageProps) {
  const { settings, database } = getServices();
  const token = await pendingSignInToken(cookies, usesSecureCookies(settings.appUrl));
  const pending = await findPendingSignIn(database.prisma, token, new Date());
  const recovery = searchParam(await searchParams, "with") === "recovery";

  if (!pending) {
    return (
      <SignInOver title="This sign‑in has ended">
        It expired, was already finished, or was stopped after too many wrong codes. Nothing was
        signed in.
      </SignInOver>
    );
  }

  return (
    <>
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">
        Two-step verification
      </h1>
      <p className="mt-3 text-pretty text-muted">
        {recovery
          ? "Enter one of the recovery codes you saved when you set up two-step verification. Each code works once."
          : "Open your authenticator app and enter the 6-digit code it shows for Gatehouse."}
      </p>
      <div className="mt-8">
        {/* Keyed by kind: switching starts a fresh form, not the other one's answer. */}
        <SecondFactorForm
          key={recovery ? "recovery" : "totp"}
          kind={recovery ? "recovery" : "totp"}
        />
      </div>
      <div className="mt-6 flex flex-col items-start gap-4">
        <Link
          href={recovery ? SECOND_FACTOR_PATH : `${SECOND_FACTOR_PATH}?with=recovery`}
          className={linkClasses}
        >
          {recovery ? "Use your authenticator app instead" : "Use a recovery code instead"}
        </Link>
        <CancelSecondFactor />
      </div>
    </>
  );
}
