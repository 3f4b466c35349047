// The delivery worker's decisions (`npm run worker` feeds it the messages of
// `gatehouse.delivery`; ./broker.ts does the AMQP). One message names one outbox row; the row
// in PostgreSQL, not the message, says what to do, which is what makes a second message for
// the same row harmless:
// - the message is unreadable → dead-lettered (`gatehouse.delivery.dead`);
// - the row is gone (its account was deleted), SENT or FAILED → acknowledged, nothing sent;
// - another worker holds the row (`sendingUntil` ahead) → looked at again once that runs out
//   (a worker that died while sending leaves such a hold);
// - otherwise this worker holds it, sends it through its channel (the same senders as the
//   in-process deliverer, lib/notifications/outbox.ts) and records the outcome BEFORE the
//   message is acknowledged: a worker killed after sending and before acknowledging leaves
//   the row SENT, and the redelivered message sends nothing. (Killed between the channel's
//   answer and that record, the row is sent again once the hold runs out: at least once.)
// - a failure worth retrying → the attempt is recorded and the message waits in the delay
//   queue at least as long as the channel asked (Telegram's retry_after, the mail backoff);
// - the attempts used up (OUTBOX_MAX_ATTEMPTS) → FAILED, and the message is dead-lettered.
import { z } from "zod";

import type { Logger } from "@/lib/logger";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { attemptSend, type ChannelSenders, type OutboxRow } from "@/lib/notifications/outbox";
import { HANDED_OVER_MS } from "@/lib/queue/relay";
import { retryDelayFor } from "@/lib/queue/topology";

/** What becomes of a message: acknowledged, or rejected to the dead-letter queue. */
export type Verdict = "ack" | "dead";

/** How the worker puts a message back after a wait (a delay queue). */
export interface RetryPublisher {
  /** Publishes `{ id }` to the delay queue of `delayMs`; resolves once confirmed. */
  publishRetry(id: string, delayMs: number): Promise<void>;
}

export interface WorkerDeps {
  prisma: PrismaClient;
  channels: ChannelSenders;
  logger: Pick<Logger, "info" | "warn" | "error">;
  maxAttempts: number;
  retries: RetryPublisher;
  now?: () => Date;
  /** How long a worker holds a row while sending it: longer than any send may take. */
  sendLeaseMs?: number;
}

export interface DeliveryWorker {
  /** Handles one message's body (parsed JSON); never throws for a bad message. */
  handle(body: unknown): Promise<Verdict>;
}

/** The message: the row's id, nothing else (the row holds the rest). */
export const deliveryMessageSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/),
});

export function createDeliveryWorker(deps: WorkerDeps): DeliveryWorker {
  const { prisma, logger, retries } = deps;
  const now = deps.now ?? (() => new Date());
  const sendLeaseMs = deps.sendLeaseMs ?? 60_000;

  /** Holds row `id` for this worker if it is PENDING and nobody else holds it. */
  async function hold(id: string, at: Date): Promise<OutboxRow | undefined> {
    const until = new Date(at.getTime() + sendLeaseMs);
    // Instants as ISO strings cast with their offset (as claimDue does), so the stored UTC
    // values do not depend on the session's TimeZone.
    const rows = await prisma.$queryRaw<OutboxRow[]>`
      UPDATE "NotificationOutbox"
      SET "sendingUntil" = (${until.toISOString()}::timestamptz AT TIME ZONE 'UTC')
      WHERE id = ${id} AND status = 'PENDING'
        AND ("sendingUntil" IS NULL
             OR "sendingUntil" <= (${at.toISOString()}::timestamptz AT TIME ZONE 'UTC'))
      RETURNING id, "userId", channel::text AS channel, kind, attempts, payload,
        "securityEventId"`;
    return rows[0];
  }

  /** Why row `id` could not be held: gone, done, or held by another worker until when. */
  async function notHeld(id: string, at: Date): Promise<Verdict> {
    const row = await prisma.notificationOutbox.findUnique({
      where: { id },
      select: { status: true, sendingUntil: true },
    });
    if (!row) {
      logger.info("delivery message for a notification that is gone (account deleted)", {
        notificationId: id,
      });
      return "ack";
    }
    // Sent or failed already: a second message for the row, or the same one redelivered
    // because the worker that sent it died before its acknowledgement reached the broker.
    if (row.status !== "PENDING") {
      logger.info("delivery message for a notification already done: nothing sent", {
        notificationId: id,
        status: row.status,
      });
      return "ack";
    }
    if (!row.sendingUntil) return "ack";
    // Back once the hold has run out: it comes back no sooner than the delay queue's wait,
    // and a hold lasts at most sendLeaseMs from now.
    const wait = Math.max(row.sendingUntil.getTime() - at.getTime(), 0);
    await retries.publishRetry(id, retryDelayFor(wait));
    return "ack";
  }

  return {
    async handle(body) {
      const message = deliveryMessageSchema.safeParse(body);
      if (!message.success) {
        logger.warn("unreadable delivery message: dead-lettered", {
          error: z.prettifyError(message.error),
        });
        return "dead";
      }
      const { id } = message.data;
      const at = now();
      const row = await hold(id, at);
      if (!row) return notHeld(id, at);

      const channel = deps.channels[row.channel];
      if (!channel) {
        // Configuration, not the message: this worker has no sender for the channel (e.g.
        // no SMTP_URL). The row is left for a worker that has one.
        logger.error("no sender for this channel in the worker: dead-lettered", {
          notificationId: id,
          channel: row.channel,
        });
        await prisma.notificationOutbox.update({ where: { id }, data: { sendingUntil: null } });
        return "dead";
      }

      const attempt = row.attempts + 1;
      const outcome = await attemptSend(
        { prisma, logger, now, maxAttempts: deps.maxAttempts },
        channel,
        row,
        attempt,
      );
      if (outcome.result === "sent") return "ack";
      if (outcome.result === "failed") return outcome.usedUp ? "dead" : "ack";

      const delayMs = retryDelayFor(outcome.retryAfterMs);
      logger.info(`${channel.label} deferred`, {
        notificationId: id,
        attempt,
        error: outcome.description,
        retryAfterMs: delayMs,
      });
      await prisma.notificationOutbox.update({
        where: { id },
        data: {
          attempts: attempt,
          lastError: outcome.description,
          sendingUntil: null,
          // The relay leaves it alone while its message waits in the delay queue.
          nextAttemptAt: new Date(at.getTime() + delayMs + HANDED_OVER_MS),
        },
      });
      await retries.publishRetry(id, delayMs);
      return "ack";
    },
  };
}
