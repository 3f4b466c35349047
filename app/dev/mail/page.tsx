// The development mailbox's page: the latest mails `npm run dev` "sent", with their links.
// It exists only where the development mailbox does — a development build run with
// NODE_ENV=development and no SMTP_URL (lib/env.ts decides) — and is a 404 everywhere else.
import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { DevMailList } from "@/components/dev/dev-mail-list";
import { listDevMail } from "@/lib/mail/dev-mailbox";
import { getServices } from "@/lib/root";

/** The mailbox's folder; a 404 (page and metadata alike) wherever there is no mailbox. */
function mailboxDir(): string {
  const { settings, mail } = getServices();
  if (settings.nodeEnv !== "development" || mail.devMailboxDir === null) notFound();
  return mail.devMailboxDir;
}

// Not a static `metadata`: that would name the page in the 404's head too.
export function generateMetadata(): Metadata {
  mailboxDir();
  return { title: "Development mailbox", robots: { index: false } };
}

// Reads the mailbox folder on every request; never prerendered.
export const dynamic = "force-dynamic";

const LATEST = 50;

export default async function DevMailPage() {
  const dir = mailboxDir();
  const mails = await listDevMail(dir, LATEST);
  return (
    <div className="mx-auto w-full max-w-page px-5 py-10 sm:px-8 sm:py-14">
      <h1 className="text-3xl font-black tracking-tight">Development mailbox</h1>
      <p className="mt-2 max-w-2xl text-muted">
        The latest {LATEST} mails, newest first. Shown in development only, when no SMTP_URL is set;
        the server log prints each mail&apos;s links too.
      </p>
      <DevMailList mails={mails} dir={dir} />
    </div>
  );
}
