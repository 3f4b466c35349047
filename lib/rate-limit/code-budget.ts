// The code budget: may this request check a second-factor code? Every code typed (confirming
// an authenticator app on the account page, the sign-in's second step, "Confirm it's you")
// asks first, so a stolen session or a known password is not an unlimited oracle for six digits.
//
// Two limits, both counted on every ask, like the mail budget (mail-budget.ts):
// - secondFactorAccount — per account (its user id), across every address;
// - secondFactorIp — per client IP (an IPv6 /64), against one source trying many accounts.
// Both are asked at once and both count, even when one refuses: one round trip, and a
// Retry-After that is the longest wait of the two, so waiting it out is always enough. Both
// fail CLOSED: while Redis is down no code is checked — a guess that costs nothing is worse
// than a few seconds of "try again".
import type { RateLimitDecision } from "@/lib/rate-limit/decisions";
import type { RateLimiter } from "@/lib/rate-limit/limiter";

export type CodeBudget =
  | { allowed: true }
  | {
      allowed: false;
      /** Whole seconds until asking again can succeed (at least 1): the Retry-After. */
      retryAfterSeconds: number;
      /** The limiter could not reach its backend (fail-closed): "try again shortly". */
      unavailable: boolean;
    };

export interface CodeBudgetRequest {
  /** The account the code is for. */
  userId: string;
  /** The client's address, or null when unknown (all unknown clients share one bucket). */
  ip: string | null;
}

/** Counts one code for the account and the client and says whether it may be checked. */
export async function checkCodeBudget(
  limiter: Pick<RateLimiter, "limit">,
  request: CodeBudgetRequest,
): Promise<CodeBudget> {
  const decisions = await Promise.all([
    limiter.limit("secondFactorAccount", request.userId),
    limiter.limit("secondFactorIp", request.ip ?? "unknown"),
  ]);
  const refused = decisions.filter((decision) => !decision.allowed);
  if (refused.length === 0) return { allowed: true };
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, ...refused.map((decision) => decision.retryAfterSeconds)),
    unavailable: refused.some(isFailClosed),
  };
}

function isFailClosed(decision: RateLimitDecision): boolean {
  return decision.failure === "closed";
}
