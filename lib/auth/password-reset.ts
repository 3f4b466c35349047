// Forgot password: a link mailed to the account's address sets a new password (docs/email.md,
// "Forgot password").
//
// - requestPasswordReset runs AFTER the answer has gone (the action schedules it with
//   after()): the person sees the same words at the same time whether or not an account uses
//   the address, and whatever this finds out is never shown to them. An account with a
//   password gets a RESET_PASSWORD link (and, when its address is proven and a Telegram chat
//   is connected, a copy of the link in the chat); one without a password gets a mail saying
//   how it signs in; an unknown address gets nothing.
// - resetPasswordWithLink uses the link up and, in one transaction, sets the password,
//   deletes the other reset links, signs out every session and records PASSWORD_RESET (the
//   Telegram alert hangs on it). On an account whose address was never proven, following
//   the link is the proof: the claim rule runs first (lib/auth/claim.ts), so whoever set the
//   account up with someone else's address loses every way in, then the address is verified.
import { lockUser } from "@/lib/auth/user-lock";
import { claimAccount } from "@/lib/auth/claim";
import {
  consumeEmailToken,
  hashEmailToken,
  inspectEmailToken,
  issueEmailToken,
} from "@/lib/auth/email-tokens";
import { argon2Hasher, type PasswordHasher } from "@/lib/auth/password";
import { passwordMatchesEmail } from "@/lib/auth/schemas";
import { revokeAllSessions } from "@/lib/auth/sessions";
import { normalizeEmail } from "@/lib/email";
import type { EmailTokenLifetimes } from "@/lib/env";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import type { QueueMail } from "@/lib/mail/outbox";
import { queueNotification, SEALED_LINK_KEY } from "@/lib/notifications/outbox";
import {
  recordSecurityEvent,
  type AfterRecordHook,
  type EventContext,
} from "@/lib/security/events";
import type { LinkSealer } from "@/lib/security/sealed-link";
import { methodName, PASSKEY_PROVIDER_ID, PASSWORD_PROVIDER_ID } from "@/lib/sign-in-methods";

/** The path of the page a reset link opens (app/(auth)/reset-password). */
export const RESET_PASSWORD_PATH = "/reset-password";

/**
 * The outbox kind of the link's copy to the account's Telegram chat; the Telegram channel
 * renders it (lib/telegram/outbox.ts) from this payload, the link sealed under
 * SEALED_LINK_KEY (removed once the row is SENT or FAILED).
 */
export const RESET_LINK_CHAT_KIND = "PASSWORD_RESET_LINK";

export interface ResetLinkChatPayload {
  [SEALED_LINK_KEY]: string;
  expiresInMinutes: number;
}

/** The link a reset mail carries: APP_URL only, never a request's Host. */
export function resetLink(appUrl: string, token: string): string {
  return `${appUrl}${RESET_PASSWORD_PATH}?${new URLSearchParams({ token })}`;
}

// Why deliverSoon once more after each commit: this runs after the answer, where Next's
// after() runs work at once rather than later, so the delivery queueMail asks for inside the
// transaction can look before the commit and find nothing (the sweeper would send it up to
// a minute later).
export interface ResetRequestDeps {
  prisma: PrismaClient;
  queueMail: QueueMail;
  sealer: LinkSealer;
  /** Asks the outbox for a delivery after the response (the Telegram copy). */
  deliverSoon: () => void;
  appUrl: string;
  lifetimes: EmailTokenLifetimes;
  afterRecord?: AfterRecordHook;
}

/** What a request led to: for tests and the log, never for the person who asked. */
export type ResetRequestOutcome = "link-sent" | "no-password" | "no-account";

export async function requestPasswordReset(
  deps: ResetRequestDeps,
  input: { email: string; now: Date; context?: EventContext },
): Promise<ResetRequestOutcome> {
  const user = await deps.prisma.user.findUnique({
    where: { email: normalizeEmail(input.email) },
    select: {
      id: true,
      email: true,
      emailVerified: true,
      password: { select: { userId: true } },
      accounts: { select: { provider: true }, orderBy: { createdAt: "asc" } },
      telegramLink: { select: { userId: true } },
      _count: { select: { passkeys: true } },
    },
  });
  if (user?.email == null) return "no-account";
  const to = user.email;

  if (!user.password) {
    const methods = [
      ...new Set(user.accounts.map((a) => methodName(a.provider) ?? a.provider)),
      // "you sign in with Google or a passkey", not "with a sign-in provider".
      ...(user._count.passkeys > 0 ? [methodName(PASSKEY_PROVIDER_ID) ?? "a passkey"] : []),
    ];
    await deps.prisma.$transaction((tx) =>
      deps.queueMail(tx, { userId: user.id, to, kind: "NO_PASSWORD", data: { methods } }),
    );
    deps.deliverSoon();
    return "no-password";
  }

  const expiresInMinutes = Math.round(deps.lifetimes.RESET_PASSWORD / 60);
  await deps.prisma.$transaction(async (tx) => {
    const { token } = await issueEmailToken(tx, {
      userId: user.id,
      kind: "RESET_PASSWORD",
      email: to,
      now: input.now,
      lifetimes: deps.lifetimes,
    });
    const link = resetLink(deps.appUrl, token);
    await recordSecurityEvent(
      tx,
      {
        userId: user.id,
        type: "PASSWORD_RESET_REQUESTED",
        method: PASSWORD_PROVIDER_ID,
        detail: "reset link sent by email",
        at: input.now,
        ...input.context,
      },
      { afterRecord: deps.afterRecord },
    );
    await deps.queueMail(tx, {
      userId: user.id,
      to,
      kind: "RESET_PASSWORD",
      data: { expiresInMinutes },
      link,
    });
    // The chat copy only when the address is proven: on an unproven account the chat may
    // be a squatter's, and a reset link also proves the mailbox (the claim below).
    if (user.telegramLink && user.emailVerified !== null) {
      await queueChatCopy(tx, deps, { userId: user.id, link, expiresInMinutes, now: input.now });
    }
  });
  deps.deliverSoon();
  return "link-sent";
}

