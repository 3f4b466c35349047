// What the verification link's page says once there is nothing to confirm: the address was
// just verified, or the link is dead (and why, with the next step). Used by the page (a link
// already dead when opened) and by the form (dead by the time "Confirm" was pressed).
import Link from "next/link";
import type { ReactNode } from "react";

import { buttonClasses } from "@/components/ui/button";
import type { DeadLink } from "@/lib/auth/email-verification";

/** Where the next step is: the account page, through sign-in if needed. */
export interface NextStep {
  signedIn: boolean;
}

const ACCOUNT_HREF = "/account";
const SIGN_IN_HREF = "/sign-in?callbackUrl=%2Faccount";

const DEAD_LINKS: Record<DeadLink, { title: string; body: string }> = {
  expired: {
    title: "This link has expired",
    body: "Links that confirm an address work for a limited time, so an old mail cannot be used later.",
  },
  used: {
    title: "This link was already used",
    body: "Each link works once. If you opened it before, your address is confirmed: your account page shows it.",
  },
  unknown: {
    title: "This link doesn't work",
    body: "It may be cut short (copy the whole link from the mail), or a newer link replaced it: only the latest one works.",
  },
  stale: {
    title: "This link is for another address",
    body: "Your account no longer uses the address this link was sent to, so it confirms nothing.",
  },
};

function Outcome({ title, children }: { title: string; children: ReactNode }) {
  return (
    <>
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">{title}</h1>
      {children}
    </>
  );
}

export function DeadVerifyLink({ status, signedIn }: { status: DeadLink } & NextStep) {
  const { title, body } = DEAD_LINKS[status];
  return (
    <Outcome title={title}>
      <p className="mt-4 text-lg text-pretty text-muted">{body}</p>
      <p className="mt-4">
        If your address is still unconfirmed, your account page sends a new link (“Resend link”
        beside “Email not verified”). Until then you can go on signing in with your password.
      </p>
      <Link
        href={signedIn ? ACCOUNT_HREF : SIGN_IN_HREF}
        className={buttonClasses({ block: true, className: "mt-8" })}
      >
        {signedIn ? "Go to your account" : "Sign in"}
      </Link>
    </Outcome>
  );
}

export function EmailVerified({ email, signedIn }: { email: string } & NextStep) {
  return (
    <Outcome title="Email verified">
      <p className="mt-4 text-lg text-pretty">
        <strong className="break-all">{email}</strong> is confirmed as yours.
      </p>
      <Link
        href={signedIn ? ACCOUNT_HREF : SIGN_IN_HREF}
        className={buttonClasses({ block: true, className: "mt-8" })}
      >
        {signedIn ? "Go to your account" : "Sign in"}
      </Link>
    </Outcome>
  );
}
