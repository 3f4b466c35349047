// Answering an alert from its buttons: who may, and what "Not me" does.
import { revokeAllSessions } from "@/lib/auth/sessions";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import { userForChat } from "@/lib/telegram/link-tokens";

/** The outbox row an alert was sent from, as far as the rule needs it. */
export interface SentAlert {
  userId: string;
  /** The Telegram message id the alert was sent as (null until sent). */
  externalId: string | null;
}

/**
 * Only the chat linked to the alert's account, on the alert's own message, can act: a
 * forwarded or forged callback from anywhere else changes nothing.
 */
export function mayAnswerAlert(
  alert: SentAlert | null,
  chatUserId: string | null,
  messageId: number | undefined,
): boolean {
  return (
    messageId !== undefined &&
    alert !== null &&
    chatUserId === alert.userId &&
    alert.externalId === String(messageId)
  );
}

/**
 * The account a button press under alert `notificationId` may act on, pressed in `chatId`
 * on message `messageId`; null when the rule above refuses it.
 */
export async function alertAnswerer(
  db: PrismaClient | Prisma.TransactionClient,
  input: { notificationId: string; chatId: number | undefined; messageId: number | undefined },
): Promise<{ userId: string; accountName: string } | null> {
  const alert = input.notificationId
    ? await db.notificationOutbox.findUnique({
        where: { id: input.notificationId },
        select: { userId: true, externalId: true },
      })
    : null;
  const linked = input.chatId === undefined ? null : await userForChat(db, input.chatId);
  if (!linked || !mayAnswerAlert(alert, linked.userId, input.messageId)) return null;
  return linked;
}

/** "Not me": every session of the user is revoked. Returns how many. */
export function signOutEverywhereFromAlert(
  prisma: PrismaClient,
  input: { userId: string; now: Date },
): Promise<number> {
  return revokeAllSessions(prisma, {
    userId: input.userId,
    now: input.now,
    reason: "signed out everywhere from Telegram (“Not me”)",
    context: { userAgent: "Telegram bot" },
  });
}
