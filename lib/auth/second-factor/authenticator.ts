// The authenticator app (TOTP) of an account: enrolment, its confirmation, checking a code,
// turning it off, and the status the account page shows.
//
// - Enrolment stores a new key sealed (keys.ts) with `confirmedAt` null: nothing about
//   signing in changes until the person proves their app works by typing a current code.
//   Starting again replaces a pending enrolment; a confirmed one must be turned off first.
//   The pending key is read back (pendingTotpEnrolment) to show it again until then, and
//   cancelling drops only a pending one.
// - Confirming accepts that first code, records its time step, makes the ten recovery codes
//   and records TOTP_ENABLED, in one transaction.
// - A code is accepted once: its time step must be newer than `lastUsedStep`, and the step
//   is moved with one conditional UPDATE (… WHERE "lastUsedStep" < step), so of any number
//   of requests with one code exactly one wins, and once a code is accepted no code of the
//   same or an earlier step is (RFC 6238, section 5.2).
// - Every change to it takes the user's row lock (lib/auth/user-lock.ts), like every other
//   change to how an account signs in.
import { qrCodeSvg } from "@/lib/auth/second-factor/qr-svg";
import type { SecondFactorKeys } from "@/lib/auth/second-factor/keys";
import { replaceRecoveryCodes } from "@/lib/auth/second-factor/recovery-codes";
import {
  matchingTotpStep,
  newTotpSecret,
  normalizeTotpCode,
  totpUri,
} from "@/lib/auth/second-factor/totp";
import { lockUser } from "@/lib/auth/user-lock";
import type { Prisma } from "@/lib/generated/prisma/client";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";

export interface StartTotpEnrolmentInput {
  userId: string;
  now: Date;
  keys: SecondFactorKeys;
  /** The site's name, shown by the app above the codes ("Gatehouse"). */
  issuer: string;
  /** Which of the person's accounts this is, shown under the issuer (their email, say). */
  accountLabel: string;
}

export type StartTotpEnrolmentResult =
  | ({ status: "started" } & TotpEnrolment)
  /** A confirmed authenticator exists: turn it off before enrolling another. */
  | { status: "already-enabled" }
  | { status: "unknown-user" };

/** A new key waiting for its first code, replacing any earlier pending one. */
export async function startTotpEnrolment(
  db: DbClient,
  input: StartTotpEnrolmentInput,
): Promise<StartTotpEnrolmentResult> {
  const { userId, now } = input;
  const secret = newTotpSecret();
  const stored = await inTransaction(db, async (tx) => {
    if (!(await lockUser(tx, userId))) return "unknown-user" as const;
    const existing = await tx.totpCredential.findUnique({
      where: { userId },
      select: { confirmedAt: true },
    });
    if (existing?.confirmedAt) return "already-enabled" as const;
    await tx.totpCredential.deleteMany({ where: { userId } });
    await tx.totpCredential.create({
      data: { userId, secret: input.keys.totpSecret.seal(secret, userId), createdAt: now },
    });
    return "started" as const;
  });
  if (stored !== "started") return { status: stored };
  return { status: "started", ...enrolmentFor(secret, input) };
}

/** What a person needs to add `secret` to their app: the key, its URI and its QR code. */
function enrolmentFor(
  secret: string,
  { issuer, accountLabel }: { issuer: string; accountLabel: string },
): TotpEnrolment {
  const uri = totpUri({ secret, issuer, accountLabel });
  return { secret, uri, qrSvg: qrCodeSvg(uri) };
}

export interface TotpEnrolment {
  /** The key in base32, for people who type it instead of scanning. */
  secret: string;
  /** The otpauth:// URI the QR code holds. */
  uri: string;
  /** The QR code as an <svg> element (qr-svg.ts). */
  qrSvg: string;
}

/**
 * The enrolment waiting for its first code, to show again: the account page renders it on
 * every visit until the person confirms or cancels, so the key does not have to live in the
 * browser between the two (a reload, or coming back from the app, would lose it). Null when
 * nothing is pending, when the app is already on, or when the sealed key no longer opens
 * (AUTH_SECRET changed): starting again replaces it. Reads only; records nothing.
 */
