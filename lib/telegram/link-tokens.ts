// Linking a Telegram chat to an account (docs/telegram.md, "What people get").
//
// The account page asks for a token and shows `https://t.me/<bot>?start=<token>`; Telegram
// opens the bot and sends `/start <token>` from the person's chat, and the bot links that
// chat to the token's user. The token is the only proof that the chat belongs to the
// signed-in person, so it is:
// - random (32 bytes → 43 base64url characters, inside Telegram's 64-character
//   `A-Za-z0-9_-` limit for start payloads);
// - stored only as its SHA-256 (a database leak shows no usable link);
// - short-lived (TELEGRAM_LINK_TOKEN_TTL_SECONDS, 10 minutes by default) and single-use:
//   the use is claimed with a conditional UPDATE, so two /start messages racing with one
//   token link at most once.
import { createHash, randomBytes } from "node:crypto";

import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type EventContext,
} from "@/lib/security/events";
import { queueNotification } from "@/lib/notifications/outbox";
import { MOVED_AWAY_KIND } from "@/lib/telegram/outbox";

/** What Telegram accepts as a start payload. */
export const LINK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function hashLinkToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function telegramStartUrl(botUsername: string, token: string): string {
  return `https://t.me/${botUsername}?start=${token}`;
}

/**
 * A new link token for the user. Earlier unused tokens of the user are deleted: only the
 * link on screen now works, so an old one left in a chat or a screenshot cannot be used.
 */
export async function createLinkToken(
  prisma: PrismaClient,
  input: { userId: string; now: Date; ttlSeconds: number },
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(input.now.getTime() + input.ttlSeconds * 1_000);
  await prisma.$transaction([
    prisma.telegramLinkToken.deleteMany({ where: { userId: input.userId, usedAt: null } }),
    prisma.telegramLinkToken.create({
      data: {
        tokenHash: hashLinkToken(token),
        userId: input.userId,
        createdAt: input.now,
        expiresAt,
      },
    }),
  ]);
  return { token, expiresAt };
}

export interface TelegramChat {
  chatId: number;
  telegramUserId: number;
  username: string | null;
}

export type LinkResult =
  | { ok: true; userId: string; accountName: string; replacedChatId: number | null }
  | { ok: false; reason: "unknown" | "expired" | "used" };

/**
 * Links `chat` to the user behind `token`. The chat's previous link (to this or another
 * account) and the user's previous chat are replaced: one chat per user, one user per chat.
 * Records TELEGRAM_LINKED (with `afterRecord`, which queues the "connected" alert).
 */
export async function linkChatWithToken(
  prisma: PrismaClient,
  input: {
    token: string;
    chat: TelegramChat;
    now: Date;
    context?: EventContext;
    afterRecord?: AfterRecordHook;
  },
): Promise<LinkResult> {
  if (!LINK_TOKEN_PATTERN.test(input.token)) return { ok: false, reason: "unknown" };
  const tokenHash = hashLinkToken(input.token);
  return inTransaction(prisma, async (tx) => {
    const claimed = await claimLinkToken(tx, tokenHash, input.now);
    if (!claimed.ok) return claimed;
    const { userId } = claimed;
    const replaced = await moveLinkToChat(tx, userId, input.chat, input.now);
    await recordSecurityEvent(
      tx,
      {
        userId,
        type: "TELEGRAM_LINKED",
        method: "telegram",
        detail: input.chat.username ? `@${input.chat.username}` : null,
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    const user = await tx.user.findUniqueOrThrow({
      where: { id: userId },
      select: { email: true, name: true },
    });
    const accountName = user.email ?? user.name ?? "your account";
    // The chat that used to get this account's alerts is told they moved: if that was not
    // its owner's doing, they learn it there.
    if (replaced !== null) {
      await queueNotification(tx, {
        channel: "TELEGRAM",
        userId,
        kind: MOVED_AWAY_KIND,
        payload: { chatId: replaced, accountName },
        at: input.now,
      });
    }
    return { ok: true, userId, accountName, replacedChatId: replaced };
  });
}

/** Marks the token used; only an unused, unexpired one changes, so of two racing uses one wins. */
async function claimLinkToken(
  tx: Prisma.TransactionClient,
  tokenHash: string,
  now: Date,
): Promise<{ ok: true; userId: string } | Extract<LinkResult, { ok: false }>> {
  const { count } = await tx.telegramLinkToken.updateMany({
    where: { tokenHash, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  const row = await tx.telegramLinkToken.findUnique({
    where: { tokenHash },
    select: { userId: true, usedAt: true, expiresAt: true },
  });
  if (count === 0) {
    if (!row) return { ok: false, reason: "unknown" };
    return { ok: false, reason: row.usedAt !== null ? "used" : "expired" };
  }
  if (!row) throw new Error("link token vanished inside its transaction");
  return { ok: true, userId: row.userId };
}

/**
 * Points the user's link at `chat`, taking the chat from any other user. Returns the chat
 * the user's alerts went to until now when it was another one, else null.
 */
async function moveLinkToChat(
  tx: Prisma.TransactionClient,
  userId: string,
  chat: TelegramChat,
  now: Date,
): Promise<number | null> {
  const chatId = BigInt(chat.chatId);
  const previous = await tx.telegramLink.findUnique({
    where: { userId },
    select: { chatId: true },
  });
  // The chat may be linked to someone else (a shared family phone, a second account):
  // the person holding a fresh token from a signed-in account page wins.
  await tx.telegramLink.deleteMany({ where: { chatId, userId: { not: userId } } });
  const link = {
    chatId,
    telegramUserId: BigInt(chat.telegramUserId),
    username: chat.username,
    createdAt: now,
  };
  await tx.telegramLink.upsert({
    where: { userId },
    create: { userId, ...link },
    update: link,
  });
  return previous && previous.chatId !== chatId ? Number(previous.chatId) : null;
}

/**
 * Removes the user's chat link (from the account page, or /unlink in that chat). Records
 * TELEGRAM_UNLINKED. Returns whether there was one.
 */
export async function unlinkTelegram(
  db: PrismaClient | Prisma.TransactionClient,
  input: { userId: string; now: Date; context?: EventContext; via: "account" | "bot" },
): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const { count } = await tx.telegramLink.deleteMany({ where: { userId: input.userId } });
    if (count === 0) return false;
    await recordSecurityEvent(tx, {
      userId: input.userId,
      type: "TELEGRAM_UNLINKED",
      method: "telegram",
      detail: input.via === "bot" ? "disconnected from the chat (/unlink)" : "disconnected",
      at: input.now,
      ...input.context,
    });
    return true;
  });
}

/** The user linked to a chat, if any. */
export async function userForChat(
  db: PrismaClient | Prisma.TransactionClient,
  chatId: number,
): Promise<{ userId: string; accountName: string } | null> {
  const link = await db.telegramLink.findUnique({
    where: { chatId: BigInt(chatId) },
    select: { userId: true, user: { select: { email: true, name: true } } },
  });
  if (!link) return null;
  return { userId: link.userId, accountName: link.user.email ?? link.user.name ?? "your account" };
}
