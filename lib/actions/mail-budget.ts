// The account page's actions that send mail ask the mail budget first (lib/rate-limit/
// mail-budget.ts) and, when it refuses, answer with one of two messages: the limiter being
// unreachable is "try again shortly", not the person's fault; a spent budget says how long
// to wait. Sign-up and forgot-password answer through their own forms' refusal shapes.
import { returnServerError } from "next-safe-action";

import {
  checkMailBudget,
  type MailBudget,
  type MailBudgetRequest,
} from "@/lib/rate-limit/mail-budget";
import type { RateLimiter } from "@/lib/rate-limit/limiter";
import { waitInWords } from "@/lib/security/password-guard";

export const MAIL_UNAVAILABLE_MESSAGE = "We can't send mail right now. Please try again shortly.";

/** The answer to a refused mail budget. */
export function mailBudgetMessage(budget: Extract<MailBudget, { allowed: false }>): string {
  return budget.unavailable
    ? MAIL_UNAVAILABLE_MESSAGE
    : `Too many mails asked for. Please wait ${waitInWords(budget.retryAfterSeconds)} and try again.`;
}

/** Counts one mail against the budget; ends the action with the refusal's message if spent. */
export async function requireMailBudget(
  limiter: Pick<RateLimiter, "limit">,
  request: MailBudgetRequest,
): Promise<void> {
  const budget = await checkMailBudget(limiter, request);
  if (!budget.allowed) returnServerError(mailBudgetMessage(budget));
}
