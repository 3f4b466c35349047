import type { Metadata } from "next";

import { VerifyEmailForm } from "@/components/auth/verify-email-form";
import { DeadVerifyLink } from "@/components/auth/verify-link-outcome";
import { previewVerification } from "@/lib/auth/email-verification";
import { searchParam, type SearchParams } from "@/lib/http/search-params";
import { getServices } from "@/lib/root";
import { pageSession } from "@/lib/root/auth";

export const metadata: Metadata = { title: "Confirm your email address" };

// Reads the link's token and the session on every request.
export const dynamic = "force-dynamic";

const dateFormat = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});

interface VerifyEmailPageProps {
  searchParams: Promise<SearchParams>;
}

/**
 * Where a verification mail's link lands. Opening it changes nothing (mail scanners open
 * links too): it says what the link would confirm, and "Confirm" does it.
 */
export default async function VerifyEmailPage({ searchParams }: VerifyEmailPageProps) {
  const token = searchParam(await searchParams, "token") ?? "";
  const { database } = getServices();
  const [session, preview] = await Promise.all([
    pageSession(),
    previewVerification(database.prisma, token, new Date()),
  ]);
  const signedIn = Boolean(session?.user);

  if (preview.status !== "valid")
    return <DeadVerifyLink status={preview.status} signedIn={signedIn} />;

  return (
    <VerifyEmailForm token={token} signedIn={signedIn}>
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">
        Confirm your email address
      </h1>
      <p className="mt-4 text-lg text-pretty">
        Confirm <strong className="break-all">{preview.email}</strong> for the Gatehouse account
        created on {dateFormat.format(preview.accountCreatedAt)}.
      </p>
      <p className="mt-4 text-pretty text-muted">
        Didn&apos;t sign up? Ignore this mail and this page: nobody can use the address to take over
        an account until it is confirmed.
      </p>
    </VerifyEmailForm>
  );
}
