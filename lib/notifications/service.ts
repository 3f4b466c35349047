// The outbox's scheduling, shared by every channel: one deliverer for all channels that
// are configured, and `deliverSoon`, which runs it once the current response has gone (or
// at once outside a request: the self-hosted sweeper's interval, scripts). The composition
// root (lib/root) builds the one instance; the sweeper (lib/root/start.ts, the cron route)
// calls `delivery.deliverDue()` too.
//
// With RabbitMQ (AMQP_URL, docs/jobs.md) the same two entry points run the relay instead:
// due rows go to the broker, and `npm run worker` sends them.
import type { Logger } from "@/lib/logger";
import type { Metrics } from "@/lib/metrics";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import {
  createOutboxDelivery,
  type ChannelSenders,
  type OutboxDelivery,
} from "@/lib/notifications/outbox";

/** What a run of due work did, by outcome: the deliverer's or the relay's totals. */
export type DueTotals = Record<string, number>;

export interface DueWork {
  /** Delivers (or hands to the broker) every due row; resolves with what happened. */
  deliverDue(): Promise<DueTotals>;
}

export interface Notifications {
  /** Due rows, delivered or handed to the broker: what a response's after() runs. */
  delivery: DueWork;
  /**
   * What the sweeper and the cron route run: the delivery, plus the upkeep that needs doing
   * now and then rather than after every response (without a broker, old unpublished
   * security events are dropped).
   */
  sweep: DueWork;
  /** Delivers due rows after the current response (or now, outside a request). */
  deliverSoon: () => void;
}

export interface NotificationDeps {
  prisma: PrismaClient;
  logger: Logger;
  maxAttempts: number;
  /**
   * The senders, looked up when a delivery runs: a channel may need the notifications'
   * deliverSoon to be built first (the Telegram bot queues notes itself).
   */
  channels: () => ChannelSenders;
  /**
   * Keeps work going after the current response has gone (next/server's after()). Throws
   * outside a request, where the work runs at once instead.
   */
  runAfter: (work: Promise<unknown> | (() => Promise<unknown>)) => void;
  /**
   * The broker relay (the outbox's rows and the security events to RabbitMQ), when
   * deliveries go through it; built on first use.
   */
  relay?: (channels: ChannelSenders) => DueWork;
  /**
   * Without a relay: drops the security events queued for publishing long enough ago that
   * no publisher is coming for them, so that table stays small. Returns how many went.
   */
  discardEvents?: () => Promise<number>;
  /** Observes each in-process delivery's time to SENT (lib/metrics). */
  metrics?: Pick<Metrics, "notificationSent">;
}

export function createNotifications(deps: NotificationDeps): Notifications {
  const log = deps.logger.child({ feature: "outbox" });
  let delivery: OutboxDelivery | undefined;
  let relay: DueWork | undefined;
  const lazyDelivery: DueWork = {
    deliverDue: async () => {
      if (deps.relay) {
        relay ??= deps.relay(deps.channels());
        return relay.deliverDue();
      }
      delivery ??= createOutboxDelivery({
        prisma: deps.prisma,
        channels: deps.channels(),
        logger: log,
        maxAttempts: deps.maxAttempts,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      });
      return delivery.deliverDue();
    },
  };
  const sweep: DueWork = {
    deliverDue: async () => {
      const totals = await lazyDelivery.deliverDue();
      if (!deps.discardEvents) return totals;
      return { ...totals, eventsDiscarded: await deps.discardEvents() };
    },
  };
  const run = async () => {
    await lazyDelivery
      .deliverDue()
      .catch((error: unknown) => log.error("outbox delivery failed", { error }));
  };
  return {
    delivery: lazyDelivery,
    sweep,
    deliverSoon: () => {
      try {
        // After the response: the request that queued the notification never waits for it.
        deps.runAfter(run);
      } catch {
        // Outside a request (the sweeper's interval): there is no response to wait for.
        void run();
      }
    },
  };
}
