// Changing the account's email address (or adding one to an account that has none): the
// account page asks, a link mailed to the NEW address confirms (docs/email.md, "Change of
// address"). Nothing changes until that mailbox answers, so a stolen session cannot move
// the account to an attacker's address by itself; the old address is told at once, with a
// way to secure the account, so its owner can act before the link is used.
//
// The request answers the same whether or not the new address belongs to another account
// (no enumeration from the account page): only the new address's mailbox is told, in the
// confirmation mail, and the confirmation then decides:
// - another account whose email is verified has it → refused, nothing changes;
// - another account whose email was never proven has it → the mailbox proof wins: the
//   address is taken off that account (docs/sign-in.md, "An address proven by a change of
//   email"), which keeps its other ways in;
// - otherwise the address is this account's, verified from now on.
import { AccountError } from "@/lib/account/errors";
import { lockUser } from "@/lib/auth/user-lock";
import {
  consumeEmailToken,
  deleteEmailTokens,
  inspectEmailToken,
  issueEmailToken,
  type EmailTokenKind,
} from "@/lib/auth/email-tokens";
import { normalizeEmail } from "@/lib/email";
import type { EmailTokenLifetimes } from "@/lib/env";
import { Prisma, type PrismaClient } from "@/lib/generated/prisma/client";
import type { QueueMail } from "@/lib/mail/outbox";
import {
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";

/** Where the confirmation link lands (app/confirm-email-change/page.tsx). */
export const CONFIRM_EMAIL_CHANGE_PATH = "/confirm-email-change";

/**
 * Links the old address's owner had: a reset or verification link sent there must not act
 * on the account once the address is no longer its own.
 */
const TOKENS_FOR_THE_OLD_ADDRESS: readonly EmailTokenKind[] = ["RESET_PASSWORD", "VERIFY_EMAIL"];

/** Why an address lost its account: starts the detail of the event on that account. */
export const ADDRESS_TAKEN_DETAIL = "address proven by its owner for another account";

/**
 * "grace.hopper@example.com" → "gr•••@e•••.com": enough for the owner to recognise an
 * address they typed, not enough to hand a stranger reading the old inbox the new one.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "•••";
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  const shownLocal = local.slice(0, local.length > 4 ? 2 : 1);
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : "";
  return `${shownLocal}•••@${host.slice(0, 1)}•••${tld}`;
}

export interface RequestEmailChangeInput {
  userId: string;
  /** Already validated by emailSchema. */
  newEmail: string;
  now: Date;
  /** Settings.emailTokens.lifetimeSeconds. */
  lifetimes: EmailTokenLifetimes;
  /** APP_URL: the link is built on it, never on the request. */
  appUrl: string;
  queueMail: QueueMail;
  context?: EventContext;
  afterRecord?: AfterRecordHook;
}

/**
 * Issues the CHANGE_EMAIL link for the new address and queues its mail, plus the notice to
 * the old address (if any), in one transaction. Refusals: "same-email", "not-found".
 */
