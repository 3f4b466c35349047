import type { ReactNode } from "react";

import { EmailText } from "@/components/account/email-text";
import { CheckIcon } from "@/components/account/feedback";

interface AccountSummaryProps {
  name: string | null;
  email: string | null;
  emailVerified: boolean;
  /** The page's sections, for the in-page navigation on wide screens. */
  sections: { id: string; title: string }[];
  /** Under the address: changing it (or adding one). */
  emailAction?: ReactNode;
  /** Beside "Email not verified": sending a new confirmation link. */
  resendAction?: ReactNode;
}

/** The page's title, whose account it is, and (on wide screens) a list of its sections. */
export function AccountSummary({
  name,
  email,
  emailVerified,
  sections,
  emailAction,
  resendAction,
}: AccountSummaryProps) {
  return (
    <header className="min-w-0 lg:sticky lg:top-8 lg:self-start">
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">Your account</h1>
      <div className="mt-4">
        {name ? <p className="text-lg font-semibold wrap-anywhere">{name}</p> : null}
        {email ? (
          <p className={`wrap-anywhere ${name ? "text-muted" : "text-lg font-semibold"}`}>
            <EmailText email={email} />
          </p>
        ) : (
          <p className="text-muted">No email address on this account.</p>
        )}
        {email ? (
          emailVerified ? (
            <p className="mt-3 inline-flex items-center gap-1.5 rounded-full bg-success/12 px-3 py-1 text-sm font-semibold text-success">
              <CheckIcon className="size-4" />
              Email verified
            </p>
          ) : (
            <>
              <p className="mt-3 inline-flex items-center gap-1.5 rounded-full border border-border px-3 py-1 text-sm font-semibold text-muted">
                Email not verified
              </p>
              {resendAction}
            </>
          )
        ) : null}
        {emailAction}
      </div>

      <nav aria-label="Account sections" className="mt-10 hidden lg:block">
        <ul className="grid gap-1 border-l border-border">
          {sections.map((section) => (
            <li key={section.id}>
              <a
                href={`#${section.id}`}
                className="-ml-px block border-l-2 border-transparent py-1.5 pl-4 font-semibold text-muted hover:border-muted hover:text-text"
              >
                {section.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
    </header>
  );
}
