// Actions that check a second-factor code ask the code budget first (lib/rate-limit/
// code-budget.ts) and, when it refuses, answer in the password guard's words: the limiter
// being unreachable is "try again shortly", not the person's fault; a spent budget says how
// long to wait.
import { returnServerError } from "next-safe-action";

import {
  checkCodeBudget,
  type CodeBudget,
  type CodeBudgetRequest,
  type RateLimiter,
} from "@/lib/rate-limit";
import { refusalMessage } from "@/lib/security/password-guard";

/** The answer to a refused code budget. */
export function codeBudgetMessage(budget: Extract<CodeBudget, { allowed: false }>): string {
  return refusalMessage(
    {
      reason: budget.unavailable ? "unavailable" : "limited",
      retryAfterSeconds: budget.retryAfterSeconds,
      headers: {},
    },
    "check your code",
  );
}

/** Counts one code against the budget; ends the action with the refusal's message if spent. */
export async function requireCodeBudget(
  limiter: Pick<RateLimiter, "limit">,
  request: CodeBudgetRequest,
): Promise<void> {
  const budget = await checkCodeBudget(limiter, request);
  if (!budget.allowed) returnServerError(codeBudgetMessage(budget));
}
