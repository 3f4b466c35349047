import Link from "next/link";
import type { ReactNode } from "react";

import { CheckIcon, RevealOnMount } from "@/components/account/feedback";
import type { AuthErrorCopy } from "@/lib/auth/error-messages";

/**
 * What the end of a linking flow left in the query string (`?linked=github`, or
 * `?error=IdentityLinkedElsewhere&provider=github`), already turned into our own words by
 * the page: the raw parameters are never printed.
 */
export function LinkNotices({
  linkedName,
  error,
}: {
  /** Display name of a provider that is now linked. */
  linkedName: string | null;
  error: AuthErrorCopy | null;
}) {
  if (!linkedName && !error) return null;
  return (
    <RevealOnMount className="mb-5 grid gap-3 rounded-control">
      {linkedName ? (
        <Notice tone="success">
          <div role="status" className="flex min-w-0 items-start gap-2.5">
            <CheckIcon />
            <p className="min-w-0 font-medium">{linkedName} is now linked.</p>
          </div>
        </Notice>
      ) : null}
      {error ? (
        <Notice tone="danger">
          <div role="alert" className="min-w-0">
            <p className="font-bold">{error.title}</p>
            <p className="mt-1 text-pretty">
              {error.message} {error.nextStep}
            </p>
          </div>
        </Notice>
      ) : null}
    </RevealOnMount>
  );
}

/** The message, then "Dismiss" beside it, or under it when the line is too narrow. */
function Notice({ tone, children }: { tone: "success" | "danger"; children: ReactNode }) {
  const colours =
    tone === "success" ? "border-success/50 bg-success/8" : "border-danger/50 bg-danger/8";
  return (
    <div
      className={`flex flex-wrap items-start justify-between gap-x-4 gap-y-2 rounded-control border px-4 py-3 ${colours}`}
    >
      <div className="min-w-0 flex-1 basis-60">{children}</div>
      <DismissLink />
    </div>
  );
}

/** Drops the query string, so a reload does not announce the same thing again. */
function DismissLink() {
  return (
    <Link
      href="/account"
      replace
      scroll={false}
      className="-my-1 shrink-0 rounded-sm py-1 text-sm font-semibold underline underline-offset-4 hover:no-underline"
    >
      Dismiss
    </Link>
  );
}
