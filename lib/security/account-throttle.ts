// Per-account slow-down for password sign-in, which cannot be turned into a lock-out.
//
// A lock-out ("5 wrong passwords and the account is locked for an hour") hands every stranger
// who knows an email a switch that keeps its owner out. This throttle never refuses: it only
// makes each attempt on an account wait longer the more attempts on it failed recently, so
// guessing gets slow while the owner, typing the right password, still gets in — at worst a
// few seconds late while someone is attacking their account.
//
// Schedule (the defaults; each is an option):
// - the first `freeFailures` (3) failures cost nothing: people mistype, switch keyboards,
//   try their other password;
// - after that, each further attempt waits `baseDelayMs` (250 ms), doubling per failure:
//   250, 500, 1000, 2000, then capped at `maxDelayMs` (4 s) — long enough to make a guessing
//   script crawl, short enough that a person does not give up or double-submit;
// - failures are counted in a window of `windowMs` (15 min) from the first one (the counter
//   expires on its own; later failures do not extend it), so a bad morning is forgotten;
// - a successful sign-in resets the count.
//
// It works on every Redis backend, since it needs only counters (incr with a TTL, get, del)
// from the RedisStore interface. Known limit: attempts sent in parallel all read the count
// before any of them fails, so a burst pays one delay, not an escalating one; the per-IP and
// per-account limits (lib/rate-limit) are what cap bursts. See lib/rate-limit/index.ts for the
// order in which sign-in applies them.
import { normalizeEmail } from "@/lib/email";
import { DURATION_DEFAULTS } from "@/lib/env";
import type { Logger } from "@/lib/logger";
import { createIncidentTracker, hashKey, maxDecisionWaitMs } from "@/lib/rate-limit";
import type { RedisStore } from "@/lib/redis";
import { withTimeout } from "@/lib/timeout";

export interface AccountThrottleOptions {
  /** Failures in a window that add no delay. Default 3. */
  freeFailures?: number;
  /** Delay after the first counted failure, doubling per further failure. Default 250 ms. */
  baseDelayMs?: number;
  /** The delay never exceeds this. Default 4 000 ms. */
  maxDelayMs?: number;
  /** How long a failure is remembered, from the first of a run. Default 15 min. */
  windowMs?: number;
}

export interface AccountThrottleDeps extends AccountThrottleOptions {
  store: Pick<RedisStore, "kind" | "get" | "incr" | "del">;
  logger: Pick<Logger, "warn" | "info">;
  /** Clock in ms, for outage durations in the logs. */
  now?: () => number;
  /** Timeout on the store per call (wire settings.rateLimits.timeoutMs; default
   *  RATE_LIMIT_TIMEOUT_MS's, 50 ms).
   *  Counted as the limiter counts it (lib/timeout.ts): time our own busy event loop held an
   *  answer up is not the store's, and no call waits past 4 × this (maxDecisionWaitMs). */
  timeoutMs?: number;
  /** Redis key prefix. Default "gatehouse:throttle:account". */
  keyPrefix?: string;
}

export interface AccountThrottle {
  /** How long to wait before checking this attempt's password. Never refuses. */
  beforeAttempt(accountKey: string): Promise<{ delayMs: number; failure?: "open" }>;
  /** Counts a wrong password for the account. */
  recordFailure(accountKey: string): Promise<void>;
  /** The account signed in: forget its failures. */
  recordSuccess(accountKey: string): Promise<void>;
}

export const ACCOUNT_THROTTLE_DEFAULTS = {
  freeFailures: 3,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  windowMs: 15 * 60_000,
} as const satisfies Required<AccountThrottleOptions>;

/** The wait before an attempt on an account that has `failures` recent failures. */
export function throttleDelayMs(
  failures: number,
  {
    freeFailures = ACCOUNT_THROTTLE_DEFAULTS.freeFailures,
    baseDelayMs = ACCOUNT_THROTTLE_DEFAULTS.baseDelayMs,
    maxDelayMs = ACCOUNT_THROTTLE_DEFAULTS.maxDelayMs,
  }: AccountThrottleOptions = {},
): number {
  if (!(failures >= freeFailures)) return 0;
  // Capping the exponent keeps 2 ** n finite however large the count grows.
  const doublings = Math.min(failures - freeFailures, 52);
  return Math.min(maxDelayMs, baseDelayMs * 2 ** doublings);
}

export function createAccountThrottle(deps: AccountThrottleDeps): AccountThrottle {
  const {
    store,
    logger,
    now = Date.now,
    timeoutMs = DURATION_DEFAULTS.rateLimitTimeoutMs,
    keyPrefix = "gatehouse:throttle:account",
    ...options
  } = deps;
  const schedule = { ...ACCOUNT_THROTTLE_DEFAULTS, ...options };
  const keyFor = (accountKey: string) => `${keyPrefix}:${hashKey(normalizeEmail(accountKey))}`;
  // If the store fails, sign-in goes on without the delay: the per-account and per-IP
  // limits, which fail closed, are what stands between a Redis outage and a brute force.
  // Refusing or stalling sign-in here would add nothing but a worse outage.
  const incidents = createIncidentTracker({
    now,
    logger,
    openedMessage: "The sign-in throttle cannot reach Redis; attempts go on without its delay",
    recoveredMessage: "The sign-in throttle is working again",
    data: { backend: store.kind },
  });

  const attempt = async <T>(operation: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      const result = await withTimeout(run(), timeoutMs, {
        maxWaitMs: maxDecisionWaitMs(timeoutMs),
      });
      incidents.succeeded();
      return result;
    } catch (error) {
      incidents.failed(error, { operation });
      return undefined;
    }
  };

  return {
    async beforeAttempt(accountKey) {
      const value = await attempt("get", () => store.get(keyFor(accountKey)));
      if (value === undefined) return { delayMs: 0, failure: "open" };
      const failures = value === null ? 0 : Number.parseInt(value, 10);
      return { delayMs: throttleDelayMs(Number.isSafeInteger(failures) ? failures : 0, schedule) };
    },

    async recordFailure(accountKey) {
      await attempt("incr", () => store.incr(keyFor(accountKey), { ttlMs: schedule.windowMs }));
    },

    async recordSuccess(accountKey) {
      await attempt("del", () => store.del(keyFor(accountKey)));
    },
  };
}
