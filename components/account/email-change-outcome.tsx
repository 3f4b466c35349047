import Link from "next/link";

import { CheckIcon } from "@/components/account/feedback";
import { buttonClasses } from "@/components/ui/button";
import type { EmailChangeCopy } from "@/lib/account/email-change-copy";

/** Where the confirmation link's page ends: what happened (or why nothing did) and the next step. */
export function EmailChangeOutcome({ copy }: { copy: EmailChangeCopy }) {
  return (
    <div data-outcome={copy.tone}>
      <h1 className="flex items-start gap-3 rounded-sm text-3xl font-black tracking-tight text-balance sm:text-4xl">
        {copy.tone === "success" ? <CheckIcon className="mt-1.5 size-7 text-success" /> : null}
        <span className="min-w-0">{copy.title}</span>
      </h1>
      <p className="mt-4 text-lg text-pretty wrap-anywhere">{copy.message}</p>
      <div className="mt-8">
        <Link href={copy.next.href} className={buttonClasses()}>
          {copy.next.label}
        </Link>
      </div>
    </div>
  );
}
