// What the confirmation link's page says for each outcome: the same words whether the page
// found it on opening the link (GET) or the button's action did (POST). Browser-safe: type
// imports only.
import type { EmailChangeResult } from "@/lib/account/email-change";

export interface EmailChangeCopy {
  tone: "success" | "problem";
  title: string;
  message: string;
  /** The next step: where to go from here. */
  next: { href: string; label: string };
}

const ACCOUNT = { href: "/account", label: "Go to your account" };

/** Every outcome but "valid" (which shows the question and its button instead). */
export function describeEmailChange(result: EmailChangeResult, signedIn: boolean): EmailChangeCopy {
  switch (result.status) {
    case "changed":
      return {
        tone: "success",
        title: "Your email address has changed",
        message: `Your account's address is now ${result.email}, and it is verified. Use it the next time you sign in with your password.`,
        next: signedIn ? ACCOUNT : { href: "/sign-in", label: "Sign in" },
      };
    case "expired":
      return {
        tone: "problem",
        title: "This link has expired",
        message:
          "Links that confirm a new address work for a limited time. Ask for a new one from your account page: Change email.",
        next: ACCOUNT,
      };
    case "used":
      return {
        tone: "problem",
        title: "This link has already been used",
        message:
          "Each link works once. Your account page shows the address the account has now; to change it again, ask for a new link there.",
        next: ACCOUNT,
      };
    case "unknown":
      return {
        tone: "problem",
        title: "This link does not work",
        message:
          "It may be incomplete, or a newer link replaced it. Open the latest mail we sent, or ask for a new link from your account page.",
        next: ACCOUNT,
      };
    case "other-account":
      return {
        tone: "problem",
        title: "You're signed in to another account",
        message:
          "This link changes the address of a different account, so nothing was changed. Sign out, then open the link again.",
        next: ACCOUNT,
      };
    case "taken":
      return {
        tone: "problem",
        title: "This address belongs to another account",
        message: `${result.newEmail} already has an account of its own, so nothing was changed. Sign in to that account instead, or change its address first.`,
        next: { href: "/sign-in", label: "Sign in" },
      };
  }
}
