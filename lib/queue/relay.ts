// The outbox relay (with AMQP_URL set): moves due outbox rows to RabbitMQ, where a worker
// (./worker.ts, `npm run worker`) delivers them. It takes the in-process deliverer's place
// in the web process (after() and the sweeper call it instead) and runs in the worker too.
//
// At least once, nothing lost between PostgreSQL and the broker:
// 1. claim due rows as the deliverer does (lib/notifications/outbox.ts, claimDue): their
//    next attempt moves `leaseMs` ahead, so no other relay takes them meanwhile;
// 2. publish one persistent message per row and wait for the broker's confirm;
// 3. only then mark the row as handed over: its next attempt moves `handedOverMs` ahead
//    (compare-and-set on this relay's own lease, so a row a worker has already dealt with
//    is left alone).
// A publish that fails (broker down, no confirm in time) makes the row, and the rest of its
// batch, due again `retryAfterFailureMs` later (instead of waiting out the lease): the next
// run after that publishes them again. A row whose message the broker lost (it
// should not: durable queue, persistent message) is published again once `handedOverMs`
// has passed; the worker knows a row it has sent, so a second message sends nothing.
import type { Logger } from "@/lib/logger";
import type { NotificationChannel, PrismaClient } from "@/lib/generated/prisma/client";
import { claimDue } from "@/lib/notifications/outbox";

/** How the relay hands a row to the broker. */
export interface DeliveryPublisher {
  /** Publishes `{ id }` persistently; resolves once the broker has confirmed it. */
  publishDelivery(id: string): Promise<void>;
}

export interface RelayDeps {
  prisma: PrismaClient;
  publisher: DeliveryPublisher;
  logger: Pick<Logger, "info" | "warn">;
  /** The channels a worker delivers; rows of others stay for whoever sends them. */
  channels: readonly NotificationChannel[];
  now?: () => Date;
  /** How long a claimed row stays invisible to other relays while it is published. */
  leaseMs?: number;
  /**
   * How long after its hand-over a row is published again if no worker has dealt with it:
   * longer than any retry waits in the broker (RETRY_DELAYS_MS, 30 min at most).
   */
  handedOverMs?: number;
  batchSize?: number;
  /** After a failed publish, the rows not handed over are due again this much later. */
  retryAfterFailureMs?: number;
}

export interface RelayTotals {
  published: number;
  /** Rows whose publish failed this run (the broker down): published again later. */
  failed: number;
}

export interface OutboxRelay {
  /** Publishes every due row; stops at the first failed publish (the broker is down). */
  relayDue(): Promise<RelayTotals>;
}

export const HANDED_OVER_MS = 60 * 60_000;
/** A failed publish (the broker away): tried again this much later, not after the lease. */
export const RETRY_AFTER_FAILED_PUBLISH_MS = 5_000;

/**
 * Publishes `items` one after another, each confirmed before the next; `published` records a
 * confirmed one. At the first failure (the broker away: no confirm) the rest of the batch,
 * that one included, goes to `giveBack` to be due again soon rather than after its lease,
 * and the run stops: the next one will find the broker or not.
 */
export async function publishInOrder<T>(
  items: T[],
  publish: (item: T) => Promise<void>,
  published: (item: T) => Promise<unknown>,
  giveBack: (rest: T[], error: unknown) => Promise<void>,
): Promise<RelayTotals> {
  for (const [index, item] of items.entries()) {
    try {
      await publish(item);
    } catch (error) {
      const rest = items.slice(index);
      await giveBack(rest, error);
      return { published: index, failed: rest.length };
    }
    await published(item);
  }
  return { published: items.length, failed: 0 };
}

export function createOutboxRelay(deps: RelayDeps): OutboxRelay {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.leaseMs ?? 60_000;
  const handedOverMs = deps.handedOverMs ?? HANDED_OVER_MS;
  const batchSize = deps.batchSize ?? 50;
  const retryAfterFailureMs = deps.retryAfterFailureMs ?? RETRY_AFTER_FAILED_PUBLISH_MS;
  return {
    async relayDue() {
      const totals: RelayTotals = { published: 0, failed: 0 };
      // Bounded like the deliverer: a bigger backlog is the next run's.
      for (let round = 0; round < 10; round += 1) {
        const claimedAt = now();
        const leaseUntil = new Date(claimedAt.getTime() + leaseMs);
        const rows = await claimDue({
          prisma: deps.prisma,
          now: () => claimedAt,
          leaseMs,
          batchSize,
          channels: deps.channels,
        });
        if (rows.length === 0) break;
        const batch = await publishInOrder(
          rows.map((row) => row.id),
          (id) => deps.publisher.publishDelivery(id),
          // Only this relay's own lease is moved: a worker may have sent the row already.
          (id) =>
            deps.prisma.notificationOutbox.updateMany({
              where: { id, status: "PENDING", nextAttemptAt: leaseUntil },
              data: { nextAttemptAt: new Date(now().getTime() + handedOverMs) },
            }),
          async (rest, error) => {
            // Due again soon, each only while still ours (the same lease check).
            await deps.prisma.notificationOutbox.updateMany({
              where: { id: { in: rest }, status: "PENDING", nextAttemptAt: leaseUntil },
              data: { nextAttemptAt: new Date(now().getTime() + retryAfterFailureMs) },
            });
            deps.logger.warn("outbox relay: publish failed; the rows wait for the next run", {
              notificationId: rest[0],
              error,
            });
          },
        );
        totals.published += batch.published;
        totals.failed += batch.failed;
        if (batch.failed > 0) return totals;
      }
      return totals;
    },
  };
}

/**
 * What the web process and the worker run after a response and on every sweep with a
 * broker: the outbox's rows, then the security events. One failing does not stop the other.
 */
export function createBrokerRelay(parts: {
  outbox: OutboxRelay;
  events: { relayDue(): Promise<{ published: number; failed: number }> };
}): { deliverDue(): Promise<Record<string, number>> } {
  return {
    async deliverDue() {
      const [outbox, events] = await Promise.allSettled([
        parts.outbox.relayDue(),
        parts.events.relayDue(),
      ]);
      if (outbox.status === "rejected") throw outbox.reason;
      if (events.status === "rejected") throw events.reason;
      return {
        published: outbox.value.published,
        failed: outbox.value.failed,
        eventsPublished: events.value.published,
        eventsFailed: events.value.failed,
      };
    },
  };
}
