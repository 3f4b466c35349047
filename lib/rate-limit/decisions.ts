// What the limiter answers: a decision from the backend's window, or from the policy's failure
// mode when the backend could not answer in time.
import type { RateLimitRule } from "@/lib/env";
import type { WindowResult } from "@/lib/rate-limit/backends/backend";
import {
  DEFAULT_FAIL_CLOSED_RETRY_AFTER_SECONDS,
  FAILURE_MODE,
  type RateLimitPolicy,
} from "@/lib/rate-limit/policies";

export interface RateLimitDecision {
  allowed: boolean;
  /** The policy's limit per window. */
  limit: number;
  /** Requests left in the window after this one (0 when refused). */
  remaining: number;
  /**
   * When the quota is back, in ms since the epoch. Allowed: the end of the current window (a
   * hint: a sliding window frees room gradually). Refused: the first millisecond at which the
   * next request is allowed (backends/sliding-window.ts), or the end of a failed-closed wait.
   */
  resetAt: number;
  /** Seconds a refused client must wait for its next request to be allowed, rounded up (at
   *  least 1); 0 when allowed. */
  retryAfterSeconds: number;
  /** Set when the backend failed or timed out and the policy's failure mode decided. */
  failure?: "open" | "closed";
}

/** Whole seconds from `now` until `at`, rounded up; 0 once it has passed. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1_000));
}

/** The decision for a window result the backend gave at `now`. */
export function decisionFromResult(result: WindowResult, now: number): RateLimitDecision {
  const { limit, remaining } = result;
  if (result.success) {
    return { allowed: true, limit, remaining, resetAt: result.reset, retryAfterSeconds: 0 };
  }
  return {
    allowed: false,
    limit,
    remaining,
    resetAt: result.retryAt,
    // Rounded up, so that waiting that long is enough; and at least one second, since
    // "Retry-After: 0" invites a retry at once (the backend's clock and ours may differ a
    // little, and the backend may have answered a moment ago).
    retryAfterSeconds: Math.max(1, secondsUntil(result.retryAt, now)),
  };
}

/** The decision a policy's failure mode gives when the backend failed at `now`. */
export function failureDecision(
  policy: RateLimitPolicy,
  rule: RateLimitRule,
  now: number,
  failClosedRetryAfterSeconds = DEFAULT_FAIL_CLOSED_RETRY_AFTER_SECONDS,
): RateLimitDecision {
  if (FAILURE_MODE[policy] === "open") {
    return {
      allowed: true,
      limit: rule.limit,
      remaining: rule.limit,
      resetAt: now,
      retryAfterSeconds: 0,
      failure: "open",
    };
  }
  return {
    allowed: false,
    limit: rule.limit,
    remaining: 0,
    resetAt: now + failClosedRetryAfterSeconds * 1_000,
    retryAfterSeconds: failClosedRetryAfterSeconds,
    failure: "closed",
  };
}
