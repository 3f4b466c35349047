// Connecting the alerts chat in the same step as signing in with Telegram (or linking it
// from the account page), when the person let the bot write to them (telegram:bot_access).
// A person's private chat with a bot has their Telegram user id as its id, so nothing has to
// be sent to the bot first: the `id` claim Telegram vouched for is the chat.
//
// Only ever adds: an account whose alerts already go to a chat keeps that chat, and a chat
// that gets another account's alerts keeps them (the /start link from the account page is
// how a person moves them on purpose). Otherwise signing in with Telegram to a second
// account would silently take the first one's alerts away.
import type { Settings } from "@/lib/env";
import { Prisma, type PrismaClient } from "@/lib/generated/prisma/client";
import { queueNotification } from "@/lib/notifications/outbox";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type EventContext,
} from "@/lib/security/events";

/**
 * Whether a Telegram sign-in connects the alerts chat here: only with a bot to send them,
 * and never with `npm run dev`'s stand-in, whose Telegram user ids are typed in by the
 * developer — a real development bot would write to whoever really has that id.
 */
export function connectsAlertsAtSignIn(
  settings: Pick<Settings, "telegram"> & { auth: Pick<Settings["auth"], "standIns"> },
): boolean {
  return settings.telegram !== null && !settings.auth.standIns;
}

/** The outbox row that says "connected" in the chat (lib/telegram/outbox.ts renders it). */
export const CONNECTED_KIND = "TELEGRAM_CONNECTED";

export type AlertsConnection =
  /** The chat now gets this account's alerts. */
  | "connected"
  /** It already did. */
  | "already"
  /** The account's alerts go to another chat, which stays. */
  | "other-chat"
  /** The chat gets another account's alerts, which stay. */
  | "chat-taken";

export interface SignInAlertsInput {
  userId: string;
  /** The `id` claim: the person's Telegram user id, and so their chat's id. */
  telegramUserId: string;
  username: string | null;
  now: Date;
  context?: EventContext;
  afterRecord?: AfterRecordHook;
}

export async function connectAlertsFromSignIn(
  prisma: PrismaClient,
  input: SignInAlertsInput,
): Promise<AlertsConnection> {
  const chatId = BigInt(input.telegramUserId);
  try {
    return await inTransaction(prisma, async (tx) => {
      const mine = await tx.telegramLink.findUnique({
        where: { userId: input.userId },
        select: { chatId: true },
      });
      if (mine) return mine.chatId === chatId ? "already" : "other-chat";
      const taken = await tx.telegramLink.findUnique({
        where: { chatId },
        select: { userId: true },
      });
      // Ours after all: a parallel arrival of the same person committed between the two
      // reads (each statement sees what is committed when it runs).
      if (taken) return taken.userId === input.userId ? "already" : "chat-taken";
      await tx.telegramLink.create({
        data: {
          userId: input.userId,
          chatId,
          telegramUserId: chatId,
          username: input.username,
          createdAt: input.now,
        },
      });
      await recordSecurityEvent(
        tx,
        {
          userId: input.userId,
          type: "TELEGRAM_LINKED",
          method: "telegram",
          detail: input.username
            ? `@${input.username}, when signing in with Telegram`
            : "when signing in with Telegram",
          at: input.now,
          ...input.context,
        },
        { afterRecord: input.afterRecord },
      );
      const user = await tx.user.findUniqueOrThrow({
        where: { id: input.userId },
        select: { email: true, name: true },
      });
      await queueNotification(tx, {
        channel: "TELEGRAM",
        userId: input.userId,
        kind: CONNECTED_KIND,
        payload: { accountName: user.email ?? user.name ?? "your account" },
        at: input.now,
      });
      return "connected";
    });
  } catch (error) {
    // A parallel arrival linked the user or the chat first (unique userId / chatId): what
    // it left is the answer, read again outside the failed transaction.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      const mine = await prisma.telegramLink.findUnique({
        where: { userId: input.userId },
        select: { chatId: true },
      });
      if (mine) return mine.chatId === chatId ? "already" : "other-chat";
      return "chat-taken";
    }
    throw error;
  }
}
