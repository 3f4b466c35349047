// The buttons under a sign-in approval request ("Approve", "Deny"; lib/auth/sign-in-
// approval.ts): the chat's answer is recorded only when pressed in the chat that was asked
// and is linked to the account now, once, before the request expires. The bot then edits
// its message to say what was done (its buttons go) and answers the button with a toast; a
// later press of the same message only gets the toast. A press from any other chat changes
// nothing, and its message stays as it is.
import { Composer, type Context } from "grammy";

import { answerApproval, type AnswerApprovalResult } from "@/lib/auth/sign-in-approval";
import type { AfterRecordHook } from "@/lib/security/events";
import { SIGN_IN_APPROVAL_ANSWERS, SIGN_IN_APPROVAL_CALLBACK } from "@/lib/telegram/alerts";
import { editAlert } from "@/lib/telegram/features/alert-buttons";
import type { FeatureDeps } from "@/lib/telegram/features/deps";

export interface SignInApprovalDeps extends FeatureDeps {
  /** Queues the SIGN_IN_DENIED alert (outbox.ts alertHook). */
  afterRecord?: AfterRecordHook;
}

/** The toast for a request that no longer exists (used up, cancelled, swept). */
export const APPROVAL_GONE_TEXT = "This sign-in request no longer exists.";

function toast(result: AnswerApprovalResult): string {
  return result === "unknown" ? APPROVAL_GONE_TEXT : SIGN_IN_APPROVAL_ANSWERS[result];
}

export function signInApprovalFeature(deps: SignInApprovalDeps): Composer<Context> {
  const { prisma, logger, now } = deps;
  const approval = new Composer<Context>();
  approval.callbackQuery(SIGN_IN_APPROVAL_CALLBACK, async (ctx) => {
    const [, answer, approvalId] = ctx.match;
    const chatId = ctx.callbackQuery.message?.chat.id;
    const result: AnswerApprovalResult =
      chatId === undefined || approvalId === undefined
        ? "wrong-chat"
        : await answerApproval(prisma, {
            approvalId,
            chatId,
            answer: answer === "approve" ? "approve" : "deny",
            now: now(),
            context: { userAgent: "Telegram bot" },
            afterRecord: deps.afterRecord,
          });
    if (result === "approved" || result === "denied") {
      logger.info("sign-in approval answered from telegram", { result });
    }
    // Only the asked chat's own message is edited, and only to say what this press did (or
    // that time ran out): a second press must not replace "Approved" with "Already
    // answered". Another chat's press, and a request that no longer exists (whose chat
    // cannot be checked), leave every message as it is.
    if (result === "approved" || result === "denied" || result === "expired") {
      await editAlert(ctx, SIGN_IN_APPROVAL_ANSWERS[result], logger);
    }
    await ctx.answerCallbackQuery({
      text: toast(result),
      ...(result === "wrong-chat" ? { show_alert: true } : {}),
    });
  });
  return approval;
}
