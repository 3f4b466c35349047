// Recovery codes: ten single-use codes handed out when an authenticator app is confirmed
// (and again on request), for the day the phone is lost. Shown once, in clear, by the
// function that makes them; only their keyed hash is stored (keys.ts says why HMAC and not
// argon2). Every lookup is by that hash: the code itself is never compared with anything.
//
// Format: "xxxxx-xxxxx", ten characters of Crockford's base32 in lower case — digits and
// letters without i, l, o and u, so nothing reads as another character — 50 bits from the
// CSPRNG. Typing is forgiving: case, spaces and dashes do not matter, and o, i, l are read
// as 0, 1, 1 (Crockford's rule).
import { randomBytes } from "node:crypto";

import type { SecondFactorKeys } from "@/lib/auth/second-factor/keys";
import { lockUser } from "@/lib/auth/user-lock";
import type { Prisma } from "@/lib/generated/prisma/client";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CODE_LENGTH = 10;
const NORMALIZED = /^[0-9a-hjkmnp-tv-z]{10}$/;

/** A new code, "xxxxx-xxxxx". 32 symbols divide 256, so `byte & 31` picks each uniformly. */
export function newRecoveryCode(): string {
  const chars = [...randomBytes(CODE_LENGTH)].map((byte) => ALPHABET.charAt(byte & 31));
  return `${chars.slice(0, 5).join("")}-${chars.slice(5).join("")}`;
}

/** A code as typed, in the form its hash is made of (ten characters), or null: no code. */
export function normalizeRecoveryCode(input: unknown): string | null {
  // Longer input is no code; the bound keeps the regular expressions below cheap.
  if (typeof input !== "string" || input.length > 64) return null;
  const compact = input
    .toLowerCase()
    // Spaces and any dash (phones turn "-" into "–").
    .replace(/[\s\p{Pd}]+/gu, "")
    .replace(/o/g, "0")
    .replace(/[il]/g, "1");
  return NORMALIZED.test(compact) ? compact : null;
}

export interface RecoveryCodeEventInput {
  userId: string;
  now: Date;
  keys: SecondFactorKeys;
  context?: EventContext;
  afterRecord?: AfterRecordHook;
}

/**
 * Replaces the user's codes, used or not, with ten new ones and returns them in clear: the
 * only time they exist outside the person's hands. Inside the caller's transaction, with
 * the user's row locked.
 */
export async function replaceRecoveryCodes(
  tx: Prisma.TransactionClient,
  { userId, now, keys }: { userId: string; now: Date; keys: SecondFactorKeys },
): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.recoveryCode.createMany({
    data: codes.map((code) => ({
      userId,
      hash: keys.recoveryCodeHash(userId, normalizeRecoveryCode(code) ?? ""),
      createdAt: now,
    })),
  });
  return codes;
}

export type RegenerateRecoveryCodesResult =
  | { status: "regenerated"; recoveryCodes: string[] }
  /** No confirmed authenticator app: recovery codes would recover nothing. */
  | { status: "not-enabled" };

/** Ten new codes; every earlier one stops working. Records RECOVERY_CODES_REGENERATED. */
export async function regenerateRecoveryCodes(
  db: DbClient,
  input: RecoveryCodeEventInput,
): Promise<RegenerateRecoveryCodesResult> {
  return inTransaction(db, async (tx) => {
    await lockUser(tx, input.userId);
    const credential = await tx.totpCredential.findUnique({
      where: { userId: input.userId },
      select: { confirmedAt: true },
    });
    if (!credential?.confirmedAt) return { status: "not-enabled" };
    const recoveryCodes = await replaceRecoveryCodes(tx, input);
    await recordSecurityEvent(
      tx,
      {
        userId: input.userId,
        type: "RECOVERY_CODES_REGENERATED",
        detail: "the earlier codes no longer work",
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    return { status: "regenerated", recoveryCodes };
  });
}

export type RedeemRecoveryCodeResult =
  | { status: "accepted"; codesLeft: number }
  /** A code of this account that was already used (by this request's rival, perhaps). */
  | { status: "used" }
  /** Not a code of this account: mistyped, another account's, replaced, or no code at all. */
  | { status: "wrong-code" };

/**
 * Spends one code. (Redeem, not "use": a use… name is a React hook to the linter and to
 * readers.) One conditional UPDATE marks it used only while it is unused, so of any
 * number of uses at once exactly one is accepted. Records RECOVERY_CODE_USED, saying how
 * many are left, in the same transaction.
 */
export async function redeemRecoveryCode(
  db: DbClient,
  input: RecoveryCodeEventInput & { code: unknown },
): Promise<RedeemRecoveryCodeResult> {
  const normalized = normalizeRecoveryCode(input.code);
  if (normalized === null) return { status: "wrong-code" };
  const { userId, now } = input;
  const hash = input.keys.recoveryCodeHash(userId, normalized);
  return inTransaction(db, async (tx): Promise<RedeemRecoveryCodeResult> => {
    const { count } = await tx.recoveryCode.updateMany({
      // Codes recover an authenticator app: without a confirmed one they open nothing.
      where: {
        userId,
        hash,
        usedAt: null,
        user: { totpCredential: { confirmedAt: { not: null } } },
      },
      data: { usedAt: now },
    });
    if (count === 0) {
      const spent = await tx.recoveryCode.findFirst({
        where: { userId, hash, usedAt: { not: null } },
        select: { id: true },
      });
      return spent ? { status: "used" } : { status: "wrong-code" };
    }
    const codesLeft = await tx.recoveryCode.count({ where: { userId, usedAt: null } });
    await recordSecurityEvent(
      tx,
      {
        userId,
        type: "RECOVERY_CODE_USED",
        detail: `${codesLeft} ${codesLeft === 1 ? "code" : "codes"} left`,
        at: now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    return { status: "accepted", codesLeft };
  });
}
