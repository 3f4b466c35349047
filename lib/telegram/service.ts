// The Telegram feature assembled: the bot, its webhook handler and the alert outbox, built
// from settings by the composition root (lib/root), which also registers `alertHook` with
// the security-event hooks. Nothing here is global: the root keeps the one instance.
import type { Database } from "@/lib/db";
import type { Settings } from "@/lib/env";
import type { Logger } from "@/lib/logger";
import type { RateLimiter } from "@/lib/rate-limit";
import type { RedisStore } from "@/lib/redis";
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
  /** Queues alerts inside security events' transactions; the root registers it. */
  alertHook: AfterRecordHook;
  /** Delivers due alerts once the current response has gone (or now, outside a request). */
  deliverSoon: () => void;
  botUsername: string;
}

export interface TelegramDeps {
  settings: NonNullable<Settings["telegram"]>;
  appUrl: string;
  maxAttempts: number;
  database: Database;
  redis: RedisStore;
  limiter: RateLimiter;
  logger: Logger;
  /** Every security-event hook (this feature's alertHook among them), for what the bot records. */
  afterRecord: AfterRecordHook;
  /**
   * Keeps work going after the current response has gone (next/server's after()). Throws
   * outside a request, where the work runs at once instead.
   */
  runAfter: (work: Promise<unknown> | (() => Promise<unknown>)) => void;
}

export function createTelegram(deps: TelegramDeps): TelegramService {
  const { settings, logger } = deps;
  const prisma = deps.database.prisma;
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
    maxAttempts: deps.maxAttempts,
  });
  const run = async () => {
    await delivery
      .deliverDue()
      .catch((error: unknown) => log.error("telegram alert delivery failed", { error }));
  };
  const deliverSoon = () => {
    try {
      // After the response: the request that caused the alert never waits for Telegram.
      deps.runAfter(run);
    } catch {
      // Outside a request (the sweeper's interval): there is no response to wait for.
      void run();
    }
  };
  const bot = createBot({
    token: settings.botToken,
    apiRoot: settings.apiRoot,
    apiTimeoutSeconds: settings.apiTimeoutSeconds,
    prisma,
    logger: log,
    appUrl: deps.appUrl,
    afterRecord: deps.afterRecord,
    deliverSoon,
  });
  return {
    webhook: createTelegramWebhook({
      bot,
      secret: settings.webhookSecret,
      redis: deps.redis,
      limiter: deps.limiter,
      logger: log,
      ackBudgetMs: settings.ackBudgetMs,
      handlerTimeoutMs: settings.handlerTimeoutMs,
      // Replies that outlast the acknowledgement finish after the response.
      runAfter: deps.runAfter,
    }),
    delivery,
    alertHook: alertHook({ deliverSoon }),
    deliverSoon,
    botUsername: settings.botUsername,
  };
}