async function queueChatCopy(
  tx: Prisma.TransactionClient,
  deps: ResetRequestDeps,
  input: { userId: string; link: string; expiresInMinutes: number; now: Date },
): Promise<void> {
  const payload: ResetLinkChatPayload = {
    [SEALED_LINK_KEY]: deps.sealer.seal(input.link, input.userId),
    expiresInMinutes: input.expiresInMinutes,
  };
  await queueNotification(tx, {
    channel: "TELEGRAM",
    userId: input.userId,
    kind: RESET_LINK_CHAT_KIND,
    payload: { ...payload },
    at: input.now,
  });
}

export type ResetLinkState = "valid" | "expired" | "used" | "unknown";

/** What a reset link would do, without using it up (the GET of the page). */
export async function inspectResetLink(
  prisma: PrismaClient,
  token: unknown,
  now: Date,
): Promise<ResetLinkState> {
  return (await inspectEmailToken(prisma, token, "RESET_PASSWORD", now)).status;
}

export interface ResetWithLinkInput {
  token: unknown;
  /** Already validated by newPasswordSchema. */
  password: string;
  now: Date;
  context?: EventContext;
  afterRecord?: AfterRecordHook;
}

export type ResetWithLinkResult =
  | { status: "reset"; userId: string; claimed: boolean; signedOutSessions: number }
  | { status: "expired" | "used" | "unknown" }
  /** The new password is the account's address: refused, the link stays usable. */
  | { status: "password-is-email" };

export async function resetPasswordWithLink(
  prisma: PrismaClient,
  input: ResetWithLinkInput,
  hasher: PasswordHasher = argon2Hasher,
): Promise<ResetWithLinkResult> {
  // A look first, so a refused password leaves the link usable and the hash (tens of ms of
  // argon2) is computed outside the transaction.
  const seen = await inspectEmailToken(prisma, input.token, "RESET_PASSWORD", input.now);
  if (seen.status !== "valid") return { status: seen.status };
  if (passwordMatchesEmail(input.password, seen.email)) return { status: "password-is-email" };
  const hash = await hasher.hash(input.password);

  return prisma.$transaction(async (tx): Promise<ResetWithLinkResult> => {
    const link = await consumeEmailToken(tx, input.token, "RESET_PASSWORD", input.now);
    if (link.status !== "valid") return { status: link.status };
    if (!(await lockUser(tx, link.userId))) return { status: "unknown" };
    const user = await tx.user.findUniqueOrThrow({
      where: { id: link.userId },
      select: { email: true, emailVerified: true },
    });
    // The link proves the address it went to; one the account no longer has proves nothing.
    if (user.email !== link.email) return { status: "unknown" };
    const claimed = user.emailVerified === null;
    let claimSignedOut = 0;
    if (claimed) {
      ({ revokedSessions: claimSignedOut } = await claimAccount(tx, {
        userId: link.userId,
        email: link.email,
        claimantAccountId: null,
        // The link just used: it stays, used, so opening it again says so.
        claimantEmailTokenHash: hashEmailToken(String(input.token)),
        profile: { name: null, image: null },
        method: PASSWORD_PROVIDER_ID,
        now: input.now,
        context: input.context ?? {},
        afterRecord: input.afterRecord,
      }));
    }
    await tx.passwordCredential.upsert({
      where: { userId: link.userId },
      create: { userId: link.userId, hash },
      update: { hash },
    });
    // The other pending reset links; used ones stay, so this link says "already used".
    await tx.emailToken.deleteMany({
      where: { userId: link.userId, kind: "RESET_PASSWORD", usedAt: null },
    });
    const signedOutSessions = await revokeAllSessions(tx, {
      userId: link.userId,
      now: input.now,
      context: input.context,
      reason: "password reset: all sessions revoked",
      afterRecord: input.afterRecord,
    });
    await recordSecurityEvent(
      tx,
      {
        userId: link.userId,
        type: "PASSWORD_RESET",
        method: PASSWORD_PROVIDER_ID,
        detail: claimed
          ? "password reset with an emailed link; the link proved the address"
          : "password reset with an emailed link; every session signed out",
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    return {
      status: "reset",
      userId: link.userId,
      claimed,
      signedOutSessions: signedOutSessions + claimSignedOut,
    };
  });
}