export async function requestEmailChange(
  prisma: PrismaClient,
  input: RequestEmailChangeInput,
): Promise<{ email: string }> {
  const email = normalizeEmail(input.newEmail);
  return prisma.$transaction(async (tx) => {
    if (!(await lockUser(tx, input.userId))) throw new AccountError("not-found");
    const user = await tx.user.findUniqueOrThrow({
      where: { id: input.userId },
      select: { email: true },
    });
    if (user.email === email) throw new AccountError("same-email");
    // Looked up whatever the answer, so taken and free addresses cost the same work.
    const holder = await addressHolder(tx, email, input.userId);
    const { token } = await issueEmailToken(tx, {
      userId: input.userId,
      kind: "CHANGE_EMAIL",
      email,
      now: input.now,
      lifetimes: input.lifetimes,
    });
    await recordSecurityEvent(
      tx,
      {
        userId: input.userId,
        type: "EMAIL_CHANGE_REQUESTED",
        detail: `confirmation sent to ${maskEmail(email)}`,
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    const link = `${input.appUrl}${CONFIRM_EMAIL_CHANGE_PATH}?${new URLSearchParams({ token })}`;
    const expiresInMinutes = Math.round(input.lifetimes.CHANGE_EMAIL / 60);
    await input.queueMail(tx, {
      userId: input.userId,
      to: email,
      kind: "CHANGE_EMAIL_CONFIRM",
      data: {
        newEmail: email,
        expiresInMinutes,
        ...(holder ? { addressInUse: holder.verified ? "verified" : "unverified" } : {}),
      },
      link,
    });
    if (user.email !== null) {
      await input.queueMail(tx, {
        userId: input.userId,
        to: user.email,
        kind: "CHANGE_EMAIL_NOTICE",
        data: { newEmail: maskEmail(email) },
      });
    }
    return { email };
  });
}

/** Another account that has `email`, and whether it proved it. */
async function addressHolder(db: DbClient, email: string, exceptUserId: string) {
  const holder = await db.user.findFirst({
    where: { email, id: { not: exceptUserId } },
    select: { id: true, emailVerified: true },
  });
  return holder ? { id: holder.id, verified: holder.emailVerified !== null } : null;
}

/** What a confirmation link would do, or why it cannot. */
export type EmailChangePreview =
  | { status: "expired" | "used" | "unknown" }
  /** Another account is signed in in this browser: nothing may change from here. */
  | { status: "other-account" }
  /** An account with a verified email already has the new address. */
  | { status: "taken"; newEmail: string }
  | { status: "valid"; currentEmail: string | null; newEmail: string };

/** For the landing page's GET: reads only (mail scanners open links too). */
export async function previewEmailChange(
  prisma: PrismaClient,
  input: { token: unknown; signedInUserId: string | null; now: Date },
): Promise<EmailChangePreview> {
  const link = await inspectEmailToken(prisma, input.token, "CHANGE_EMAIL", input.now);
  if (link.status !== "valid") return link;
  if (input.signedInUserId !== null && input.signedInUserId !== link.userId) {
    return { status: "other-account" };
  }
  const holder = await addressHolder(prisma, link.email, link.userId);
  if (holder?.verified) return { status: "taken", newEmail: link.email };
  const user = await prisma.user.findUnique({
    where: { id: link.userId },
    select: { email: true },
  });
  if (!user) return { status: "unknown" };
  return { status: "valid", currentEmail: user.email, newEmail: link.email };
}

export type EmailChangeResult =
  | Exclude<EmailChangePreview, { status: "valid" }>
  | { status: "changed"; previousEmail: string | null; email: string };

export interface ConfirmEmailChangeInput {
  token: unknown;
  /** The account signed in in this browser, if any (the link alone is the proof). */
  signedInUserId: string | null;
  now: Date;
  context?: EventContext;
  afterRecord?: AfterRecordHook;
}

/** A refusal found inside the transaction: it rolls back, the link stays usable. */
class Refused extends Error {
  constructor(readonly result: EmailChangeResult) {
    super(`email change refused: ${result.status}`);
  }
}

/**
 * Uses the link and, in the same transaction, moves the address: the account's email
 * becomes the new one, verified now; the reset and verification links of the old address
 * die. Every refusal changes nothing (and leaves the link unused).
 */
export async function confirmEmailChange(
  prisma: PrismaClient,
  input: ConfirmEmailChangeInput,
): Promise<EmailChangeResult> {
  // Checked before the link is used: a browser signed in as someone else must not spend it.
  const preview = await previewEmailChange(prisma, input);
  if (preview.status !== "valid") return preview;
  try {
    return await prisma.$transaction((tx) => applyEmailChange(tx, input));
  } catch (error) {
    if (error instanceof Refused) return error.result;
    // users.email is unique: another account took the address after the checks above.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      return { status: "taken", newEmail: preview.newEmail };
    }
    throw error;
  }
}

async function applyEmailChange(
  tx: Prisma.TransactionClient,
  input: ConfirmEmailChangeInput,
): Promise<EmailChangeResult> {
  const link = await consumeEmailToken(tx, input.token, "CHANGE_EMAIL", input.now);
  if (link.status !== "valid") return link;
  const { userId, email } = link;
  if (!(await lockUser(tx, userId))) throw new Refused({ status: "unknown" });
  const holder = await addressHolder(tx, email, userId);
  if (holder?.verified) throw new Refused({ status: "taken", newEmail: email });
  if (holder) await takeAddressOff(tx, holder.id, input);
  const before = await tx.user.findUniqueOrThrow({
    where: { id: userId },
    select: { email: true },
  });
  await tx.user.update({ where: { id: userId }, data: { email, emailVerified: input.now } });
  await deleteEmailTokens(tx, userId, TOKENS_FOR_THE_OLD_ADDRESS);
  await recordSecurityEvent(
    tx,
    {
      userId,
      type: "EMAIL_CHANGED",
      detail:
        before.email === null
          ? `address added and confirmed: ${maskEmail(email)}`
          : `address confirmed from the emailed link: ${maskEmail(email)}`,
      at: input.now,
      ...input.context,
    },
    { afterRecord: input.afterRecord },
  );
  return { status: "changed", previousEmail: before.email, email };
}

/**
 * The account that had the address without ever proving it loses it (its other ways in
 * stay), with the links that were sent there, and is told in its activity (and chat).
 */
async function takeAddressOff(
  tx: Prisma.TransactionClient,
  holderId: string,
  input: ConfirmEmailChangeInput,
): Promise<void> {
  await lockUser(tx, holderId);
  await tx.user.update({ where: { id: holderId }, data: { email: null, emailVerified: null } });
  await deleteEmailTokens(tx, holderId, TOKENS_FOR_THE_OLD_ADDRESS);
  await recordSecurityEvent(
    tx,
    {
      userId: holderId,
      type: "EMAIL_CHANGED",
      detail: `${ADDRESS_TAKEN_DETAIL}: address removed`,
      at: input.now,
      // Not the device or IP of whoever confirmed: that is another person's.
      requestId: input.context?.requestId ?? null,
    },
    { afterRecord: input.afterRecord },
  );
}
