// Refusals the account page explains to the person. Anything thrown that is not an
// AccountError is a bug or an outage: the action client logs it and shows a generic
// message with a request id instead (lib/actions/clients.ts).

export const accountErrorMessages = {
  "not-found": "We could not find that on your account. It may have been removed already.",
  "last-sign-in-method":
    "This is your only way to sign in. Link another provider, add a passkey or set a password before removing it.",
  "already-linked": "That sign-in method is already linked to your account.",
  "provider-unavailable": "That sign-in method is not available on this site.",
  "wrong-password": "That is not your current password.",
  "password-exists": "Your account already has a password. Change it instead.",
  "no-password": "Your account has no password yet. Set one instead.",
  "email-required": "Add an email address to sign in with a password.",
  "email-taken": "Another account already uses this email address.",
  "same-email": "That is already the email address of your account.",
  "password-is-email": "Don't use your email address as your password.",
  "same-password": "Choose a password different from your current one.",
  "too-many-attempts": "Too many wrong passwords. Please wait a few minutes before you try again.",
  "telegram-unavailable": "Telegram alerts are not set up on this site.",
  "telegram-not-connected":
    "Connect Telegram first: sign-ins are approved in the chat that gets your alerts.",
  "try-again-shortly": "We can't check your password right now. Please try again shortly.",
  "two-step-on": "Two-step verification is already on. To use another app, turn it off first.",
  "two-step-off": "Two-step verification is already off.",
  "two-step-no-codes":
    "Two-step verification is off, so there are no recovery codes to replace. Turn it on first.",
  "two-step-not-started":
    "That set-up was cancelled or replaced, so there is nothing to turn on. Start again to get a new key.",
  "wrong-totp-code":
    "That code did not match. Check that the time on your phone is right and try the newest code.",
  "passkeys-unavailable": "Passkeys are not available on this site.",
  "too-many-passkeys":
    "Your account has 20 passkeys, the most it can have. Remove one you no longer use first.",
  "passkey-not-added":
    "That passkey could not be added. Please try again, and finish within a few minutes.",
  "passkey-already-registered":
    "That passkey is already registered. Use another device or security key.",
  "invalid-passkey-name":
    "Give the passkey a name of up to 64 characters, on one line, without special characters.",
} as const;

export type AccountErrorCode = keyof typeof accountErrorMessages;

/** A refusal with a message that is safe to show as is (it names nothing secret). */
export class AccountError extends Error {
  override name = "AccountError";
  constructor(readonly code: AccountErrorCode) {
    super(accountErrorMessages[code]);
  }
}
