// The guard every password check goes through: password sign-in (the Credentials
// provider's authorize) and the account page's "current password" check.
//
// It applies, in the order documented at the top of lib/rate-limit/index.ts:
//   0. with a known device (a valid device cookie for the account, device-cookie.ts): the
//      device's own budget — allowed, and nothing below applies; used up, and the device is
//      locked out until its window passes: the attempt goes on as one without a cookie;
//   1. the per-IP sign-in limit (when the attempt has a client address);
//   2. the per-account limit, across every address;
//   3. the account throttle's delay (it waits here, before the password is checked);
// and, once the password was checked, feeds the result back to the throttle — unless the
// attempt came through step 0.
//
// Why a known device skips the per-IP and per-account limits and the throttle (OWASP's
// device cookies): those are what a stranger can use up — the account's limit by guessing
// from many addresses, the per-IP one by guessing from behind the same NAT, carrier-grade
// NAT or office proxy as the owner — and they would then refuse or slow the owner too. The
// device budget replaces them, and is tighter: only a browser that signed in to this account
// has a cookie for it (a stranger cannot forge one), each attempt with it counts (the count
// is decided atomically, so parallel attempts cannot overshoot), and its failures and
// successes stay out of the throttle, whose count describes unknown browsers: the owner's
// typo is not a guess, and the owner signing in does not wipe the record of the guessing.
//
// A refusal says why in terms a person can act on — "too many attempts, wait N minutes" or
// "briefly unavailable, try again shortly" (a limit failed closed) — and never whether the
// account exists: an unknown email is limited, throttled and answered exactly like a known
// one.
import { rateLimitHeaders, type RateLimitDecision, type RateLimiter } from "@/lib/rate-limit";
import { sleep as realSleep } from "@/lib/retry";
import type { AccountThrottle } from "@/lib/security/account-throttle";

export interface PasswordAttemptRefusal {
  /** "limited": a limit was reached; "unavailable": the limiter could not decide in time. */
  reason: "limited" | "unavailable";
  retryAfterSeconds: number;
  /** Retry-After and RateLimit-* for an HTTP answer. */
  headers: Record<string, string>;
}

export interface PasswordAttemptAdmitted {
  ok: true;
  /** Admitted on a known device's own budget (step 0), not the account-wide limits. */
  knownDevice: boolean;
}

export type PasswordAttemptAdmission =
  PasswordAttemptAdmitted | ({ ok: false } & PasswordAttemptRefusal);

export interface PasswordAttempt {
  /** The client address, for the per-IP limit; null skips it (e.g. a signed-in user's check). */
  ip: string | null;
  /** The account the password is for: its email (normalized by the limiter), or another
   *  stable key when it has none. */
  account: string;
  /**
   * The nonce of the device cookie this browser presented for this account, already verified
   * (DeviceCookies.verify); null or absent when it presented none, or none valid.
   */
  device?: string | null;
}

export interface PasswordGuard {
  /** Applies the limits and waits the throttle's delay; call before checking the password. */
  admit(attempt: PasswordAttempt): Promise<PasswordAttemptAdmission>;
  /** The password was wrong (or the account unknown). Pass what admit() answered. */
  failed(account: string, admitted?: PasswordAttemptAdmitted): Promise<void>;
  /** The password was right: forget the account's failures. Pass what admit() answered. */
  succeeded(account: string, admitted?: PasswordAttemptAdmitted): Promise<void>;
}

export interface PasswordGuardDeps {
  limiter: RateLimiter;
  throttle: AccountThrottle;
  now: () => number;
  /** Waits the throttle's delay; tests pass a recorder. */
  sleep?: (ms: number) => Promise<void>;
}

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
  const { limiter, throttle, now, sleep = realSleep } = deps;
  return {
    async admit({ ip, account, device }) {
      if (device) {
        const perDevice = await limiter.limit("signInDevice", device);
        if (perDevice.allowed) return { ok: true, knownDevice: true };
        // Fail closed like the other sign-in limits; the account's limit would refuse too.
        if (perDevice.failure === "closed") return refusalFrom(perDevice, now());
        // Used up: the device is locked out until its window passes, and this attempt is
        // one from an unknown browser, below.
      }
      // Per IP first: a flood from one address is refused before it spends the account's
      // budget, which every unknown browser shares.
      if (ip !== null) {
        const perIp = await limiter.limit("signInIp", ip);
        if (!perIp.allowed) return refusalFrom(perIp, now());
      }
      const perAccount = await limiter.limit("signInAccount", account);
      if (!perAccount.allowed) return refusalFrom(perAccount, now());
      const { delayMs } = await throttle.beforeAttempt(account);
      if (delayMs > 0) await sleep(delayMs);
      return { ok: true, knownDevice: false };
    },
    // A known device's attempt was counted against its own budget when it was admitted.
    failed: async (account, admitted) => {
      if (!admitted?.knownDevice) await throttle.recordFailure(account);
    },
    succeeded: async (account, admitted) => {
      if (!admitted?.knownDevice) await throttle.recordSuccess(account);
    },
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
