import type { Metadata } from "next";

import { ResetLinkProblem } from "@/components/auth/reset-link-problem";
import { ResetPasswordForm } from "@/components/auth/reset-password-form";
import { inspectResetLink } from "@/lib/auth/password-reset";
import { PASSWORD_HINT } from "@/lib/auth/schemas";
import { searchParam, type SearchParams } from "@/lib/http/search-params";
import { getServices } from "@/lib/root";

export const metadata: Metadata = { title: "Choose a new password" };

// Looks the link up on every request; never prerendered at build.
export const dynamic = "force-dynamic";

interface ResetPasswordPageProps {
  searchParams: Promise<SearchParams>;
}

// Opening the link only looks at it (mail scanners fetch links before people do): the
// token is used up by the form's POST, never by this GET.
export default async function ResetPasswordPage({ searchParams }: ResetPasswordPageProps) {
  const token = searchParam(await searchParams, "token") ?? "";
  const { database } = getServices();
  const state = await inspectResetLink(database.prisma, token, new Date());

  return (
    <>
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">
        Choose a new password
      </h1>
      {state === "valid" ? (
        <>
          <p className="mt-3 text-muted">
            Saving it signs out every device that is signed in to your account, this one too.
          </p>
          <div className="mt-8">
            <ResetPasswordForm token={token} passwordHint={PASSWORD_HINT} />
          </div>
        </>
      ) : (
        <div className="mt-8">
          <ResetLinkProblem problem={state} />
        </div>
      )}
    </>
  );
}
