// Proving an address: the VERIFY_EMAIL link sent after a password sign-up (and on "Resend"),
// what its landing page shows (read only: mail scanners prefetch links) and what confirming
// it does. A verified address takes part in the same-email policy like a provider-verified
// one (docs/sign-in.md); an unverified one can be claimed by whoever proves the mailbox.
import type { Prisma } from "@/lib/generated/prisma/client";
import type { EmailTokenLifetimes } from "@/lib/env";
import { consumeEmailToken, inspectEmailToken, issueEmailToken } from "@/lib/auth/email-tokens";
import { lockUser } from "@/lib/auth/user-lock";
import type { QueueMail } from "@/lib/mail/outbox";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";

/** Where the link lands (app/(auth)/verify-email). */
export const VERIFY_EMAIL_PATH = "/verify-email";

export interface VerificationMailDeps {
  queueMail: QueueMail;
  /** APP_URL: the only origin a link is built on. */
  appUrl: string;
  lifetimes: EmailTokenLifetimes;
  now: Date;
}

/**
 * Issues a VERIFY_EMAIL link for `email` (replacing the user's older ones) and queues its
 * mail, inside `tx`: the mail exists only if what it announces committed.
 */
export async function queueVerificationMail(
  tx: Prisma.TransactionClient,
  deps: VerificationMailDeps,
  recipient: { userId: string; email: string },
): Promise<void> {
  const { token } = await issueEmailToken(tx, {
    ...recipient,
    kind: "VERIFY_EMAIL",
    now: deps.now,
    lifetimes: deps.lifetimes,
  });
  await deps.queueMail(tx, {
    userId: recipient.userId,
    to: recipient.email,
    kind: "VERIFY_EMAIL",
    data: { expiresInMinutes: Math.round(deps.lifetimes.VERIFY_EMAIL / 60) },
    link: `${deps.appUrl}${VERIFY_EMAIL_PATH}?token=${token}`,
  });
}

/**
 * The address "Resend" would send a link to: the account's, while it is unconfirmed; null
 * when there is nothing to confirm (no address, or already verified).
 */
export async function unconfirmedAddress(db: DbClient, userId: string): Promise<string | null> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { email: true, emailVerified: true },
  });
  return user?.email && !user.emailVerified ? user.email : null;
}

/**
 * "Resend" on the account page: a fresh VERIFY_EMAIL link to `email` (the older ones stop
 * working), if it is still the account's unconfirmed address once the user's row is locked
 * — a change of address or a confirmation may have landed since the caller looked.
 */
export async function resendVerification(
  db: DbClient,
  deps: VerificationMailDeps,
  recipient: { userId: string; email: string },
): Promise<"sent" | "nothing-to-confirm"> {
  return inTransaction(db, async (tx) => {
    if (!(await lockUser(tx, recipient.userId))) return "nothing-to-confirm";
    if ((await unconfirmedAddress(tx, recipient.userId)) !== recipient.email) {
      return "nothing-to-confirm";
    }
    await queueVerificationMail(tx, deps, recipient);
    return "sent";
  });
}

/** Why a link does nothing (any longer); each has its own next step on the page. */
export type DeadLink = "expired" | "used" | "unknown" | "stale";

export type VerificationPreview =
  { status: "valid"; email: string; accountCreatedAt: Date } | { status: DeadLink };

/**
 * What the link would confirm, without using it. "stale": the account's address is no longer
 * the one the link went to (changed since), so the link would verify nothing.
 */
export async function previewVerification(
  db: DbClient,
  token: unknown,
  now: Date,
): Promise<VerificationPreview> {
  const found = await inspectEmailToken(db, token, "VERIFY_EMAIL", now);
  if (found.status !== "valid") return { status: found.status };
  const user = await db.user.findUnique({
    where: { id: found.userId },
    select: { email: true, createdAt: true },
  });
  if (user?.email !== found.email) return { status: "stale" };
  return { status: "valid", email: found.email, accountCreatedAt: user.createdAt };
}

export type VerificationResult =
  { status: "verified"; email: string; userId: string } | { status: DeadLink };

export interface VerifyEmailInput extends EventContext {
  token: unknown;
  now: Date;
}

/**
 * Uses the link up and marks the address verified, in one transaction, when the account
 * still has that address (compared on the row locked by the update, so a change of
 * address racing this cannot be verified by the old link). Records EMAIL_VERIFIED.
 */
export async function verifyEmail(
  db: DbClient,
  input: VerifyEmailInput,
  options: { afterRecord?: AfterRecordHook } = {},
): Promise<VerificationResult> {
  return inTransaction(db, async (tx) => {
    const used = await consumeEmailToken(tx, input.token, "VERIFY_EMAIL", input.now);
    if (used.status !== "valid") return { status: used.status };
    const { count } = await tx.user.updateMany({
      where: { id: used.userId, email: used.email },
      data: { emailVerified: input.now },
    });
    // The token stays used: a link for an address the account no longer has is dead.
    if (count === 0) return { status: "stale" };
    await recordSecurityEvent(
      tx,
      {
        userId: used.userId,
        type: "EMAIL_VERIFIED",
        method: "email",
        ip: input.ip ?? null,
        userAgent: input.userAgent ?? null,
        requestId: input.requestId ?? null,
      },
      options,
    );
    return { status: "verified", email: used.email, userId: used.userId };
  });
}
