// The guard every password check goes through: password sign-in (the Credentials
// provider's authorize) and the account page's "current password" check.
//
// It applies, in the order documented at the top of rate-limit.ts:
//   1. the per-IP sign-in limit (when the attempt has a client address);
//   2. the per-account limit, across every address;
//   3. the account throttle's delay (it waits here, before the password is checked);
// and, once the password was checked, feeds the result back to the throttle.
//
// A refusal says why in terms a person can act on — "too many attempts, wait N minutes" or
// "briefly unavailable, try again shortly" (a limit failed closed) — and never whether the
// account exists: an unknown email is limited, throttled and answered exactly like a known
// one.
import type { AccountThrottle } from "@/lib/security/account-throttle";
import {
  rateLimitHeaders,
  type RateLimitDecision,
  type RateLimiter,
} from "@/lib/security/rate-limit";

export interface PasswordAttemptRefusal {
  /** "limited": a limit was reached; "unavailable": the limiter could not decide in time. */
  reason: "limited" | "unavailable";
  retryAfterSeconds: number;
  /** Retry-After and RateLimit-* for an HTTP answer. */
  headers: Record<string, string>;
}

export type PasswordAttemptAdmission = { ok: true } | ({ ok: false } & PasswordAttemptRefusal);

export interface PasswordAttempt {
  /** The client address, for the per-IP limit; null skips it (e.g. a signed-in user's check). */
  ip: string | null;
  /** The account the password is for: its email (normalized by the limiter), or another
   *  stable key when it has none. */
  account: string;
}

export interface PasswordGuard {
  /** Applies the limits and waits the throttle's delay; call before checking the password. */
  admit(attempt: PasswordAttempt): Promise<PasswordAttemptAdmission>;
  /** The password was wrong (or the account unknown). */
  failed(account: string): Promise<void>;
  /** The password was right: forget the account's failures. */
  succeeded(account: string): Promise<void>;
}

export interface PasswordGuardDeps {
  limiter: RateLimiter;
  throttle: AccountThrottle;
  now: () => number;
  /** Waits the throttle's delay; tests pass a recorder. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/** The refusal for a decision that did not allow the request. */
export function refusalFrom(
  decision: RateLimitDecision,
  now: number,
): { ok: false } & PasswordAttemptRefusal {
  return {
    ok: false,
    reason: decision.failure === "closed" ? "unavailable" : "limited",
    retryAfterSeconds: decision.retryAfterSeconds,
    headers: rateLimitHeaders(decision, now),
  };
}

export function createPasswordGuard(deps: PasswordGuardDeps): PasswordGuard {
  const { limiter, throttle, now, sleep = defaultSleep } = deps;
  return {
    async admit({ ip, account }) {
      // Per IP first: a flood from one address is refused before it spends the account's
      // budget, which the owner shares.
      if (ip !== null) {
        const perIp = await limiter.limit("signInIp", ip);
        if (!perIp.allowed) return refusalFrom(perIp, now());
      }
      const perAccount = await limiter.limit("signInAccount", account);
      if (!perAccount.allowed) return refusalFrom(perAccount, now());
      const { delayMs } = await throttle.beforeAttempt(account);
      if (delayMs > 0) await sleep(delayMs);
      return { ok: true };
    },
    failed: (account) => throttle.recordFailure(account),
    succeeded: (account) => throttle.recordSuccess(account),
  };
}

/** What a person reads when an attempt is refused ("sign in", "sign up", …). */
export function refusalMessage(refusal: PasswordAttemptRefusal, what: string): string {
  if (refusal.reason === "unavailable") {
    return `We can't ${what} right now. Please try again shortly.`;
  }
  return `Too many attempts. Please wait ${waitInWords(refusal.retryAfterSeconds)} and try again.`;
}

/** 42 → "42 seconds", 61 → "2 minutes" (rounded up: waiting less than that is refused). */
export function waitInWords(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? "1 second" : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}
