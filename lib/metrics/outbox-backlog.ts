// The outbox's backlog as a gauge, read from the database when Prometheus scrapes (not kept
// up to date on every write): rows still PENDING, by channel. One grouped count on the
// (status, nextAttemptAt) index, bounded by a timeout so a slow database cannot hold a scrape
// past Prometheus's own scrape timeout.
import { Gauge, type Registry } from "prom-client";

import {
  NotificationChannel,
  type NotificationChannel as Channel,
  type PrismaClient,
} from "@/lib/generated/prisma/client";
import type { Logger } from "@/lib/logger";
import { METRIC_PREFIX } from "@/lib/metrics";
import { withTimeout } from "@/lib/timeout";

/** PENDING rows per channel; every channel is present (0 when it has none). */
export async function pendingByChannel(
  prisma: Pick<PrismaClient, "notificationOutbox">,
): Promise<Record<Channel, number>> {
  const groups = await prisma.notificationOutbox.groupBy({
    by: ["channel"],
    where: { status: "PENDING" },
    _count: { _all: true },
  });
  const counts = Object.fromEntries(
    Object.values(NotificationChannel).map((channel) => [channel, 0]),
  ) as Record<Channel, number>;
  for (const group of groups) counts[group.channel] = group._count._all;
  return counts;
}

export interface OutboxBacklogDeps {
  registry: Registry;
  /** The counts (pendingByChannel in the app). */
  pending: () => Promise<Record<Channel, number>>;
  timeoutMs: number;
  logger: Pick<Logger, "warn">;
}

/** Registers gatehouse_outbox_pending on `registry`, counted at each scrape. */
export function registerOutboxBacklog(deps: OutboxBacklogDeps): void {
  const { pending, timeoutMs, logger } = deps;
  new Gauge({
    name: `${METRIC_PREFIX}outbox_pending`,
    help: "Notifications waiting in the outbox (PENDING), by channel, counted at scrape time.",
    labelNames: ["channel"] as const,
    registers: [deps.registry],
    async collect() {
      // Cleared first: after a failed count the scrape shows no value rather than an old one,
      // and absent() alerts on it.
      this.reset();
      try {
        const counts = await withTimeout(pending(), timeoutMs, { what: "outbox backlog count" });
        for (const [channel, count] of Object.entries(counts)) this.set({ channel }, count);
      } catch (error) {
        // The rest of the scrape is still worth having.
        logger.warn("metrics: the outbox backlog could not be counted", { error });
      }
    },
  });
}
