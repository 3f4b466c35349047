import type { ReactNode } from "react";

import { linksIn, type StoredMail } from "@/lib/mail/dev-mailbox";

/** A plain-text body with its links made clickable (the text itself is rendered as text). */
function BodyWithLinks({ text }: { text: string }) {
  const parts: ReactNode[] = [];
  let rest = text;
  for (const link of linksIn(text)) {
    const at = rest.indexOf(link);
    parts.push(rest.slice(0, at));
    parts.push(
      <a key={parts.length} href={link} className="break-all text-brand underline">
        {link}
      </a>,
    );
    rest = rest.slice(at + link.length);
  }
  parts.push(rest);
  return <pre className="font-sans text-sm text-pretty whitespace-pre-wrap">{parts}</pre>;
}

const timeFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "medium",
  timeZone: "UTC",
});

/** The development mailbox's latest mails, newest first (app/dev/mail). */
export function DevMailList({ mails, dir }: { mails: StoredMail[]; dir: string }) {
  if (mails.length === 0) {
    return (
      <p className="mt-6 text-muted">
        No mail yet. Mails the app sends in development are written to{" "}
        <code className="text-[0.8125rem]">{dir}</code> and appear here.
      </p>
    );
  }
  return (
    <ol className="mt-6 grid gap-4">
      {mails.map((mail) => (
        <li key={mail.id} className="rounded-card border border-border bg-raised p-4 sm:p-6">
          <h2 className="text-lg font-bold text-balance">{mail.subject}</h2>
          <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 text-sm text-muted">
            <dt>To</dt>
            <dd className="break-all">{mail.to}</dd>
            <dt>Sent</dt>
            <dd>
              <time dateTime={mail.at}>{timeFormat.format(new Date(mail.at))} UTC</time>
            </dd>
          </dl>
          <div className="mt-4 border-t border-border pt-4">
            <BodyWithLinks text={mail.text} />
          </div>
        </li>
      ))}
    </ol>
  );
}
