// The Telegram feature assembled: the bot, its webhook handler and its outbox channel, built
// from settings by the composition root (lib/root), which also registers `alertHook` with
// the security-event hooks and hands `channel` to the shared outbox (lib/notifications).
// Nothing here is global: the root keeps the one instance.
import type { Database } from "@/lib/db";
import type { Settings } from "@/lib/env";
import type { Logger } from "@/lib/logger";
import type { Metrics } from "@/lib/metrics";
import type { RateLimiter } from "@/lib/rate-limit";
import type { RedisStore } from "@/lib/redis";
import type { AfterRecordHook } from "@/lib/security/events";
import type { LinkSealer } from "@/lib/security/sealed-link";
import { createBot } from "@/lib/telegram/bot";
import type { ChannelSender } from "@/lib/notifications/outbox";
import { alertHook, telegramChannel, type AlertSender } from "@/lib/telegram/outbox";
import { createTelegramWebhook } from "@/lib/telegram/webhook";

export interface TelegramService {
  webhook: ReturnType<typeof createTelegramWebhook>;
  /** The outbox's sender of TELEGRAM rows. */
  channel: ChannelSender;
  /** Queues alerts inside security events' transactions; the root registers it. */
  alertHook: AfterRecordHook;
  botUsername: string;
}

export interface TelegramDeps {
  settings: NonNullable<Settings["telegram"]>;
  appUrl: string;
  database: Database;
  redis: RedisStore;
  limiter: RateLimiter;
  logger: Logger;
  /** Every security-event hook (this feature's alertHook among them), for what the bot records. */
  afterRecord: AfterRecordHook;
  /** Delivers due outbox rows once the current response has gone (lib/notifications). */
  deliverSoon: () => void;
  /** Opens the sealed link of a password-reset copy (the mail's sealer). */
  sealer: LinkSealer;
  /**
   * Keeps work going after the current response has gone (next/server's after()). Throws
   * outside a request, where the work runs at once instead.
   */
  runAfter: (work: Promise<unknown> | (() => Promise<unknown>)) => void;
  /** The webhook's answer times (lib/metrics). */
  metrics?: Pick<Metrics, "webhookAnswered">;
}

export function createTelegram(deps: TelegramDeps): TelegramService {
  const { settings, logger } = deps;
  const prisma = deps.database.prisma;
  const log = logger.child({ feature: "telegram" });

  const { deliverSoon } = deps;
  // The outbox sends through the bot's API, and the bot queues notes through the outbox:
  // the sender looks the bot up when it is first used, after both exist.
  const sender: AlertSender = {
    sendMessage: (chatId, text, other) => bot.api.sendMessage(chatId, text, other),
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
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    }),
    channel: telegramChannel(prisma, sender, deps.sealer),
    alertHook: alertHook({ deliverSoon }),
    botUsername: settings.botUsername,
  };
}
