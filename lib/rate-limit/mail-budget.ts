// The mail budget: may this request send a mail? Every request that sends one (sign-up's
// "check your inbox", a resend, forgot-password, a change of address) asks first, so nobody
// can use Gatehouse to flood an inbox, or flood everyone's from one address.
//
// Two limits, both counted on every ask (docs/protection.md, "Mail"):
// - mailAddress — per address typed, normalized (lib/email.ts). Keyed on what was typed,
//   never on whether an account uses it: the decision, its timing and its Redis key are the
//   same for a stranger's address and a member's, so the limit reveals nothing about who
//   has an account.
// - mailIp — per client IP (an IPv6 /64), against one source spraying many addresses.
// Both are asked at once and both count, even when one refuses: one round trip, and a
// Retry-After that is the longest wait of the two, so waiting it out is always enough.
// Both fail CLOSED: while Redis is down no mail is sent and the person is asked to try
// again in a few seconds — a mail bomb is worse than a short wait.
import type { RateLimitDecision } from "@/lib/rate-limit/decisions";
import type { RateLimiter } from "@/lib/rate-limit/limiter";

export type MailBudget =
  | { allowed: true }
  | {
      allowed: false;
      /** Whole seconds until asking again can succeed (at least 1): the Retry-After. */
      retryAfterSeconds: number;
      /** The limiter could not reach its backend (fail-closed): "try again shortly", not
       *  "too many requests". */
      unavailable: boolean;
    };

export interface MailBudgetRequest {
  /** The address as typed; normalized here. */
  email: string;
  /** The client's address, or null when unknown (all unknown clients share one bucket). */
  ip: string | null;
}

/** Counts one mail for the address and the client and says whether it may be sent. */
export async function checkMailBudget(
  limiter: Pick<RateLimiter, "limit">,
  request: MailBudgetRequest,
): Promise<MailBudget> {
  const decisions = await Promise.all([
    limiter.limit("mailAddress", request.email),
    limiter.limit("mailIp", request.ip ?? "unknown"),
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
