// The transactional outbox every notification channel shares (Telegram alerts, mail).
//
// Writing: `queueNotification` adds a NotificationOutbox row inside the caller's
// transaction, so a rolled-back transaction leaves no row: nothing is announced for what
// did not happen. The caller then asks for a delivery soon (./service.ts, deliverSoon) —
// in the app that is Next's after(), so the request never waits for Telegram or SMTP.
//
// Delivering: `deliverDue()` claims due rows of the channels it has a sender for, with a
// lease (so two deliverers — an after() and the sweeper — never send the same row at once),
// hands each to its channel's sender and records the outcome:
// - sent → SENT, with the message's id in the channel (Telegram edits that message later);
// - the channel says "try again in N ms" (429 retry_after, a 4xx SMTP reply, no answer at
//   all) → due again then, with an exponential backoff chosen by the channel;
// - refused for good (Telegram 403, SMTP 550), nothing to send any more, or the attempts
//   are used up (OUTBOX_MAX_ATTEMPTS) → FAILED, logged.
// A short wait (≤ `maxInlineWaitMs`) is retried in the same run; longer ones are left to the
// sweeper (a cron route on Vercel, an interval when self-hosted). A process dying mid-send
// leaves a lease that expires: at least once, never lost.
//
// A row's payload may hold a sealed link (SEALED_LINK_KEY, lib/security/sealed-link.ts);
// it is removed when the row is SENT or FAILED, so a used-up link does not stay at rest.
import type { Logger } from "@/lib/logger";
import type { Metrics } from "@/lib/metrics";
import { Prisma, type NotificationChannel, type PrismaClient } from "@/lib/generated/prisma/client";
import { sleep as realSleep } from "@/lib/retry";

/** The payload key of a sealed link, removed once the row is SENT or FAILED. */
export const SEALED_LINK_KEY = "sealedLink";

/** Queues an outbox row for `userId` (inside the caller's transaction); returns its id. */
export async function queueNotification(
  tx: Prisma.TransactionClient,
  row: {
    userId: string;
    channel: NotificationChannel;
    securityEventId?: string;
    kind: string;
    payload?: Prisma.InputJsonValue;
    at?: Date;
  },
): Promise<string> {
  const created = await tx.notificationOutbox.create({
    data: {
      userId: row.userId,
      channel: row.channel,
      securityEventId: row.securityEventId ?? null,
      kind: row.kind,
      payload: row.payload ?? {},
      ...(row.at ? { createdAt: row.at, nextAttemptAt: row.at } : {}),
    },
    select: { id: true },
  });
  return created.id;
}

/** A claimed row, as a channel's sender sees it. */
export interface OutboxRow {
  id: string;
  userId: string;
  channel: NotificationChannel;
  kind: string;
  attempts: number;
  payload: unknown;
  securityEventId: string | null;
}

export interface DeliveryFailure {
  /** Try again after this long; null = never (refused for good). */
  retryAfterMs: number | null;
  /** What went wrong, for the log and the row's lastError: never a secret or a link. */
  description: string;
}

/** What sending one row gave: its id in the channel, or why it can never be sent. */
export type SendOutcome = { externalId: string | null } | { undeliverable: string };

/** One channel's delivery: how to send a row and what its errors mean. */
export interface ChannelSender {
  /** Names the channel's rows in the log, e.g. "telegram alert", "mail". */
  label: string;
  /** Sends `row`; throws what the channel threw (classified by classifyError). */
  send(row: OutboxRow): Promise<SendOutcome>;
  classifyError(error: unknown, attempt: number): DeliveryFailure;
}

export type ChannelSenders = Partial<Record<NotificationChannel, ChannelSender>>;

export interface OutboxDeps {
  prisma: PrismaClient;
  /** The channels this deliverer sends; rows of other channels stay PENDING. */
  channels: ChannelSenders;
  logger: Pick<Logger, "info" | "warn" | "error">;
  maxAttempts: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Waits up to this long for a retry in the same run; longer ones go to the sweeper. */
  maxInlineWaitMs?: number;
  /** How long a claimed row stays invisible to other deliverers. */
  leaseMs?: number;
  /** Rows claimed per run. */
  batchSize?: number;
  /** Observes each delivery's time from its row to SENT (lib/metrics). */
  metrics?: Pick<Metrics, "notificationSent">;
}

