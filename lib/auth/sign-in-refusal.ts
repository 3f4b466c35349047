// A password sign-in the guard refused (too many attempts, or the limiter could not decide),
// carried from the Credentials provider's authorize() to whoever called Auth.js:
// - the sign-in form's server action gets the error itself (Auth.js rethrows it in raw mode)
//   and shows the message in the form;
// - a direct POST to /api/auth/callback/password would only get Auth.js's redirect with
//   `code=rate_limited`, so its route handler runs Auth.js inside captureRefusal() and
//   answers 429 (or 503) with Retry-After instead (app/api/auth/[...nextauth]/route.ts).
import { AsyncLocalStorage } from "node:async_hooks";
import { CredentialsSignin } from "next-auth";

import type { PasswordAttemptRefusal } from "@/lib/security/password-guard";

export class PasswordSignInRefused extends CredentialsSignin {
  constructor(readonly refusal: PasswordAttemptRefusal) {
    super(`password sign-in refused: ${refusal.reason}`);
    // Goes into Auth.js's redirect URL: a reason, never anything about the account.
    this.code = refusal.reason === "unavailable" ? "unavailable" : "rate_limited";
  }
}

const refusals = new AsyncLocalStorage<{ refusal?: PasswordAttemptRefusal }>();

/** Notes a refusal for the enclosing captureRefusal(), if any. */
export function reportRefusal(refusal: PasswordAttemptRefusal): void {
  const slot = refusals.getStore();
  if (slot) slot.refusal = refusal;
}

/** Runs `work` and returns its result with the refusal reported while it ran, if any. */
export async function captureRefusal<T>(
  work: () => Promise<T>,
): Promise<{ result: T; refusal?: PasswordAttemptRefusal }> {
  const slot: { refusal?: PasswordAttemptRefusal } = {};
  const result = await refusals.run(slot, work);
  return { result, refusal: slot.refusal };
}
