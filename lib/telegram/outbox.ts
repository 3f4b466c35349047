// Telegram alerts through a transactional outbox (docs/telegram.md, "How alerts travel").
//
// Writing: `alertHook` is the `afterRecord` hook given to recordSecurityEvent. Inside the
// event's transaction it adds a NotificationOutbox row when the event is one that alerts
// (alerts.ts) and the user has a linked chat, then asks for a delivery soon — in the app
// that is Next's after(), so it runs once the response has gone: sign-in never waits for
// Telegram. A rolled-back transaction leaves no row, so no alert for what did not happen.
//
// Delivering: `deliverDue()` claims due rows with a lease (so two deliverers — an after()
// and the sweeper — never send the same row at once), sends each, and records the outcome:
// - sent → SENT with the message id (the bot edits that message when a button is pressed);
// - Telegram says "retry after N s" (429) → due again in N s, as Telegram asks;
// - 5xx or the network failed → due again after an exponential backoff;
// - refused for good (400 chat not found, 403 bot blocked by the user), the chat was
//   unlinked meanwhile, or the attempts are used up (OUTBOX_MAX_ATTEMPTS) → FAILED.
// A short wait (≤ `maxInlineWaitMs`) is retried in the same run; longer ones are left to the
// sweeper (a cron route on Vercel, an interval when self-hosted), which calls deliverDue()
// too. A process dying mid-send leaves a lease that expires: at least once, never lost.
import type { InlineKeyboardMarkup } from "grammy/types";

import type { Logger } from "@/lib/logger";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import { backoffDelay, sleep as realSleep } from "@/lib/retry";
import type { AfterRecordHook } from "@/lib/security/events";
import { ALERT_EVENT_TYPES, alertKeyboard, alertText, movedAwayText } from "@/lib/telegram/alerts";

/** Kinds of outbox rows: an event alert (the event's type) or a note to a replaced chat. */
export const MOVED_AWAY_KIND = "TELEGRAM_MOVED";

/** The part of the Bot API the outbox uses (grammY's `bot.api` fits it). */
export interface AlertSender {
  sendMessage(
    chatId: number,
    text: string,
    other?: { reply_markup?: InlineKeyboardMarkup },
  ): Promise<{ message_id: number }>;
}

/** Queues an outbox row for `userId` (inside the caller's transaction). */
export async function queueNotification(
  tx: Prisma.TransactionClient,
  row: {
    userId: string;
    securityEventId?: string;
    kind: string;
    payload?: Prisma.InputJsonValue;
    at?: Date;
  },
): Promise<string> {
  const created = await tx.notificationOutbox.create({
    data: {
      userId: row.userId,
      securityEventId: row.securityEventId ?? null,
      kind: row.kind,
      payload: row.payload ?? {},
      ...(row.at ? { createdAt: row.at, nextAttemptAt: row.at } : {}),
    },
    select: { id: true },
  });
  return created.id;
}

/**
 * The afterRecord hook: queues an alert for alerting events of users with a linked chat,
 * then calls `deliverSoon` (once the transaction is over, through the caller's scheduler).
 */
export function alertHook(deps: { deliverSoon: () => void }): AfterRecordHook {
  return async (tx, event) => {
    if (!event.userId || !ALERT_EVENT_TYPES.has(event.type)) return;
    const linked = await tx.telegramLink.findUnique({
      where: { userId: event.userId },
      select: { userId: true },
    });
    if (!linked) return;
    await queueNotification(tx, {
      userId: event.userId,
      securityEventId: event.id,
      kind: event.type,
      at: event.createdAt,
    });
    deps.deliverSoon();
  };
}

export interface TelegramFailure {
  /** Try again after this long; null = never (refused for good). */
  retryAfterMs: number | null;
  description: string;
}

/** What a Bot API error means for a retry (grammY's GrammyError and HttpError, duck-typed). */
export function classifyTelegramError(error: unknown, attempt: number): TelegramFailure {
  const shape = error as {
    error_code?: unknown;
    description?: unknown;
    parameters?: { retry_after?: unknown };
    message?: unknown;
  };
  const description =
    typeof shape.description === "string"
      ? shape.description
      : typeof shape.message === "string"
        ? shape.message
        : String(error);
  if (typeof shape.error_code === "number") {
    const retryAfter = shape.parameters?.retry_after;
    if (shape.error_code === 429) {
      const seconds = typeof retryAfter === "number" && retryAfter > 0 ? retryAfter : 1;
      return { retryAfterMs: seconds * 1_000, description };
    }
    if (shape.error_code >= 500) {
      return { retryAfterMs: backoffDelay(attempt, 2_000, 10 * 60_000), description };
    }
    // 400 (chat not found, bad request), 401, 403 (blocked by the user), 404: a retry
    // sends the same request to the same answer.
    return { retryAfterMs: null, description };
  }
  // No answer at all (connection refused, reset, timeout): the network or Telegram is down.
  return { retryAfterMs: backoffDelay(attempt, 2_000, 10 * 60_000), description };
}

export interface OutboxDeps {
  prisma: PrismaClient;
  sender: AlertSender;
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
}

export interface OutboxDelivery {
  /** Delivers every due row (and short retries of them); resolves with what happened. */
  deliverDue(): Promise<{ sent: number; failed: number; deferred: number }>;
}