// A record type, not an interface: the sweeper logs it as a plain record.
export type DeliveryTotals = Record<"sent" | "failed" | "deferred", number>;

export interface OutboxDelivery {
  /** Delivers every due row (and short retries of them); resolves with what happened. */
  deliverDue(): Promise<DeliveryTotals>;
}

/** The channels `senders` has a sender for. */
export function channelsOf(senders: ChannelSenders): NotificationChannel[] {
  return (Object.keys(senders) as NotificationChannel[]).filter((name) => senders[name]);
}

/** OutboxDeps with its defaults applied: what each step of a delivery works with. */
type Delivery = Required<OutboxDeps>;

export function createOutboxDelivery(deps: OutboxDeps): OutboxDelivery {
  const delivery: Delivery = {
    ...deps,
    now: deps.now ?? (() => new Date()),
    sleep: deps.sleep ?? realSleep,
    maxInlineWaitMs: deps.maxInlineWaitMs ?? 5_000,
    leaseMs: deps.leaseMs ?? 60_000,
    batchSize: deps.batchSize ?? 20,
    metrics: deps.metrics ?? { notificationSent: () => undefined },
  };
  return {
    async deliverDue() {
      const totals: DeliveryTotals = { sent: 0, failed: 0, deferred: 0 };
      // Bounded: a backlog bigger than a few batches is the sweeper's.
      for (let round = 0; round < 5; round += 1) {
        const rows = await claimDue({ ...delivery, channels: channelsOf(delivery.channels) });
        if (rows.length === 0) break;
        for (const row of rows) {
          const channel = delivery.channels[row.channel];
          try {
            // claim() only returns rows of channels with a sender.
            if (channel) totals[await deliver(delivery, channel, row)] += 1;
          } catch (error) {
            // The database failed while recording: the lease runs out and it is retried.
            delivery.logger.error(`${channel?.label ?? "notification"} delivery failed`, {
              notificationId: row.id,
              error,
            });
            totals.deferred += 1;
          }
        }
      }
      return totals;
    },
  };
}

/**
 * Claims up to batchSize due rows of `channels` by pushing their next attempt past the
 * lease. Shared with the broker relay (lib/queue/relay.ts), which claims the same way.
 */
export async function claimDue({
  prisma,
  now,
  leaseMs,
  batchSize,
  channels,
}: {
  prisma: PrismaClient;
  now: () => Date;
  leaseMs: number;
  batchSize: number;
  /** The channels whose rows to claim. */
  channels: readonly NotificationChannel[];
}): Promise<OutboxRow[]> {
  const names = [...channels];
  if (names.length === 0) return [];
  const at = now();
  const leaseUntil = new Date(at.getTime() + leaseMs);
  // One statement: rows another deliverer holds (FOR UPDATE) are skipped, not waited for.
  // Instants go in as ISO strings cast with their offset (as recordSignIn does), so the
  // stored UTC values do not depend on the session's TimeZone.
  return prisma.$queryRaw<OutboxRow[]>`
    UPDATE "NotificationOutbox"
    SET "nextAttemptAt" = (${leaseUntil.toISOString()}::timestamptz AT TIME ZONE 'UTC')
    WHERE id IN (
      SELECT id FROM "NotificationOutbox"
      WHERE status = 'PENDING'
        AND channel::text IN (${Prisma.join(names)})
        AND "nextAttemptAt" <= (${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')
      ORDER BY "nextAttemptAt" LIMIT ${batchSize}::int
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id, "userId", channel::text AS channel, kind, attempts, payload, "securityEventId"`;
}

/** The payload without its sealed link: what a SENT or FAILED row keeps. */
function withoutSealedLink(payload: unknown): Prisma.InputJsonValue | undefined {
  if (typeof payload !== "object" || payload === null || !(SEALED_LINK_KEY in payload)) {
    return undefined;
  }
  const { [SEALED_LINK_KEY]: _sealed, ...rest } = payload as Record<string, Prisma.InputJsonValue>;
  return rest;
}

async function update(
  prisma: PrismaClient,
  id: string,
  data: Prisma.NotificationOutboxUpdateInput,
): Promise<void> {
  await prisma.notificationOutbox.update({ where: { id }, data });
}

