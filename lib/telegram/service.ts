// The Telegram half of the composition root: the bot, its webhook handler and the alert
// outbox, built once from settings (null when no bot is configured).
import "server-only";
import { after } from "next/server";

import { getServices } from "@/lib/services";
import type { AfterRecordHook } from "@/lib/security/events";
import { createBot } from "@/lib/telegram/bot";
import {
  alertHook,
  createOutboxDelivery,
  type AlertSender,
  type OutboxDelivery,
} from "@/lib/telegram/outbox";
import { createTelegramWebhook } from "@/lib/telegram/webhook";

export interface TelegramService {
  webhook: ReturnType<typeof createTelegramWebhook>;
  delivery: OutboxDelivery;
  /** Queues alerts inside security events' transactions. */
  afterRecord: AfterRecordHook;
  /** Delivers due alerts once the current response has gone (or now, outside a request). */
  deliverSoon: () => void;
  botUsername: string;
}

const globalForTelegram = globalThis as typeof globalThis & {
  gatehouseTelegram?: TelegramService | null;
};

export function getTelegram(): TelegramService | null {
  if (globalForTelegram.gatehouseTelegram !== undefined) return globalForTelegram.gatehouseTelegram;
  const { settings, logger, database, redis, limiter } = getServices();
  const telegram = settings.telegram;
  if (!telegram) {
    globalForTelegram.gatehouseTelegram = null;
    return null;
  }
  const prisma = database.prisma;
  const log = logger.child({ feature: "telegram" });

  // The outbox sends through the bot's API, and the bot queues alerts through the outbox:
  // the sender looks the bot up when it is first used, after both exist.
  const sender: AlertSender = {
    sendMessage: (chatId, text, other) => bot.api.sendMessage(chatId, text, other),
  };
  const delivery = createOutboxDelivery({
    prisma,
    sender,
    logger: log,
    maxAttempts: settings.outbox.maxAttempts,
  });
  const run = () => {
    delivery
      .deliverDue()
      .catch((error: unknown) => log.error("telegram alert delivery failed", { error }));
  };
  const deliverSoon = () => {
    try {
      // After the response: the request that caused the alert never waits for Telegram.
      after(run);
    } catch {
      // Outside a request (the sweeper's interval): there is no response to wait for.
      run();
    }
  };
  const afterRecord = alertHook({ deliverSoon });
  const bot = createBot({
    token: telegram.botToken,
    apiRoot: telegram.apiRoot,
    apiTimeoutSeconds: telegram.apiTimeoutSeconds,
    prisma,
    logger: log,
    appUrl: settings.appUrl,
    afterRecord,
    deliverSoon,
  });
  const service: TelegramService = {
    webhook: createTelegramWebhook({
      bot,
      secret: telegram.webhookSecret,
      redis,
      limiter,
      logger: log,
      ackBudgetMs: telegram.ackBudgetMs,
      handlerTimeoutMs: telegram.handlerTimeoutMs,
      // Replies that outlast the acknowledgement finish after the response.
      runAfter: (work) => after(work),
    }),
    delivery,
    afterRecord,
    deliverSoon,
    botUsername: telegram.botUsername,
  };
  globalForTelegram.gatehouseTelegram = service;
  return service;
}

/** The hook for callers that record security events; a no-op without a bot. */
export const telegramAfterRecord: AfterRecordHook = async (tx, event) => {
  await getTelegram()?.afterRecord(tx, event);
};