interface ClaimedRow {
  id: string;
  userId: string;
  kind: string;
  attempts: number;
  payload: unknown;
  securityEventId: string | null;
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
  };
  return {
    async deliverDue() {
      const totals = { sent: 0, failed: 0, deferred: 0 };
      // Bounded: a backlog bigger than a few batches is the sweeper's.
      for (let round = 0; round < 5; round += 1) {
        const rows = await claim(delivery);
        if (rows.length === 0) break;
        for (const row of rows) {
          try {
            totals[await deliver(delivery, row)] += 1;
          } catch (error) {
            // The database failed while recording: the lease runs out and it is retried.
            delivery.logger.error("telegram alert delivery failed", {
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

/** Claims up to batchSize due rows by pushing their next attempt past the lease. */
async function claim({ prisma, now, leaseMs, batchSize }: Delivery): Promise<ClaimedRow[]> {
  const at = now();
  const leaseUntil = new Date(at.getTime() + leaseMs);
  // One statement: rows another deliverer holds (FOR UPDATE) are skipped, not waited for.
  // Instants go in as ISO strings cast with their offset (as recordSignIn does), so the
  // stored UTC values do not depend on the session's TimeZone.
  return prisma.$queryRaw<ClaimedRow[]>`
    UPDATE "NotificationOutbox"
    SET "nextAttemptAt" = (${leaseUntil.toISOString()}::timestamptz AT TIME ZONE 'UTC')
    WHERE id IN (
      SELECT id FROM "NotificationOutbox"
      WHERE status = 'PENDING'
        AND "nextAttemptAt" <= (${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')
      ORDER BY "nextAttemptAt" LIMIT ${batchSize}::int
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id, "userId", kind, attempts, payload, "securityEventId"`;
}

interface RenderedAlert {
  chatId: number;
  text: string;
  keyboard?: InlineKeyboardMarkup;
}

/** The message a row stands for, or null when there is nowhere (or nothing) to send. */
async function render(prisma: PrismaClient, row: ClaimedRow): Promise<RenderedAlert | null> {
  if (row.kind === MOVED_AWAY_KIND) {
    const payload = row.payload as { chatId?: unknown; accountName?: unknown };
    if (typeof payload.chatId !== "number") return null;
    const name = typeof payload.accountName === "string" ? payload.accountName : "your account";
    return { chatId: payload.chatId, text: movedAwayText(name) };
  }
  const link = await prisma.telegramLink.findUnique({
    where: { userId: row.userId },
    select: { chatId: true },
  });
  if (!link || !row.securityEventId) return null;
  const event = await prisma.securityEvent.findUnique({ where: { id: row.securityEventId } });
  if (!event) return null;
  return { chatId: Number(link.chatId), text: alertText(event), keyboard: alertKeyboard(row.id) };
}

async function finish(
  prisma: PrismaClient,
  id: string,
  data: Prisma.NotificationOutboxUpdateInput,
): Promise<void> {
  await prisma.notificationOutbox.update({ where: { id }, data });
}

/** One row, with short retries; returns its outcome. */
async function deliver(
  delivery: Delivery,
  row: ClaimedRow,
): Promise<"sent" | "failed" | "deferred"> {
  const { prisma, sender, now } = delivery;
  const message = await render(prisma, row);
  if (!message) {
    await finish(prisma, row.id, { status: "FAILED", lastError: "no linked chat any more" });
    return "failed";
  }
  for (let attempt = row.attempts + 1; ; attempt += 1) {
    try {
      const sent = await sender.sendMessage(message.chatId, message.text, {
        ...(message.keyboard ? { reply_markup: message.keyboard } : {}),
      });
      await finish(prisma, row.id, {
        status: "SENT",
        attempts: attempt,
        externalId: String(sent.message_id),
        sentAt: now(),
        lastError: null,
      });
      return "sent";
    } catch (error) {
      const outcome = await afterFailedSend(delivery, row.id, attempt, error);
      if (outcome !== "retry") return outcome;
    }
  }
}

/**
 * Records a failed send: FAILED for good, deferred to the sweeper, or — for a short wait —
 * "retry" once the wait is over, to try again in this run.
 */
async function afterFailedSend(
  { prisma, logger, now, sleep, maxAttempts, maxInlineWaitMs }: Delivery,
  id: string,
  attempt: number,
  error: unknown,
): Promise<"failed" | "deferred" | "retry"> {
  const failure = classifyTelegramError(error, attempt);
  const context = { notificationId: id, attempt, error: failure.description };
  if (failure.retryAfterMs === null || attempt >= maxAttempts) {
    logger.warn("telegram alert not delivered", context);
    await finish(prisma, id, {
      status: "FAILED",
      attempts: attempt,
      lastError: failure.description,
    });
    return "failed";
  }
  if (failure.retryAfterMs > maxInlineWaitMs) {
    logger.info("telegram alert deferred", { ...context, retryAfterMs: failure.retryAfterMs });
    await finish(prisma, id, {
      attempts: attempt,
      lastError: failure.description,
      nextAttemptAt: new Date(now().getTime() + failure.retryAfterMs),
    });
    return "deferred";
  }
  // Keep the lease ahead of the wait, then try again in this run.
  await finish(prisma, id, { attempts: attempt, lastError: failure.description });
  await sleep(failure.retryAfterMs);
  return "retry";
}
