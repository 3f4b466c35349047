// Emailed links: the single-use tokens behind "verify your address", "reset your
// password" and "confirm your new address" (docs/database.md, "Email links").
//
// A token is:
// - random: 32 bytes from the CSPRNG, base64url (43 characters), returned ONCE by
//   issueEmailToken for the link; only its SHA-256 is stored, so a database leak shows no
//   usable link. Every lookup is by that hash (the primary key): the raw token is never
//   compared against anything, so timing says nothing about it;
// - bound to a user, a kind and the address the link went to (for CHANGE_EMAIL the new
//   one): a link proves that address, and a token of one kind opens nothing of another;
// - short-lived: Settings.emailTokens.lifetimeSeconds by kind (EMAIL_VERIFY_TTL_HOURS,
//   PASSWORD_RESET_TTL_MINUTES, EMAIL_CHANGE_TTL_HOURS);
// - single-use: consumeEmailToken claims it with one conditional UPDATE, so of any number of
//   racing uses exactly one wins;
// - invalidated by a newer token of the same kind for the same user (issueEmailToken
//   deletes the older unused ones), by a password change, set or removal (RESET_PASSWORD:
//   lib/account/password.ts calls deleteEmailTokens), and by the claim rule (all kinds:
//   lib/auth/claim.ts).
// Landing pages call inspectEmailToken on GET (mail scanners prefetch links, so a GET must
// never use a token up) and consumeEmailToken in the POST that acts. A valid result's
// `email` is the address the link proves: the flow checks it still fits what it acts on (a
// VERIFY_EMAIL link for an address the account no longer has verifies nothing). A flow that
// sets a password from a RESET_PASSWORD link deletes the user's other reset links too
// (deleteEmailTokens), like every password change. Never log a token or a link built from it.
//
// API (for the flows):
//   issueEmailToken(db, { userId, kind, email, now, lifetimes }) → { token, expiresAt }
//   inspectEmailToken(db, token, kind, now)  → EmailTokenResult (reads only)
//   consumeEmailToken(db, token, kind, now)  → EmailTokenResult (marks it used when valid)
//   deleteEmailTokens(db, userId, kinds)     → number of tokens deleted
import { createHash, randomBytes } from "node:crypto";

import { normalizeEmail } from "@/lib/email";
import type { EmailTokenLifetimes } from "@/lib/env";
import type { EmailTokenKind } from "@/lib/generated/prisma/client";
import { inTransaction, type DbClient } from "@/lib/security/events";

export type { EmailTokenKind };

export const EMAIL_TOKEN_KINDS = [
  "VERIFY_EMAIL",
  "RESET_PASSWORD",
  "CHANGE_EMAIL",
] as const satisfies readonly EmailTokenKind[];

/** What issueEmailToken hands out: 32 bytes, base64url without padding. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The stored form of a token: SHA-256, lower-case hex (email_tokens_hash_format). */
export function hashEmailToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export type EmailTokenResult =
  | { status: "valid"; userId: string; email: string; expiresAt: Date }
  /** Its lifetime is over: the next step is asking for a new link. */
  | { status: "expired" }
  /** It already did its work (or a racing request did). */
  | { status: "used" }
  /** Never issued, replaced by a newer link, deleted, of another kind, or malformed. */
  | { status: "unknown" };

export interface IssueEmailTokenInput {
  userId: string;
  kind: EmailTokenKind;
  /** The address the link goes to (for CHANGE_EMAIL, the new one); normalized here. */
  email: string;
  now: Date;
  /** Settings.emailTokens.lifetimeSeconds. */
  lifetimes: EmailTokenLifetimes;
}

/**
 * A new token for the user, replacing their unused tokens of the same kind: only the latest
 * link works, so an older one lying in an inbox is dead. Used tokens stay, so their links
 * still answer "already used". The user's row is locked for the swap: two requests at once
 * cannot leave two live links.
 */
export async function issueEmailToken(
  db: DbClient,
  input: IssueEmailTokenInput,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(input.now.getTime() + input.lifetimes[input.kind] * 1_000);
  await inTransaction(db, async (tx) => {
    await tx.$queryRaw`SELECT "id" FROM "User" WHERE "id" = ${input.userId} FOR UPDATE`;
    await tx.emailToken.deleteMany({
      where: { userId: input.userId, kind: input.kind, usedAt: null },
    });
    await tx.emailToken.create({
      data: {
        tokenHash: hashEmailToken(token),
        userId: input.userId,
        kind: input.kind,
        email: normalizeEmail(input.email),
        createdAt: input.now,
        expiresAt,
      },
    });
  });
  return { token, expiresAt };
}

/** What a link would do, without using it up (GET landing pages). Never throws on input. */
export async function inspectEmailToken(
  db: DbClient,
  token: unknown,
  kind: EmailTokenKind,
  now: Date,
): Promise<EmailTokenResult> {
  if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return { status: "unknown" };
  const row = await db.emailToken.findUnique({ where: { tokenHash: hashEmailToken(token) } });
  if (row?.kind !== kind) return { status: "unknown" };
  if (row.usedAt !== null) return { status: "used" };
  if (row.expiresAt.getTime() <= now.getTime()) return { status: "expired" };
  return { status: "valid", userId: row.userId, email: row.email, expiresAt: row.expiresAt };
}

/**
 * Uses the token up, when it is valid: one conditional UPDATE marks it used only if it is
 * still unused and unexpired, so of concurrent uses exactly one gets "valid" and the others
 * "used". Call it in the transaction that does the link's work, so both commit or neither.
 */
export async function consumeEmailToken(
  db: DbClient,
  token: unknown,
  kind: EmailTokenKind,
  now: Date,
): Promise<EmailTokenResult> {
  if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return { status: "unknown" };
  const tokenHash = hashEmailToken(token);
  const [claimed] = await db.emailToken.updateManyAndReturn({
    where: { tokenHash, kind, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
    select: { userId: true, email: true, expiresAt: true },
  });
  if (claimed) return { status: "valid", ...claimed };
  // Why not: the same answers inspectEmailToken gives.
  return inspectEmailToken(db, token, kind, now);
}

/** Deletes the user's tokens of these kinds, used or not; returns how many. */
export async function deleteEmailTokens(
  db: DbClient,
  userId: string,
  kinds: readonly EmailTokenKind[],
): Promise<number> {
  const { count } = await db.emailToken.deleteMany({
    where: { userId, kind: { in: [...kinds] } },
  });
  return count;
}
