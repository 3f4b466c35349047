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
  /** When the current window ends, in ms since the epoch (a hint with a sliding window). */
  resetAt: number;
  /** Seconds a refused client should wait (at least 1); 0 when allowed. */
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
  return {
    allowed: result.success,
    limit: result.limit,
    remaining: result.remaining,
    resetAt: result.reset,
    // At least one second: "Retry-After: 0" invites an immediate retry that will be refused
    // again (the reset is a hint, see backends/memory.ts).
    retryAfterSeconds: result.success ? 0 : Math.max(1, secondsUntil(result.reset, now)),
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
