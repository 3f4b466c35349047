// Sign-in methods of one account: the linked identities and the password. Linking happens
// in the OAuth callback (lib/auth/identity.ts); this module removes. The last-method guard
// counts every way in, passkeys included (lib/auth/ways-in.ts).
import { AccountError } from "@/lib/account/errors";
import { lockUser } from "@/lib/auth/user-lock";
import { countSignInMethods } from "@/lib/auth/ways-in";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import {
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";

/** Whether the user already has an identity at `provider` (one per provider and user). */
export async function hasLinkedProvider(
  db: DbClient,
  input: { userId: string; provider: string },
): Promise<boolean> {
  const linked = await db.account.count({
    where: { userId: input.userId, provider: input.provider },
  });
  return linked > 0;
}

export interface UnlinkInput {
  userId: string;
  /** The Account row's id, as the account page lists it. */
  accountId: string;
  /** Telegram only: false also disconnects the alerts chat when it is this identity's. */
  keepAlerts?: boolean;
  now: Date;
  context?: EventContext;
  afterRecord?: AfterRecordHook;
}

/**
 * Removes one of the user's own identities. Another user's id or an unknown one →
 * AccountError("not-found"); the last way to sign in → AccountError("last-sign-in-method").
 * Either way nothing changes. Returns the provider that was unlinked.
 */
/** A Telegram identity's chat id (its user id), or -1 (no chat) for anything else. */
function telegramChatId(providerAccountId: string): bigint {
  return /^\d{1,20}$/.test(providerAccountId) ? BigInt(providerAccountId) : -1n;
}

export async function unlinkIdentity(
  prisma: PrismaClient,
  input: UnlinkInput,
): Promise<{ provider: string }> {
  return prisma.$transaction(async (tx) => {
    if (!(await lockUser(tx, input.userId))) throw new AccountError("not-found");
    // userId in the WHERE clause is the authorization check.
    const account = await tx.account.findFirst({
      where: { id: input.accountId, userId: input.userId },
      select: { id: true, provider: true, providerAccountId: true, label: true },
    });
    if (!account) throw new AccountError("not-found");
    if ((await countSignInMethods(tx, input.userId)) <= 1) {
      throw new AccountError("last-sign-in-method");
    }
    await tx.account.delete({ where: { id: account.id } });
    await recordSecurityEvent(
      tx,
      {
        userId: input.userId,
        type: "ACCOUNT_UNLINKED",
        method: account.provider,
        detail: "unlinked from the account page",
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    if (account.provider === "telegram" && input.keepAlerts === false) {
      // Only the chat of the identity going away: alerts sent to another chat stay.
      const { count } = await tx.telegramLink.deleteMany({
        where: { userId: input.userId, chatId: telegramChatId(account.providerAccountId) },
      });
      if (count > 0) {
        await recordSecurityEvent(tx, {
          userId: input.userId,
          type: "TELEGRAM_UNLINKED",
          method: "telegram",
          detail: "disconnected with the Telegram sign-in",
          at: input.now,
          ...input.context,
        });
      }
    }
    return { provider: account.provider };
  });
}
