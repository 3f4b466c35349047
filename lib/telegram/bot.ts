// The Telegram bot: one grammY Composer per feature behind one error boundary. The same bot
// serves the webhook (app/api/telegram/route.ts) and long polling in development
// (scripts/bot-dev.ts); only how updates arrive differs.
//
// Features:
// - linking: `/start <token>` links the chat (link-tokens.ts), `/start` alone explains how,
//   `/unlink` disconnects;
// - sessions: `/sessions` lists the account's active devices;
// - alerts: the buttons under an alert — "It was me" and "Not me — sign out everywhere" —
//   act only when pressed in the chat linked to the alert's account, and the bot edits its
//   own message to say what was done;
// - help, and a reaction plus a one-line hint for anything else.
// The bot never deletes messages.
import { Bot, Composer, GrammyError, type Context } from "grammy";
import type { UserFromGetMe } from "grammy/types";

import { DURATION_DEFAULTS } from "@/lib/env";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { Logger } from "@/lib/logger";
import { listSessions, revokeAllSessions } from "@/lib/auth/sessions";
import type { AfterRecordHook } from "@/lib/security/events";
import { describeDevice, relativeTime } from "@/lib/security/presenter";
import { ALERT_CALLBACK, answeredAlertText } from "@/lib/telegram/alerts";
import { linkChatWithToken, unlinkTelegram, userForChat } from "@/lib/telegram/link-tokens";

export interface BotDeps {
  token: string;
  /** Bot API root: Telegram's, or a local fake in tests (settings.telegram.apiRoot). */
  apiRoot: string;
  /** Known in tests; otherwise grammY asks getMe once. */
  botInfo?: UserFromGetMe;
  prisma: PrismaClient;
  logger: Pick<Logger, "info" | "warn" | "error">;
  /** Where people manage their account (APP_URL). */
  appUrl: string;
  /** Queues alerts for events the bot records (outbox.ts alertHook). */
  afterRecord?: AfterRecordHook;
  /** Delivers queued alerts soon (after the update is answered). */
  deliverSoon: () => void;
  now?: () => Date;
  /** Longest a single Bot API call may take (settings.telegram.apiTimeoutSeconds; default
   *  TELEGRAM_API_TIMEOUT_SECONDS's). */
  apiTimeoutSeconds?: number;
}

export const BOT_COMMANDS = [
  { command: "sessions", description: "Your signed-in devices" },
  { command: "unlink", description: "Stop alerts in this chat" },
  { command: "help", description: "What this bot does" },
] as const;

/** Reactions are from Telegram's allowed list (ReactionTypeEmoji). */
const REACTION_OK = "👍";
const REACTION_UNKNOWN = "🤔";

function helpText(appUrl: string): string {
  return [
    "I tell you about every sign-in to your Gatehouse account, and let you sign out everywhere if it wasn't you.",
    "",
    "/sessions — your signed-in devices",
    "/unlink — stop alerts in this chat",
    "/help — this message",
    "",
    `Connect or disconnect from your account page: ${appUrl}/account`,
  ].join("\n");
}

/** True when Telegram refused an edit because nothing changed (a double tap). */
function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.description.includes("message is not modified");
}

