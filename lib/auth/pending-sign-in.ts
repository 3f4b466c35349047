// A sign-in waiting for its second factor (docs/second-factor.md, "Signing in"). The first
// factor passed; until the second one does, there is no Session row and no session cookie,
// only this:
// - bound to the browser: a random 32-byte token in an HttpOnly cookie (the caller sets it);
//   only its SHA-256 is stored and every lookup is by that hash (the primary key), so the
//   token is never compared with anything and a database copy opens nothing;
// - short-lived: PENDING_SIGN_IN_TTL_SECONDS;
// - single-use: completing it is one conditional DELETE, so of any number of requests with
//   one token exactly one gets the user id;
// - ended by five wrong codes (MAX_SECOND_FACTOR_ATTEMPTS), counted by one atomic UPDATE each.
//   The limiter (per account, per IP) caps guessing across fresh pending sign-ins, each of
//   which needs the first factor again.
// Expired rows of the user are swept whenever the user starts a new one, so a guesser who
// knows the password cannot grow the table past what the limiter lets them start.
//
// A pending sign-in waits either for a code (these functions) or for "Approve" in the
// account's Telegram chat (sign-in-approval.ts, which starts it here with `approval` and
// completes it itself). The code functions below never find, count or complete one that
// waits for the chat: a code typed into that browser does not skip the chat's answer.
//
// API:
//   startPendingSignIn(db, { userId, method, returnTo, context, now, ttlSeconds }) → { token, expiresAt }
//   findPendingSignIn(db, token, now)        → PendingSignInView | null (reads only)
//   recordWrongSecondFactor(db, token, now)  → { status: "counted", attemptsLeft } | { status: "ended" }
//   completePendingSignIn(db, token, now)    → PendingSignInView | null (deletes it)
//   cancelPendingSignIn(db, token)           → void
import { createHash, randomBytes } from "node:crypto";

import type { EventContext, DbClient } from "@/lib/security/events";

/** Wrong codes that end one pending sign-in (the and OWASP's "a handful"). */
export const MAX_SECOND_FACTOR_ATTEMPTS = 5;

/** What startPendingSignIn hands out: 32 bytes, base64url without padding. */
export const PENDING_SIGN_IN_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The stored form of a token: SHA-256, lower-case hex (pending_sign_ins_hash_format). */
export function hashPendingSignInToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface PendingSignInView {
  userId: string;
  /** The first factor ("password", "google", …): what the session will say it signed in with. */
  method: string;
  /** The same-origin path the sign-in was headed for. */
  returnTo: string;
  expiresAt: Date;
  attemptsLeft: number;
}

export interface StartPendingSignInInput {
  userId: string;
  method: string;
  /** Already checked by the caller to be a path on this site (safeRedirectPath). */
  returnTo: string;
  context: EventContext;
  now: Date;
  ttlSeconds: number;
  /** Waits for the Telegram chat instead of a code (sign-in-approval.ts only). */
  approval?: { approvalId: string; chatId: bigint };
}

export async function startPendingSignIn(
  db: DbClient,
  input: StartPendingSignInInput,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(input.now.getTime() + input.ttlSeconds * 1000);
  await db.pendingSignIn.deleteMany({
    where: { userId: input.userId, expiresAt: { lte: input.now } },
  });
  await db.pendingSignIn.create({
    data: {
      tokenHash: hashPendingSignInToken(token),
      userId: input.userId,
      method: input.method,
      returnTo: input.returnTo,
      ip: input.context.ip,
      userAgent: input.context.userAgent,
      createdAt: input.now,
      expiresAt,
      ...(input.approval
        ? {
            approvalId: input.approval.approvalId,
            approval: "WAITING" as const,
            approvalChatId: input.approval.chatId,
          }
        : {}),
    },
  });
  return { token, expiresAt };
}

/** The view of a row (sign-in-approval.ts shares it). */
export function pendingSignInView(row: {
  userId: string;
  method: string;
  returnTo: string;
  expiresAt: Date;
  failedAttempts: number;
}): PendingSignInView {
  return {
    userId: row.userId,
    method: row.method,
    returnTo: row.returnTo,
    expiresAt: row.expiresAt,
    attemptsLeft: Math.max(0, MAX_SECOND_FACTOR_ATTEMPTS - row.failedAttempts),
  };
}

/** The live pending sign-in a token names, or null (unknown, malformed, expired or ended). */
export async function findPendingSignIn(
  db: DbClient,
  token: string | null | undefined,
  now: Date,
): Promise<PendingSignInView | null> {
  if (typeof token !== "string" || !PENDING_SIGN_IN_TOKEN_PATTERN.test(token)) return null;
  const row = await db.pendingSignIn.findUnique({
    where: { tokenHash: hashPendingSignInToken(token) },
  });
  if (
    row?.approval !== null ||
    row.expiresAt <= now ||
    row.failedAttempts >= MAX_SECOND_FACTOR_ATTEMPTS
  ) {
    return null;
  }
  return pendingSignInView(row);
}

export type WrongSecondFactorResult =
  | { status: "counted"; attemptsLeft: number }
  /** That was the last attempt (or the sign-in was gone already): start again. */
  | { status: "ended" };

/**
 * Counts a wrong code against the pending sign-in, and ends it at the fifth. The increment is
 * one UPDATE, so ten wrong codes at once count ten.
 */
export async function recordWrongSecondFactor(
  db: DbClient,
  token: string,
  now: Date,
): Promise<WrongSecondFactorResult> {
  const tokenHash = hashPendingSignInToken(token);
  const counted = await db.pendingSignIn.updateManyAndReturn({
    where: { tokenHash, approval: null, expiresAt: { gt: now } },
    data: { failedAttempts: { increment: 1 } },
    select: { failedAttempts: true },
  });
  const failedAttempts = counted[0]?.failedAttempts;
  if (failedAttempts === undefined || failedAttempts >= MAX_SECOND_FACTOR_ATTEMPTS) {
    await db.pendingSignIn.deleteMany({ where: { tokenHash, approval: null } });
    return { status: "ended" };
  }
  return { status: "counted", attemptsLeft: MAX_SECOND_FACTOR_ATTEMPTS - failedAttempts };
}

/**
 * Uses the pending sign-in up: its view for the one caller whose DELETE removed it, null for
 * everyone else (and for an unknown, expired or ended one).
 */
export async function completePendingSignIn(
  db: DbClient,
  token: string,
  now: Date,
): Promise<PendingSignInView | null> {
  const found = await findPendingSignIn(db, token, now);
  if (!found) return null;
  // The winner is whoever's DELETE removes the row; the view read above is still its content
  // (a row is never updated except its failure count, which the condition re-checks).
  const removed = await db.pendingSignIn.deleteMany({
    where: {
      tokenHash: hashPendingSignInToken(token),
      approval: null,
      expiresAt: { gt: now },
      failedAttempts: { lt: MAX_SECOND_FACTOR_ATTEMPTS },
    },
  });
  return removed.count === 1 ? found : null;
}

/** "Cancel" on the challenge page, or a sign-in that must start over. */
export async function cancelPendingSignIn(db: DbClient, token: string): Promise<void> {
  if (!PENDING_SIGN_IN_TOKEN_PATTERN.test(token)) return;
  await db.pendingSignIn.deleteMany({ where: { tokenHash: hashPendingSignInToken(token) } });
}
