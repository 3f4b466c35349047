// What the bot says about an account's security events: which events become alerts, their
// text and their buttons. Plain text (no parse mode), so nothing a provider or a browser
// put in a name or user agent can break the formatting or inject links.
import type { InlineKeyboardMarkup } from "grammy/types";

import type { SecurityEventType } from "@/lib/generated/prisma/client";
import { describeDevice } from "@/lib/security/presenter";
import { methodName } from "@/lib/sign-in-methods";

/** Events that send an alert to the user's linked chat (through the outbox). */
export const ALERT_EVENT_TYPES: ReadonlySet<SecurityEventType> = new Set<SecurityEventType>([
  "SIGN_IN",
  "SIGN_UP",
  "ACCOUNT_LINKED",
  "ACCOUNT_UNLINKED",
  "PASSWORD_SET",
  "PASSWORD_CHANGED",
  "PASSWORD_REMOVED",
  // A reset signs every device out and an address change moves where reset links go: both
  // are how an account is taken over, so the chat hears of them at once.
  "PASSWORD_RESET",
  "EMAIL_CHANGED",
  // The second factor: turning it off, new recovery codes (whoever has them can pass it)
  // and a spent code (the phone may be lost, or someone has the codes) weaken it; turning
  // it on is told too, because someone holding a session who adds their own app locks the
  // owner out at the next sign-in.
  "TOTP_ENABLED",
  "TOTP_DISABLED",
  "RECOVERY_CODES_REGENERATED",
  "RECOVERY_CODE_USED",
  // A wrong code at sign-in means whoever typed it got past the password (or the provider).
  // One alert per wrong code: the limiter caps them, and the owner mistyping learns what the
  // chat would say to a stranger.
  "SECOND_FACTOR_FAILED",
  // A passkey is a way in that needs neither the password nor the email: one added from a
  // stolen session outlives that session, so the owner hears of it at once; and one removed.
  "PASSKEY_ADDED",
  "PASSKEY_REMOVED",
  // Approving sign-ins from the chat: turning it off lets a password alone in again, and
  // turning it on from a stolen session points the approvals at the chat linked now. A
  // refused sign-in means someone had the first factor.
  "SIGN_IN_APPROVAL_ON",
  "SIGN_IN_APPROVAL_OFF",
  "SIGN_IN_DENIED",
]);

export interface AlertEvent {
  type: SecurityEventType;
  method: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
}

function headline(event: AlertEvent): string {
  const method = methodName(event.method) ?? "an unknown method";
  switch (event.type) {
    case "SIGN_IN":
      return `New sign-in to your account with ${method}.`;
    case "SIGN_UP":
      return "Your account was created.";
    case "ACCOUNT_LINKED":
      return `${method} was linked to your account: it can now be used to sign in.`;
    case "ACCOUNT_UNLINKED":
      return `${method} was unlinked from your account.`;
    case "PASSWORD_SET":
      return "A password was set on your account.";
    case "PASSWORD_CHANGED":
      return "Your password was changed.";
    case "PASSWORD_REMOVED":
      return "Your password was removed.";
    case "PASSWORD_RESET":
      return "Your password was reset with a link sent to your email, and every device was signed out.";
    case "EMAIL_CHANGED":
      return "The email address of your account was changed.";
    case "TOTP_ENABLED":
      return "Two-step verification was turned on: signing in now also asks for a code from an authenticator app.";
    case "TOTP_DISABLED":
      return "Two-step verification was turned off: signing in no longer asks for a code from an authenticator app.";
    case "RECOVERY_CODES_REGENERATED":
      return "New recovery codes were created for your account. The earlier ones no longer work.";
    case "RECOVERY_CODE_USED":
      return "A recovery code was used on your account instead of a code from your authenticator app.";
    case "SECOND_FACTOR_FAILED":
      return `Someone signed in to your account with ${method} but then entered a wrong two-step verification code. If this wasn't you, change your password (or secure that sign-in method).`;
    case "PASSKEY_ADDED":
      return "A passkey was added to your account: it can now be used to sign in.";
    case "PASSKEY_REMOVED":
      return "A passkey was removed from your account.";
    case "SIGN_IN_APPROVAL_ON":
      return "Sign-in approval was turned on: a sign-in from a browser that has not signed in to your account before now waits for you to approve it in this chat.";
    case "SIGN_IN_APPROVAL_OFF":
      return "Sign-in approval was turned off: sign-ins to your account no longer wait for your approval in this chat.";
    case "SIGN_IN_DENIED":
      return `A sign-in to your account with ${method} was refused from this chat. Whoever tried it got past the first step: if it wasn't you, change your password (or secure that sign-in method) now.`;
    default:
      return "Something changed on your account.";
  }
}

