// Telegram alerts through the shared transactional outbox (lib/notifications/outbox.ts,
// docs/telegram.md "How alerts travel"). What is Telegram's own lives here:
//
// - `alertHook`, the `afterRecord` hook given to recordSecurityEvent: inside the event's
//   transaction it adds a TELEGRAM row when the event is one that alerts (alerts.ts) and the
//   user has a linked chat, then asks for a delivery soon (after the response: sign-in never
//   waits for Telegram);
// - `telegramChannel`, the outbox's sender for TELEGRAM rows: it renders the alert (or the
//   note to a replaced chat, or the question about a sign-in waiting for approval) and
//   sends it; the message id is kept, so the bot can edit that message when a button is
//   pressed;
// - `classifyTelegramError`: 429 → due again in retry_after seconds, as Telegram asks; 5xx or
//   no answer → exponential backoff; other refusals (400 chat not found, 403 bot blocked by
//   the user) → FAILED. A chat unlinked meanwhile → FAILED.
import type { InlineKeyboardMarkup } from "grammy/types";

import { RESET_LINK_CHAT_KIND } from "@/lib/auth/password-reset";
import { SIGN_IN_APPROVAL_KIND } from "@/lib/auth/sign-in-approval";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import {
  createOutboxDelivery as createSharedDelivery,
  queueNotification,
  SEALED_LINK_KEY,
  type ChannelSender,
  type DeliveryFailure,
  type OutboxDelivery,
  type OutboxDeps,
  type OutboxRow,
} from "@/lib/notifications/outbox";
import { backoffDelay } from "@/lib/retry";
import type { AfterRecordHook } from "@/lib/security/events";
import type { LinkSealer } from "@/lib/security/sealed-link";
import {
  ALERT_EVENT_TYPES,
  alertKeyboard,
  alertText,
  connectedText,
  movedAwayText,
  resetLinkText,
  signInApprovalKeyboard,
  signInApprovalText,
} from "@/lib/telegram/alerts";
import { CONNECTED_KIND } from "@/lib/telegram/sign-in-alerts";

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
      channel: "TELEGRAM",
      userId: event.userId,
      securityEventId: event.id,
      kind: event.type,
      at: event.createdAt,
    });
    deps.deliverSoon();
  };
}

/** What a Bot API error means for a retry (grammY's GrammyError and HttpError, duck-typed). */
export function classifyTelegramError(error: unknown, attempt: number): DeliveryFailure {
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

interface RenderedAlert {
  chatId: number;
  text: string;
  keyboard?: InlineKeyboardMarkup;
}

/** The chat copy of a password-reset link (lib/auth/password-reset.ts), its link unsealed. */
async function renderResetLink(
  prisma: PrismaClient,
  row: OutboxRow,
  sealer: LinkSealer | undefined,
): Promise<RenderedAlert | null> {
  const payload = row.payload as { [SEALED_LINK_KEY]?: unknown; expiresInMinutes?: unknown };
  const sealed = payload[SEALED_LINK_KEY];
  const link = typeof sealed === "string" ? (sealer?.open(sealed, row.userId) ?? null) : null;
  const minutes = payload.expiresInMinutes;
  if (link === null || typeof minutes !== "number") return null;
  const chat = await prisma.telegramLink.findUnique({
    where: { userId: row.userId },
    select: { chatId: true },
  });
  return chat ? { chatId: Number(chat.chatId), text: resetLinkText(link, minutes) } : null;
}

/**
 * The question to the chat about a sign-in waiting for approval (lib/auth/sign-in-approval.ts):
 * sent only while the request still waits and has time left, and only to the chat it asked
 * while that chat is still the account's.
 */
async function renderSignInApproval(
  prisma: PrismaClient,
  row: OutboxRow,
  now: Date,
): Promise<RenderedAlert | null> {
  const approvalId = (row.payload as { approvalId?: unknown }).approvalId;
  if (typeof approvalId !== "string") return null;
  const pending = await prisma.pendingSignIn.findUnique({
    where: { approvalId },
    select: {
      userId: true,
      approval: true,
      approvalChatId: true,
      expiresAt: true,
      ip: true,
      userAgent: true,
      user: { select: { email: true, name: true, telegramLink: { select: { chatId: true } } } },
    },
  });
  if (pending?.userId !== row.userId) return null;
  if (pending.approval !== "WAITING" || pending.expiresAt <= now) return null;
  const chatId = pending.user.telegramLink?.chatId;
  if (chatId === undefined || chatId !== pending.approvalChatId) return null;
  return {
    chatId: Number(chatId),
    text: signInApprovalText({
      accountName: pending.user.email ?? pending.user.name ?? "your account",
      ip: pending.ip,
      userAgent: pending.userAgent,
    }),
    keyboard: signInApprovalKeyboard(approvalId),
  };
}

/** The message a row stands for, or null when there is nowhere (or nothing) to send. */
async function render(
  prisma: PrismaClient,
  row: OutboxRow,
  sealer: LinkSealer | undefined,
  now: Date,
): Promise<RenderedAlert | null> {
  if (row.kind === RESET_LINK_CHAT_KIND) return renderResetLink(prisma, row, sealer);
  if (row.kind === SIGN_IN_APPROVAL_KIND) return renderSignInApproval(prisma, row, now);
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
  if (row.kind === CONNECTED_KIND) {
    // Sent to the chat linked now: if the person disconnected meanwhile, nothing is sent.
    const payload = row.payload as { accountName?: unknown };
    const name = typeof payload.accountName === "string" ? payload.accountName : "your account";
    return link ? { chatId: Number(link.chatId), text: connectedText(name) } : null;
  }
  if (!link || !row.securityEventId) return null;
  const event = await prisma.securityEvent.findUnique({ where: { id: row.securityEventId } });
  if (!event) return null;
  return { chatId: Number(link.chatId), text: alertText(event), keyboard: alertKeyboard(row.id) };
}

/**
 * The outbox's sender of TELEGRAM rows, through the Bot API (grammY's `bot.api`). `sealer`
 * opens the sealed link of a reset-link copy; without one such a row cannot be sent. `now`
 * decides whether a sign-in approval request is still worth asking.
 */
export function telegramChannel(
  prisma: PrismaClient,
  sender: AlertSender,
  sealer?: LinkSealer,
  now: () => Date = () => new Date(),
): ChannelSender {
  return {
    label: "telegram alert",
    async send(row) {
      const message = await render(prisma, row, sealer, now());
      if (!message) return { undeliverable: "no linked chat any more, or nothing to send" };
      const sent = await sender.sendMessage(message.chatId, message.text, {
        ...(message.keyboard ? { reply_markup: message.keyboard } : {}),
      });
      return { externalId: String(sent.message_id) };
    },
    classifyError: classifyTelegramError,
  };
}

/** A deliverer of TELEGRAM rows alone (the bot's own tests, scripts). */
export function createOutboxDelivery(
  deps: Omit<OutboxDeps, "channels"> & { sender: AlertSender },
): OutboxDelivery {
  const { sender, ...rest } = deps;
  return createSharedDelivery({
    ...rest,
    channels: { TELEGRAM: telegramChannel(deps.prisma, sender, undefined, deps.now) },
  });
}
