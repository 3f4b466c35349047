// The limiter: counts a request for a policy's key on the backend, within the timeout, and
// decides from the answer or from the policy's failure mode (index.ts has the whole picture).
import type { Logger } from "@/lib/logger";
import type { Metrics } from "@/lib/metrics";
import type { SlidingWindowBackend } from "@/lib/rate-limit/backends/backend";
import {
  decisionFromResult,
  failureDecision,
  type RateLimitDecision,
} from "@/lib/rate-limit/decisions";
import { createIncidentTracker } from "@/lib/rate-limit/incidents";
import { rateLimitKey } from "@/lib/rate-limit/keys";
import {
  DEFAULT_FAIL_CLOSED_RETRY_AFTER_SECONDS,
  DEFAULT_RATE_LIMIT_PREFIX,
  FAILURE_MODE,
  type RateLimitPolicy,
  type RateLimitSettings,
} from "@/lib/rate-limit/policies";
import { TimeoutError, withTimeout } from "@/lib/timeout";

export interface RateLimiterDeps {
  backend: SlidingWindowBackend;
  /** Clock in ms, for Retry-After and failure decisions. The Redis-backed algorithm reads
   *  Date.now() itself (the library has no clock option); the memory backend gets the same
   *  clock as this from createRateLimitBackend. */
  now: () => number;
  logger: Pick<Logger, "warn" | "info">;
  settings: RateLimitSettings;
  /** Default DEFAULT_RATE_LIMIT_PREFIX; tests give each test its own. */
  keyPrefix?: string;
  failClosedRetryAfterSeconds?: number;
  /** Counts every decision, and every backend failure behind one (lib/metrics). */
  metrics?: Pick<Metrics, "rateLimitDecision" | "rateLimitFailure">;
}

export interface RateLimiter {
  /** Counts one request for `key` under `policy`; never rejects, never waits past the timeout. */
  limit(policy: RateLimitPolicy, key: string): Promise<RateLimitDecision>;
  /**
   * Makes one throw-away decision with a generous timeout, at server start: it opens the
   * connection and loads the Lua script into Redis, which can take longer than a decision's
   * timeout on a cold, busy server — and the first sign-ins after a deploy would be refused
   * ("try again shortly") for it. Never rejects.
   */
  warmUp(timeoutMs?: number): Promise<boolean>;
}

/**
 * The longest any decision waits, however busy this process is: 4 × the timeout (200 ms with
 * the default 50 ms). No deadline is set past it; a loop blocked beyond it decides at its
 * first turn after. See lib/timeout.ts for when a decision waits past the timeout at all.
 */
export function maxDecisionWaitMs(timeoutMs: number): number {
  return 4 * timeoutMs;
}

export function createRateLimiter(deps: RateLimiterDeps): RateLimiter {
  const {
    backend,
    now,
    logger,
    settings,
    keyPrefix = DEFAULT_RATE_LIMIT_PREFIX,
    failClosedRetryAfterSeconds = DEFAULT_FAIL_CLOSED_RETRY_AFTER_SECONDS,
    metrics,
  } = deps;
  const incidents = createIncidentTracker({
    now,
    logger,
    openedMessage:
      "Rate limiting is unavailable: the global and Telegram limits let requests through, " +
      "sign-in, sign-up and mail are refused until it is back",
    recoveredMessage: "Rate limiting is working again",
    data: { backend: backend.kind },
  });

  return {
    async warmUp(timeoutMs = 5_000) {
      try {
        // Already generous, and server start waits for it: no extension on a busy loop.
        await withTimeout(
          backend.limit(`${keyPrefix}:warm-up`, "warm-up", { limit: 1, windowMs: 1_000 }),
          timeoutMs,
          { maxWaitMs: timeoutMs },
        );
        return true;
      } catch (error) {
        logger.warn("rate limiter warm-up failed", { backend: backend.kind, error: String(error) });
        return false;
      }
    },
    async limit(policy, key) {
      const rule = Object.hasOwn(FAILURE_MODE, policy) ? settings[policy] : undefined;
      // A policy name that does not exist is a bug in the caller, not an outage to paper over.
      if (!rule) throw new TypeError(`Unknown rate-limit policy: ${String(policy)}`);
      const { namespace, id } = rateLimitKey(policy, key, keyPrefix);
      try {
        const result = await withTimeout(backend.limit(namespace, id, rule), settings.timeoutMs, {
          maxWaitMs: maxDecisionWaitMs(settings.timeoutMs),
        });
        incidents.succeeded();
        const decision = decisionFromResult(result, now());
        metrics?.rateLimitDecision(policy, decision.allowed ? "allowed" : "limited");
        return decision;
      } catch (error) {
        incidents.failed(error, { policy, timeoutMs: settings.timeoutMs });
        const decision = failureDecision(policy, rule, now(), failClosedRetryAfterSeconds);
        metrics?.rateLimitFailure(policy, error instanceof TimeoutError ? "timeout" : "error");
        metrics?.rateLimitDecision(policy, decision.allowed ? "failed_open" : "failed_closed");
        return decision;
      }
    },
  };
}