/** Ends a row for good (SENT or FAILED), dropping its sealed link; returns when it was queued. */
async function finish(
  prisma: PrismaClient,
  row: OutboxRow,
  data: Prisma.NotificationOutboxUpdateInput & { status: "SENT" | "FAILED" },
): Promise<{ createdAt: Date }> {
  const payload = withoutSealedLink(row.payload);
  return prisma.notificationOutbox.update({
    where: { id: row.id },
    data: { ...data, ...(payload === undefined ? {} : { payload }) },
    select: { createdAt: true },
  });
}

/** What one attempt at sending a row gave; "retry" is recorded by the caller. */
export type AttemptOutcome =
  | { result: "sent" }
  /** FAILED for good; `usedUp`: it could have been retried, but the attempts ran out. */
  | { result: "failed"; usedUp: boolean }
  | { result: "retry"; retryAfterMs: number; description: string };

export type AttemptDeps = Pick<Delivery, "prisma" | "logger" | "now" | "maxAttempts"> &
  Pick<OutboxDeps, "metrics">;

/**
 * Sends `row` once as attempt number `attempt` and records an end: SENT, or FAILED when the
 * channel refuses it for good or the attempts are used up. A failure worth retrying is
 * returned, not recorded: the in-process deliverer and the broker's worker schedule it
 * their own ways.
 */
export async function attemptSend(
  { prisma, logger, now, maxAttempts, metrics }: AttemptDeps,
  channel: ChannelSender,
  row: OutboxRow,
  attempt: number,
): Promise<AttemptOutcome> {
  let outcome: SendOutcome;
  try {
    outcome = await channel.send(row);
  } catch (error) {
    const failure = channel.classifyError(error, attempt);
    const context = { notificationId: row.id, attempt, error: failure.description };
    if (failure.retryAfterMs === null || attempt >= maxAttempts) {
      logger.warn(`${channel.label} not delivered`, context);
      await finish(prisma, row, {
        status: "FAILED",
        attempts: attempt,
        lastError: failure.description,
      });
      return { result: "failed", usedUp: failure.retryAfterMs !== null };
    }
    return {
      result: "retry",
      retryAfterMs: failure.retryAfterMs,
      description: failure.description,
    };
  }
  if ("undeliverable" in outcome) {
    logger.warn(`${channel.label} not delivered`, {
      notificationId: row.id,
      error: outcome.undeliverable,
    });
    await finish(prisma, row, { status: "FAILED", lastError: outcome.undeliverable });
    return { result: "failed", usedUp: false };
  }
  const sentAt = now();
  const { createdAt } = await finish(prisma, row, {
    status: "SENT",
    attempts: attempt,
    externalId: outcome.externalId,
    sentAt,
    lastError: null,
  });
  metrics?.notificationSent(row.channel, (sentAt.getTime() - createdAt.getTime()) / 1_000);
  return { result: "sent" };
}

/** Records a failed attempt that will be tried again at `nextAttemptAt`. */
export async function recordRetry(
  prisma: PrismaClient,
  row: Pick<OutboxRow, "id">,
  attempt: number,
  description: string,
  nextAttemptAt?: Date,
): Promise<void> {
  await update(prisma, row.id, {
    attempts: attempt,
    lastError: description,
    ...(nextAttemptAt ? { nextAttemptAt } : {}),
  });
}

/** One row, with short retries; returns its outcome. */
async function deliver(
  delivery: Delivery,
  channel: ChannelSender,
  row: OutboxRow,
): Promise<"sent" | "failed" | "deferred"> {
  const { prisma, now, logger, sleep, maxInlineWaitMs } = delivery;
  for (let attempt = row.attempts + 1; ; attempt += 1) {
    const outcome = await attemptSend(delivery, channel, row, attempt);
    if (outcome.result !== "retry") return outcome.result;
    const context = { notificationId: row.id, attempt, error: outcome.description };
    if (outcome.retryAfterMs > maxInlineWaitMs) {
      // Longer waits are the sweeper's: the row is due again then.
      logger.info(`${channel.label} deferred`, {
        ...context,
        retryAfterMs: outcome.retryAfterMs,
      });
      await recordRetry(
        prisma,
        row,
        attempt,
        outcome.description,
        new Date(now().getTime() + outcome.retryAfterMs),
      );
      return "deferred";
    }
    // Keep the lease ahead of the wait, then try again in this run.
    await recordRetry(prisma, row, attempt, outcome.description);
    await sleep(outcome.retryAfterMs);
  }
}