export function createBot(deps: BotDeps): Bot {
  const now = deps.now ?? (() => new Date());
  const { prisma, logger, appUrl } = deps;
  const bot = new Bot(deps.token, {
    client: {
      apiRoot: deps.apiRoot,
      timeoutSeconds: deps.apiTimeoutSeconds ?? DURATION_DEFAULTS.telegramApiTimeoutSeconds,
    },
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
  });

  // ---- linking -------------------------------------------------------------------------
  const linking = new Composer<Context>();
  linking.command("start", async (ctx) => {
    const chat = ctx.chat;
    const token = ctx.match.trim();
    if (token === "") {
      const linked = await userForChat(prisma, chat.id);
      await ctx.reply(
        linked
          ? `This chat gets sign-in alerts for ${linked.accountName}.\n\n/sessions lists your devices, /unlink stops the alerts.`
          : `To get sign-in alerts here, open your account page, press "Connect Telegram" and follow the link: ${appUrl}/account`,
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
      const why =
        result.reason === "expired"
          ? "That link has expired."
          : result.reason === "used"
            ? "That link was already used."
            : "That link is not valid.";
      await ctx.reply(
        `${why} Open your account page and press "Connect Telegram" for a new one: ${appUrl}/account`,
      );
      return;
    }
    logger.info("telegram chat linked", { userId: result.userId });
    await ctx.reply(
      `Connected to ${result.accountName}. You'll get a message here for every sign-in, with a button to sign out everywhere if it wasn't you.\n\n/help shows what else I can do.`,
    );
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
      `Disconnected from ${linked.accountName}. No more alerts here; connect again from your account page: ${appUrl}/account`,
    );
  });

  // ---- sessions ------------------------------------------------------------------------
  const sessions = new Composer<Context>();
  sessions.command("sessions", async (ctx) => {
    const linked = await userForChat(prisma, ctx.chat.id);
    if (!linked) {
      await ctx.reply(
        `This chat isn't connected. Connect it from your account page: ${appUrl}/account`,
      );
      return;
    }
    const at = now();
    const active = await listSessions(prisma, { userId: linked.userId, now: at });
    if (active.length === 0) {
      await ctx.reply(`No device is signed in to ${linked.accountName}.`);
      return;
    }
    const lines = active.map(
      (s) =>
        `• ${describeDevice(s.userAgent)} — ${s.ip ?? "unknown IP"} — last seen ${relativeTime(s.lastSeenAt, at)}`,
    );
    const count = `${active.length} signed-in ${active.length === 1 ? "device" : "devices"}`;
    await ctx.reply(`${count} for ${linked.accountName}:\n\n${lines.join("\n")}`);
  });

  // ---- alerts' buttons -----------------------------------------------------------------
  const alerts = new Composer<Context>();
  alerts.callbackQuery(ALERT_CALLBACK, async (ctx) => {
    const [, answer, notificationId] = ctx.match;
    const message = ctx.callbackQuery.message;
    const chatId = message?.chat.id;
    const notification = notificationId
      ? await prisma.notificationOutbox.findUnique({
          where: { id: notificationId },
          select: { userId: true, externalId: true },
        })
      : null;
    const linked = chatId === undefined ? null : await userForChat(prisma, chatId);
    // Only the chat linked to the alert's account, on the alert's own message, can act: a
    // forwarded or forged callback from anywhere else changes nothing.
    const mine =
      message !== undefined &&
      notification !== null &&
      linked?.userId === notification.userId &&
      notification.externalId === String(message.message_id);
    if (!mine || !linked) {
      await ctx.answerCallbackQuery({
        text: "This alert isn't for this chat, so nothing was changed.",
        show_alert: true,
      });
      return;
    }
    const original = "text" in message && typeof message.text === "string" ? message.text : "";
    if (answer === "ok") {
      await ctx.editMessageText(answeredAlertText(original, { kind: "ok" })).catch((error) => {
        if (!isNotModified(error)) throw error;
      });
      await ctx.answerCallbackQuery({ text: "Thanks — noted." });
      return;
    }
    const revoked = await revokeAllSessions(prisma, {
      userId: linked.userId,
      now: now(),
      reason: "signed out everywhere from Telegram (“Not me”)",
      context: { userAgent: "Telegram bot" },
    });
    logger.warn("all sessions revoked from telegram", { userId: linked.userId, revoked });
    await ctx
      .editMessageText(answeredAlertText(original, { kind: "revoked", sessions: revoked }))
      .catch((error) => {
        if (!isNotModified(error)) throw error;
      });
    await ctx.answerCallbackQuery({ text: "Signed out everywhere.", show_alert: true });
  });

  // ---- help and everything else --------------------------------------------------------
  const help = new Composer<Context>();
  help.command("help", (ctx) => ctx.reply(helpText(appUrl)));

  const fallback = new Composer<Context>();
  fallback.on("message", async (ctx) => {
    await ctx.react(REACTION_UNKNOWN);
    await ctx.reply("I only understand /sessions, /unlink and /help.");
  });
  // Every callback query gets an answer, or the button spins on the person's phone.
  fallback.on("callback_query", (ctx) => ctx.answerCallbackQuery());

  // Alerts and sessions are personal: in a group the bot stays silent (BotFather's
  // /setjoingroups can also keep it out of groups altogether).
  bot.use(async (ctx, next) => {
    if (ctx.chat && ctx.chat.type !== "private") return;
    await next();
  });

  // ---- one error boundary for all of them ----------------------------------------------
  bot
    .errorBoundary(async (error) => {
      logger.error("telegram update failed", {
        updateId: error.ctx.update.update_id,
        error: error.error,
      });
      // Best effort: the person should not be left without an answer.
      const reply = error.ctx.callbackQuery
        ? error.ctx.answerCallbackQuery({ text: "Something went wrong. Please try again." })
        : error.ctx.chat
          ? error.ctx.reply("Something went wrong on our side. Please try again in a moment.")
          : Promise.resolve();
      await reply.catch(() => undefined);
    })
    .use(linking, sessions, alerts, help, fallback);

  return bot;
}
