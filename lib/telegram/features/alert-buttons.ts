// The buttons under an alert — "It was me" and "Not me — sign out everywhere" — act only
// when pressed in the chat linked to the alert's account (alert-answers.ts), and the bot
// edits its own message to say what was done. The bot never deletes messages.
import { Composer, GrammyError, type Context } from "grammy";

import { alertAnswerer, signOutEverywhereFromAlert } from "@/lib/telegram/alert-answers";
import { ALERT_CALLBACK, answeredAlertText } from "@/lib/telegram/alerts";
import type { FeatureDeps } from "@/lib/telegram/features/deps";
import type { Logger } from "@/lib/logger";

/** True when Telegram refused an edit because nothing changed (a double tap). */
function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.description.includes("message is not modified");
}

/**
 * Edits the pressed message to say what was done. Never fails the press: what the button
 * did is done by then (sessions revoked, a sign-in approved or refused), and the person
 * must still get the toast that says so. A message deleted in the meantime, or Telegram
 * refusing the edit, is logged instead; a double tap's "not modified" is no failure at all.
 */
export async function editAlert(
  ctx: Context,
  text: string,
  logger: Pick<Logger, "warn">,
): Promise<void> {
  await ctx.editMessageText(text).catch((error: unknown) => {
    if (!isNotModified(error)) logger.warn("could not edit the answered message", { error });
  });
}

export function alertButtonsFeature(deps: FeatureDeps): Composer<Context> {
  const { prisma, logger, now } = deps;
  const alerts = new Composer<Context>();
  alerts.callbackQuery(ALERT_CALLBACK, async (ctx) => {
    const [, answer, notificationId] = ctx.match;
    const message = ctx.callbackQuery.message;
    const linked = await alertAnswerer(prisma, {
      notificationId: notificationId ?? "",
      chatId: message?.chat.id,
      messageId: message?.message_id,
    });
    if (!linked || !message) {
      await ctx.answerCallbackQuery({
        text: "This alert isn't for this chat, so nothing was changed.",
        show_alert: true,
      });
      return;
    }
    const original = "text" in message && typeof message.text === "string" ? message.text : "";
    if (answer === "ok") {
      await editAlert(ctx, answeredAlertText(original, { kind: "ok" }), logger);
      await ctx.answerCallbackQuery({ text: "Thanks — noted." });
      return;
    }
    const revoked = await signOutEverywhereFromAlert(prisma, { userId: linked.userId, now: now() });
    logger.warn("all sessions revoked from telegram", { userId: linked.userId, revoked });
    await editAlert(
      ctx,
      answeredAlertText(original, { kind: "revoked", sessions: revoked }),
      logger,
    );
    await ctx.answerCallbackQuery({ text: "Signed out everywhere.", show_alert: true });
  });
  return alerts;
}
