// Linking: `/start <token>` links the chat (link-tokens.ts), `/start` alone explains how,
// `/unlink` disconnects.
import { Composer, type Context } from "grammy";

import type { AfterRecordHook } from "@/lib/security/events";
import { connectedText } from "@/lib/telegram/alerts";
import { accountPage, type FeatureDeps } from "@/lib/telegram/features/deps";
import {
  linkChatWithToken,
  unlinkTelegram,
  userForChat,
  type LinkResult,
} from "@/lib/telegram/link-tokens";

/** From Telegram's allowed list (ReactionTypeEmoji). */
const REACTION_OK = "👍";

export interface LinkingDeps extends FeatureDeps {
  /** Queues alerts for events the bot records (outbox.ts alertHook). */
  afterRecord?: AfterRecordHook;
  /** Delivers queued alerts soon (after the update is answered). */
  deliverSoon: () => void;
}

function refusedLinkText(reason: Extract<LinkResult, { ok: false }>["reason"], appUrl: string) {
  const why =
    reason === "expired"
      ? "That link has expired."
      : reason === "used"
        ? "That link was already used."
        : "That link is not valid.";
  return `${why} Open your account page and press "Connect Telegram" for a new one: ${accountPage(appUrl)}`;
}

export function linkingFeature(deps: LinkingDeps): Composer<Context> {
  const { prisma, logger, appUrl, now } = deps;
  const linking = new Composer<Context>();

  linking.command("start", async (ctx) => {
    const chat = ctx.chat;
    const token = ctx.match.trim();
    if (token === "") {
      const linked = await userForChat(prisma, chat.id);
      await ctx.reply(
        linked
          ? `This chat gets sign-in alerts for ${linked.accountName}.\n\n/sessions lists your devices, /unlink stops the alerts.`
          : `To get sign-in alerts here, open your account page, press "Connect Telegram" and follow the link: ${accountPage(appUrl)}`,
      );
      return;
    }
    const result = await linkChatWithToken(prisma, {
      token,
      chat: {
        chatId: chat.id,
        telegramUserId: ctx.from?.id ?? chat.id,
        username: ctx.from?.username ?? null,
      },
      now: now(),
      afterRecord: deps.afterRecord,
    });
    if (!result.ok) {
      await ctx.reply(refusedLinkText(result.reason, appUrl));
      return;
    }
    logger.info("telegram chat linked", { userId: result.userId });
    await ctx.reply(connectedText(result.accountName));
    await ctx.react(REACTION_OK);
    // The chat this replaced is told (queued by linkChatWithToken).
    if (result.replacedChatId !== null) deps.deliverSoon();
  });

  linking.command("unlink", async (ctx) => {
    const linked = await userForChat(prisma, ctx.chat.id);
    if (!linked) {
      await ctx.reply("This chat isn't connected to an account.");
      return;
    }
    await unlinkTelegram(prisma, { userId: linked.userId, now: now(), via: "bot" });
    await ctx.reply(
      `Disconnected from ${linked.accountName}. No more alerts here; connect again from your account page: ${accountPage(appUrl)}`,
    );
  });

  return linking;
}
