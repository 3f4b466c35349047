// A decision as HTTP response headers (proxy.ts, sign-in and sign-up refusals, the webhook).
import { secondsUntil, type RateLimitDecision } from "@/lib/rate-limit/decisions";

/**
 * Response headers for a decision, as of `now`: `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` (seconds until the quota is back, as draft-ietf-httpapi-ratelimit-headers
 * defines it — not a timestamp), plus `Retry-After` (seconds, RFC 9110) when refused. For a
 * refusal both count to the same instant, the first at which the next request is allowed
 * (decision.resetAt), rounded up.
 *
 * A decision the failure mode made has no counts to report: one that failed open gets no
 * headers (advertising a full quota would be made up), one that failed closed only
 * `Retry-After`.
 */
export function rateLimitHeaders(decision: RateLimitDecision, now: number): Record<string, string> {
  if (decision.failure === "open") return {};
  const headers: Record<string, string> = {};
  if (decision.failure === undefined) {
    headers["RateLimit-Limit"] = String(decision.limit);
    headers["RateLimit-Remaining"] = String(decision.remaining);
    headers["RateLimit-Reset"] = String(secondsUntil(decision.resetAt, now));
  }
  if (!decision.allowed) {
    headers["Retry-After"] = String(Math.max(1, secondsUntil(decision.resetAt, now)));
  }
  return headers;
}