export async function pendingTotpEnrolment(
  db: DbClient,
  input: Omit<StartTotpEnrolmentInput, "now">,
): Promise<TotpEnrolment | null> {
  const { userId } = input;
  const pending = await db.totpCredential.findUnique({
    where: { userId },
    select: { secret: true, confirmedAt: true },
  });
  if (!pending || pending.confirmedAt) return null;
  const secret = input.keys.totpSecret.open(pending.secret, userId);
  return secret === null ? null : enrolmentFor(secret, input);
}

export type CancelTotpEnrolmentResult =
  | { status: "cancelled" }
  /** Nothing was pending (cancelled already, or never started): nothing to do. */
  | { status: "not-started" }
  /** The app was confirmed meanwhile (another tab): cancelling must not turn it off. */
  | { status: "already-enabled" };

/**
 * Drops a pending enrolment, and only a pending one: a confirmed app is turned off by
 * disableTotp, which records it. Nothing about signing in changes, so no event.
 */
export async function cancelTotpEnrolment(
  db: DbClient,
  input: { userId: string },
): Promise<CancelTotpEnrolmentResult> {
  const { userId } = input;
  return inTransaction(db, async (tx): Promise<CancelTotpEnrolmentResult> => {
    await lockUser(tx, userId);
    const { count } = await tx.totpCredential.deleteMany({ where: { userId, confirmedAt: null } });
    if (count > 0) return { status: "cancelled" };
    const confirmed = await tx.totpCredential.findUnique({
      where: { userId },
      select: { userId: true },
    });
    return confirmed ? { status: "already-enabled" } : { status: "not-started" };
  });
}

export interface TotpCodeInput {
  userId: string;
  /** As typed; anything that is not six digits (spaces aside) is a wrong code. */
  code: unknown;
  now: Date;
  keys: SecondFactorKeys;
}

export type ConfirmTotpEnrolmentResult =
  /** The recovery codes in clear: show them now, they are never readable again. */
  | { status: "enabled"; recoveryCodes: string[] }
  /** Not a current code of the pending key: nothing changed, the person may try again. */
  | { status: "wrong-code" }
  /** Nothing pending (never started, or sealed under another AUTH_SECRET): start again. */
  | { status: "not-started" }
  | { status: "already-enabled" };

/**
 * Turns the pending key on when `code` is one of its current codes (±1 step), and hands out
 * the recovery codes. Records TOTP_ENABLED. A refusal changes nothing.
 */
export async function confirmTotpEnrolment(
  db: DbClient,
  input: TotpCodeInput & { context?: EventContext; afterRecord?: AfterRecordHook },
): Promise<ConfirmTotpEnrolmentResult> {
  const { userId, now } = input;
  const code = normalizeTotpCode(input.code);
  return inTransaction(db, async (tx): Promise<ConfirmTotpEnrolmentResult> => {
    await lockUser(tx, userId);
    const pending = await tx.totpCredential.findUnique({ where: { userId } });
    if (!pending) return { status: "not-started" };
    if (pending.confirmedAt) return { status: "already-enabled" };
    const secret = input.keys.totpSecret.open(pending.secret, userId);
    if (secret === null) return { status: "not-started" };
    const step = code === null ? null : matchingTotpStep(secret, code, now);
    if (step === null) return { status: "wrong-code" };

    await tx.totpCredential.update({
      where: { userId },
      // The confirming code counts as used: it cannot be replayed to sign in.
      data: { confirmedAt: now, lastUsedStep: step },
    });
    const recoveryCodes = await replaceRecoveryCodes(tx, { userId, now, keys: input.keys });
    await recordSecurityEvent(
      tx,
      { userId, type: "TOTP_ENABLED", at: now, ...input.context },
      { afterRecord: input.afterRecord },
    );
    return { status: "enabled", recoveryCodes };
  });
}

export type VerifyTotpCodeResult =
  | { status: "accepted" }
  | { status: "wrong-code" }
  /** A right code whose time step (or a later one) was already accepted: a replay. */
  | { status: "reused" }
  /** No confirmed authenticator on the account. */
  | { status: "not-enabled" }
  /** The stored key does not open: AUTH_SECRET changed since enrolment (or the row was edited). */
  | { status: "key-unreadable" };

