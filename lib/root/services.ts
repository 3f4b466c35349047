// The composition root: the one place that turns settings into every real dependency —
// database, Redis, rate limiter, password guard (the proxy's slice, ./protection.ts), the
// security-event hooks and the features that register on them (Telegram), and the
// notification outbox every channel (Telegram, mail) delivers through. Route handlers,
// server actions and pages call getServices(); services themselves receive what they need
// as arguments, so tests wire real test infrastructure instead.
//
// Also here: the Auth.js instance (./auth.ts) and what runs at server start (./start.ts).
// Nothing below lib/root imports lib/root.
//
// This file builds; ./index.ts keeps the one instance. No `import "server-only"` here, so
// the integration tests can build the same graph (the marker throws outside Next).
import { createSecondFactorKeys, type SecondFactorKeys } from "@/lib/auth/second-factor";
import { createDatabase, type Database } from "@/lib/db";
import { createMail, type MailService } from "@/lib/mail/service";
import { pendingByChannel, registerOutboxBacklog } from "@/lib/metrics/outbox-backlog";
import { signInMetricsHook } from "@/lib/metrics/sign-ins";
import { channelsOf, type ChannelSenders } from "@/lib/notifications/outbox";
import { createNotifications, type Notifications } from "@/lib/notifications/service";
import { createBroker, type Broker } from "@/lib/queue/broker";
import {
  createEventRelay,
  discardUnpublishedEvents,
  UNPUBLISHED_EVENTS_KEPT_MS,
} from "@/lib/queue/events";
import { createBrokerRelay, createOutboxRelay } from "@/lib/queue/relay";
import type { Protection } from "@/lib/root/protection";
import { createSecurityEventHooks, type AfterRecordHook } from "@/lib/security/events";
import { createTelegram, type TelegramService } from "@/lib/telegram/service";
import { signInSpanHook } from "@/lib/telemetry/sign-in-span";

export interface Services extends Protection {
  database: Database;
  /**
   * Pass to everything that records security events: runs every registered hook in the
   * event's transaction (today the Telegram alert's outbox row).
   */
  afterRecord: AfterRecordHook;
  /** The bot, its webhook and its outbox channel; null when no bot is configured. */
  telegram: TelegramService | null;
  /** The outbox of every channel: its deliverer (for the sweeper) and deliverSoon. */
  notifications: Notifications;
  /** queueMail for the flows (lib/mail/service.ts says what to use). */
  mail: MailService;
  /** RabbitMQ, when AMQP_URL is set (docs/jobs.md); null: the web process delivers. */
  broker: Broker | null;
  /** The senders of every configured channel: what `npm run worker` delivers with. */
  channels: ChannelSenders;
  /**
   * The second factor's keys (TOTP key sealing, recovery-code hashing), derived once from
   * AUTH_SECRET: HKDF per request would be wasted work.
   */
  secondFactorKeys: SecondFactorKeys;
}

export interface ServiceOptions {
  /** Keeps work going after the response: next/server's after() in the app. */
  runAfter: (work: Promise<unknown> | (() => Promise<unknown>)) => void;
}

/** Builds the services on top of a protection slice (no caching: getServices keeps one). */
export function createServices(protection: Protection, options: ServiceOptions): Services {
  const { settings, logger, redis, limiter, metrics } = protection;
  const database = createDatabase(settings.database);
  const securityEvents = createSecurityEventHooks();
  // The channels are looked up when a delivery first runs: both features below need the
  // outbox's deliverSoon to be built, and the outbox needs their senders.
  // With AMQP_URL the outbox's rows go to RabbitMQ (docs/jobs.md); the connection opens
  // now and reconnects by itself, and nothing waits for it.
  const broker = settings.queue
    ? createBroker({ url: settings.queue.url, logger, connectionName: "gatehouse-web" })
    : null;
  const notifications = createNotifications({
    prisma: database.prisma,
    logger,
    maxAttempts: settings.outbox.maxAttempts,
    channels: () => channels,
    runAfter: options.runAfter,
    metrics,
    ...(broker
      ? {
          relay: (senders: ChannelSenders) =>
            createBrokerRelay({
              outbox: createOutboxRelay({
                prisma: database.prisma,
                publisher: broker,
                logger: logger.child({ feature: "outbox-relay" }),
                channels: channelsOf(senders),
              }),
              events: createEventRelay({
                prisma: database.prisma,
                publisher: broker,
                source: settings.appUrl,
                logger: logger.child({ feature: "event-relay" }),
              }),
            }),
        }
      : {
          discardEvents: () =>
            discardUnpublishedEvents(
              database.prisma,
              new Date(Date.now() - UNPUBLISHED_EVENTS_KEPT_MS),
            ),
        }),
  });
  const { deliverSoon } = notifications;
  const mail = createMail({
    settings: settings.mail,
    secret: settings.auth.secret,
    appUrl: settings.appUrl,
    logger,
    deliverSoon,
  });
  const telegram = settings.telegram
    ? createTelegram({
        settings: settings.telegram,
        appUrl: settings.appUrl,
        database,
        redis,
        limiter,
        logger,
        // The bot records events too (a chat connected): it gets every hook, its own included.
        afterRecord: securityEvents.afterRecord,
        deliverSoon,
        // The reset link's chat copy is sealed like the mail's.
        sealer: mail.sealer,
        runAfter: options.runAfter,
        metrics,
      })
    : null;
  const channels: ChannelSenders = {
    ...(telegram ? { TELEGRAM: telegram.channel } : {}),
    ...(mail.channel ? { EMAIL: mail.channel } : {}),
  };
  if (telegram) securityEvents.register(telegram.alertHook);
  // Last: an event whose earlier hooks failed (and rolled it back) is not counted.
  securityEvents.register(signInMetricsHook(metrics));
  if (settings.tracing) securityEvents.register(signInSpanHook());
  // Counted when Prometheus scrapes, within the health check's wait for the database.
  registerOutboxBacklog({
    registry: metrics.registry,
    pending: () => pendingByChannel(database.prisma),
    timeoutMs: settings.health.timeoutMs,
    logger,
  });
  return {
    ...protection,
    database,
    afterRecord: securityEvents.afterRecord,
    telegram,
    notifications,
    mail,
    broker,
    channels,
    secondFactorKeys: createSecondFactorKeys(settings.auth.secret),
  };
}