/** "22 Nov 2026, 11:32 UTC": unambiguous wherever the reader is. */
export function formatAlertTime(at: Date): string {
  const date = at.toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  const time = at.toLocaleTimeString("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
    timeZone: "UTC",
  });
  return `${date}, ${time} UTC`;
}

export function alertText(event: AlertEvent): string {
  return [
    headline(event),
    "",
    `When: ${formatAlertTime(event.createdAt)}`,
    `IP address: ${event.ip ?? "unknown"}`,
    `Device: ${describeDevice(event.userAgent)}`,
    "",
    "Was this you?",
  ].join("\n");
}

/** callback_data of the two buttons: `alert:<answer>:<outbox id>` (≤ 64 bytes). */
export const ALERT_CALLBACK = /^alert:(ok|revoke):([A-Za-z0-9_-]{1,40})$/;

export function alertKeyboard(notificationId: string): InlineKeyboardMarkup {
  return {
    inline_keyboard: [
      [
        { text: "It was me", callback_data: `alert:ok:${notificationId}` },
        { text: "Not me — sign out everywhere", callback_data: `alert:revoke:${notificationId}` },
      ],
    ],
  };
}

/** callback_data of a sign-in approval's buttons: `approve:<approvalId>`, `deny:<approvalId>`. */
export const SIGN_IN_APPROVAL_CALLBACK = /^(approve|deny):([A-Za-z0-9_-]{22})$/;

/** "Sign-in to ada@example.com from Chrome on Android, 203.0.113.5 — is this you?" */
export function signInApprovalText(request: {
  accountName: string;
  ip: string | null;
  userAgent: string | null;
}): string {
  const ip = request.ip ?? "an unknown IP address";
  return `Sign-in to ${request.accountName} from ${describeDevice(request.userAgent)}, ${ip} — is this you?`;
}

export function signInApprovalKeyboard(approvalId: string): InlineKeyboardMarkup {
  return {
    inline_keyboard: [
      [
        { text: "Approve", callback_data: `approve:${approvalId}` },
        { text: "Deny", callback_data: `deny:${approvalId}` },
      ],
    ],
  };
}

/** What the approval message says once a button was pressed (its buttons go). */
export const SIGN_IN_APPROVAL_ANSWERS = {
  approved: "Approved — the browser is signing in.",
  denied: "Denied — that sign-in was refused.",
  expired: "This sign-in request has expired.",
  "already-answered": "Already answered.",
  "wrong-chat": "This button is not for this chat.",
} as const;

/** The alert once answered: the original text, and what was done (no buttons any more). */
export function answeredAlertText(
  original: string,
  answer: { kind: "ok" } | { kind: "revoked"; sessions: number },
): string {
  const question = /\n\nWas this you\?$/;
  const body = original.replace(question, "");
  if (answer.kind === "ok") return `${body}\n\n✅ You confirmed this was you.`;
  const count = `${answer.sessions} ${answer.sessions === 1 ? "session" : "sessions"}`;
  return (
    `${body}\n\n🚫 Signed out everywhere (${count}). ` +
    "Sign in again and change your password, and unlink any sign-in method you don't recognise."
  );
}

/**
 * The copy of a password-reset link sent to the account's chat, next to the mail. Plain
 * text: Telegram makes the link clickable itself.
 */
export function resetLinkText(link: string, expiresInMinutes: number): string {
  return [
    "Someone asked to reset the password of your Gatehouse account.",
    "",
    `To choose a new one, open this link. It works once, for ${expiresInMinutes} minutes, and signs out every device:`,
    link,
    "",
    "If this wasn't you, ignore this message: your password stays as it is.",
  ].join("\n");
}

/** The chat's first message once it gets an account's alerts (/start, or Telegram sign-in). */
export function connectedText(accountName: string): string {
  return `Connected to ${accountName}. You'll get a message here for every sign-in, with a button to sign out everywhere if it wasn't you.\n\n/help shows what else I can do.`;
}

/** Sent to a chat that stopped receiving an account's alerts because another took over. */
export function movedAwayText(accountName: string): string {
  return (
    `Alerts for ${accountName} now go to another Telegram chat. ` +
    "If you didn't do this, sign in and check your account page."
  );
}
