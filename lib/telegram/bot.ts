// The Telegram bot: one grammY Composer per feature (lib/telegram/features/) behind one error
// boundary. The same bot serves the webhook (app/api/telegram/route.ts) and long polling in
// development (scripts/bot-dev.ts); only how updates arrive differs.
//
// Features:
// - linking: `/start <token>` links the chat, `/start` alone explains how, `/unlink`
//   disconnects (features/linking.ts);
// - sessions: `/sessions` lists the account's active devices (features/sessions.ts);
// - alerts: the buttons under an alert — "It was me" and "Not me — sign out everywhere" —
//   act only when pressed in the chat linked to the alert's account, and the bot edits its
//   own message to say what was done (features/alert-buttons.ts);
// - sign-in approval: "Approve" and "Deny" under a sign-in waiting for the chat's answer,
//   which act once, only in the chat asked and linked to the account now
//   (features/sign-in-approval.ts, lib/auth/sign-in-approval.ts);
// - help, and a reaction plus a one-line hint for anything else (features/help.ts,
//   features/fallback.ts).
// The bot never deletes messages.
import { Bot } from "grammy";
import type { UserFromGetMe } from "grammy/types";

import { DURATION_DEFAULTS } from "@/lib/env";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { Logger } from "@/lib/logger";
import { currentRequestId, runInRequestScope } from "@/lib/request-scope";
import type { AfterRecordHook } from "@/lib/security/events";
import { alertButtonsFeature } from "@/lib/telegram/features/alert-buttons";
import { fallbackFeature } from "@/lib/telegram/features/fallback";
import { helpFeature } from "@/lib/telegram/features/help";
import { linkingFeature } from "@/lib/telegram/features/linking";
import { sessionsFeature } from "@/lib/telegram/features/sessions";
import { signInApprovalFeature } from "@/lib/telegram/features/sign-in-approval";

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

export function createBot(deps: BotDeps): Bot {
  const { logger } = deps;
  const features = { ...deps, now: deps.now ?? (() => new Date()) };
  const bot = new Bot(deps.token, {
    client: {
      apiRoot: deps.apiRoot,
      timeoutSeconds: deps.apiTimeoutSeconds ?? DURATION_DEFAULTS.telegramApiTimeoutSeconds,
    },
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
  });

  // Through the webhook an update runs in its HTTP request's scope, whose id the response
  // carries. Long polling (npm run bot:dev) has no request: each update gets a scope of its
  // own, named after it, so its lines can still be found together.
  bot.use((ctx, next) =>
    currentRequestId() === undefined
      ? runInRequestScope(`telegram-update-${ctx.update.update_id}`, next)
      : next(),
  );

  // Alerts and sessions are personal: in a group the bot stays silent (BotFather's
  // /setjoingroups can also keep it out of groups altogether).
  bot.use(async (ctx, next) => {
    if (ctx.chat && ctx.chat.type !== "private") return;
    await next();
  });

  // One error boundary for all of them.
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
    .use(
      linkingFeature(features),
      sessionsFeature(features),
      alertButtonsFeature(features),
      signInApprovalFeature(features),
      helpFeature(features),
      // Last: it answers whatever the others left.
      fallbackFeature(),
    );

  return bot;
}