/**
 * Checks a code of the account's confirmed authenticator and, when right, uses it up: of
 * concurrent checks of one code, exactly one is accepted. Records no event: the sign-in it
 * completes does (phase 2, docs/second-factor.md).
 */
export async function verifyTotpCode(
  db: DbClient,
  input: TotpCodeInput,
): Promise<VerifyTotpCodeResult> {
  const { userId } = input;
  const credential = await db.totpCredential.findUnique({ where: { userId } });
  if (!credential?.confirmedAt) return { status: "not-enabled" };
  const code = normalizeTotpCode(input.code);
  if (code === null) return { status: "wrong-code" };
  const secret = input.keys.totpSecret.open(credential.secret, userId);
  if (secret === null) return { status: "key-unreadable" };
  const step = matchingTotpStep(secret, code, input.now);
  if (step === null) return { status: "wrong-code" };
  // The read above may be stale by now (a rival request with the same code); the
  // conditional UPDATE below is what decides.
  if (step <= (credential.lastUsedStep ?? 0)) return { status: "reused" };
  return (await spendTotpStep(db, userId, step)) ? { status: "accepted" } : { status: "reused" };
}

/**
 * Records `step` as the newest accepted one, only if every step accepted before is older:
 * one conditional UPDATE, so of requests racing with one step exactly one gets true (the
 * others wait for its row lock, then find the step no longer older).
 */
export async function spendTotpStep(db: DbClient, userId: string, step: number): Promise<boolean> {
  const { count } = await db.totpCredential.updateMany({
    where: { userId, confirmedAt: { not: null }, lastUsedStep: { lt: step } },
    data: { lastUsedStep: step },
  });
  return count === 1;
}

/**
 * Deletes the account's authenticator (confirmed or pending) and every recovery code, inside
 * the caller's transaction, which holds the user's row lock. True when a confirmed one went:
 * the caller records TOTP_DISABLED (disableTotp below, and lib/auth/claim.ts).
 */
export async function removeSecondFactor(
  tx: Prisma.TransactionClient,
  userId: string,
): Promise<boolean> {
  const credential = await tx.totpCredential.findUnique({
    where: { userId },
    select: { confirmedAt: true },
  });
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.totpCredential.deleteMany({ where: { userId } });
  return Boolean(credential?.confirmedAt);
}

export type DisableTotpResult = { status: "disabled" } | { status: "not-enabled" };

/** Turns the authenticator off: key and recovery codes go. Records TOTP_DISABLED. */
export async function disableTotp(
  db: DbClient,
  input: { userId: string; now: Date; context?: EventContext; afterRecord?: AfterRecordHook },
): Promise<DisableTotpResult> {
  return inTransaction(db, async (tx): Promise<DisableTotpResult> => {
    await lockUser(tx, input.userId);
    if (!(await removeSecondFactor(tx, input.userId))) return { status: "not-enabled" };
    await recordSecurityEvent(
      tx,
      { userId: input.userId, type: "TOTP_DISABLED", at: input.now, ...input.context },
      { afterRecord: input.afterRecord },
    );
    return { status: "disabled" };
  });
}

export interface SecondFactorStatus {
  /** A confirmed authenticator app: signing in asks for its code (phase 2). */
  totp: boolean;
  /** Unused recovery codes. */
  recoveryCodesLeft: number;
}

/** What the account page says about the second factor. */
export async function secondFactorStatus(
  db: DbClient,
  userId: string,
): Promise<SecondFactorStatus> {
  // One after the other: `db` may be a transaction, whose one connection runs one query.
  const credential = await db.totpCredential.findUnique({
    where: { userId },
    select: { confirmedAt: true },
  });
  const recoveryCodesLeft = await db.recoveryCode.count({ where: { userId, usedAt: null } });
  return { totp: Boolean(credential?.confirmedAt), recoveryCodesLeft };
}

/** Whether signing in to this account asks for a second factor (a confirmed app). */
export async function requiresSecondFactor(db: DbClient, userId: string): Promise<boolean> {
  const credential = await db.totpCredential.findUnique({
    where: { userId },
    select: { confirmedAt: true },
  });
  return Boolean(credential?.confirmedAt);
}
