import Link from "next/link";

import { buttonClasses } from "@/components/ui/button";

export type ResetLinkProblemKind = "expired" | "used" | "unknown";

const WORDS: Record<ResetLinkProblemKind, { title: string; body: string }> = {
  expired: {
    title: "This link has expired",
    body: "Reset links work only for a short time, so that an old mail cannot be used to take over your account. Request a new link and use it soon after it arrives.",
  },
  used: {
    title: "This link has already been used",
    body: "Each reset link works once. If you chose a new password with it, sign in with that password. Otherwise, request a new link.",
  },
  unknown: {
    title: "This link doesn't work",
    body: "It may have been cut short (copy the whole link from the mail), or a newer link replaced it: only the latest one works. Request a new link.",
  },
};

/**
 * What a reset link that cannot be used says, and the next step: a new link. Shown by the
 * page when the link is opened, and by the form when the link stopped working meanwhile.
 */
export function ResetLinkProblem({ problem }: { problem: ResetLinkProblemKind }) {
  const { title, body } = WORDS[problem];
  return (
    <div className="rounded-control border border-border bg-raised px-4 py-4 sm:px-5">
      <h2 className="text-xl font-bold">{title}</h2>
      <p className="mt-2">{body}</p>
      <div className="mt-5 flex flex-wrap gap-3">
        <Link href="/forgot-password" className={buttonClasses({ className: "max-sm:w-full" })}>
          Request a new link
        </Link>
        <Link
          href="/sign-in"
          className={buttonClasses({ variant: "secondary", className: "max-sm:w-full" })}
        >
          Sign in
        </Link>
      </div>
    </div>
  );
}
