// The one normal form of an email address: what the user table stores and looks up (its
// users_email_normalized CHECK), and what every per-account key is made from (the rate
// limiter's signInAccount key, the account throttle, device cookies), so an account is one
// account whatever case or surrounding spaces it was typed with.
//
// A leaf module on purpose: sign-up forms, the same-email policy, the rate limiter and the
// proxy's bundle all import it, and it imports nothing.

/** Trimmed and lower-cased; a blank address becomes "". */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
