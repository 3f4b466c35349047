import type { Metadata } from "next";

import { ConfirmEmailChange } from "@/components/account/confirm-email-change";
import { EmailChangeOutcome } from "@/components/account/email-change-outcome";
import { describeEmailChange } from "@/lib/account/email-change-copy";
import { previewEmailChange } from "@/lib/account/email-change";
import { searchParam, type SearchParams } from "@/lib/http/search-params";
import { getServices } from "@/lib/root";
import { currentPageSession } from "@/lib/root/auth";

export const metadata: Metadata = {
  title: "Confirm your new email address",
  // One person's link: nothing for a search engine.
  robots: { index: false },
};

// Reads the link and the session on every request; never prerendered.
export const dynamic = "force-dynamic";

interface ConfirmEmailChangePageProps {
  searchParams: Promise<SearchParams>;
}

/**
 * Where the link mailed to a new address lands. Opening it only looks (previewEmailChange
 * never uses the link): the button's action does the change. Anyone may open it — the link
 * is the proof — but a browser signed in to another account is told so, and changes nothing.
 */
export default async function ConfirmEmailChangePage({
  searchParams,
}: ConfirmEmailChangePageProps) {
  const token = searchParam(await searchParams, "token") ?? "";
  const session = await currentPageSession();
  const preview = await previewEmailChange(getServices().database.prisma, {
    token,
    signedInUserId: session?.userId ?? null,
    now: new Date(),
  });
  if (preview.status !== "valid") {
    return <EmailChangeOutcome copy={describeEmailChange(preview, session !== null)} />;
  }
  return (
    <ConfirmEmailChange
      token={token}
      currentEmail={preview.currentEmail}
      newEmail={preview.newEmail}
      signedIn={session !== null}
    />
  );
}
