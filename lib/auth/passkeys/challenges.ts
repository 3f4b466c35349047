// The challenge of one WebAuthn ceremony: made when it starts, used once when it ends.
//
// - Bound to the browser: the row's key is a random id (32 bytes, base64url) the caller
//   keeps in an HttpOnly cookie and hands back with the response. Only its SHA-256 is
//   stored, so a copy of the database binds nothing, and every lookup is by that hash: the
//   id itself is never compared with anything.
// - Used once: a verification deletes the row before it looks at the response, with one
//   conditional DELETE, so of two verifications at once exactly one proceeds. A response
//   that then fails to verify has still used its challenge: the ceremony starts again.
// - Short-lived: expiresAt = now + the TTL; an expired row is refused (and deleted by the
//   attempt), and every start deletes the expired rows, so the table holds only what was
//   started within one TTL.
// - Of one purpose: a "register" challenge belongs to one user and carries the user handle
//   offered to the authenticator; a "sign-in" challenge belongs to nobody yet.
import { createHash, randomBytes } from "node:crypto";

import type { DbClient } from "@/lib/security/events";

export type ChallengePurpose = "register" | "sign-in";

const CHALLENGE_ID = /^[A-Za-z0-9_-]{43}$/;

/** The SHA-256 (hex) under which a challenge id is stored. */
export function challengeIdHash(challengeId: string): string {
  return createHash("sha256").update(challengeId).digest("hex");
}

export interface StoreChallengeInput {
  purpose: ChallengePurpose;
  /** The challenge in the options sent to the browser (base64url). */
  challenge: string;
  /** Register only: the user adding a passkey and the handle offered for them. */
  owner: { userId: string; userHandle: string } | null;
  now: Date;
  ttlSeconds: number;
}

/** Stores a challenge (sweeping the expired ones) and returns the id for the cookie. */
export async function storeChallenge(db: DbClient, input: StoreChallengeInput): Promise<string> {
  await db.webAuthnChallenge.deleteMany({ where: { expiresAt: { lte: input.now } } });
  const challengeId = randomBytes(32).toString("base64url");
  await db.webAuthnChallenge.create({
    data: {
      idHash: challengeIdHash(challengeId),
      purpose: input.purpose,
      challenge: input.challenge,
      userId: input.owner?.userId ?? null,
      userHandle: input.owner?.userHandle ?? null,
      createdAt: input.now,
      expiresAt: new Date(input.now.getTime() + input.ttlSeconds * 1_000),
    },
  });
  return challengeId;
}

export type ConsumeChallengeResult =
  | { status: "consumed"; challenge: string; userHandle: string | null }
  /** Never issued, already used (or swept), of the other purpose, or not an id at all. */
  | { status: "challenge-unknown" }
  | { status: "challenge-expired" }
  /** A register challenge of another user: left alone, it is not this request's to use. */
  | { status: "challenge-of-another-user" };

/**
 * Uses a challenge up: deletes its row and returns what the verification needs. Only one
 * of any number of concurrent calls with one id gets "consumed": the DELETE is conditional
 * on the row still being there, and a rival's DELETE waits for this one's row lock, then
 * finds nothing.
 */
export async function consumeChallenge(
  db: DbClient,
  input: { challengeId: unknown; purpose: ChallengePurpose; userId: string | null; now: Date },
): Promise<ConsumeChallengeResult> {
  if (typeof input.challengeId !== "string" || !CHALLENGE_ID.test(input.challengeId)) {
    return { status: "challenge-unknown" };
  }
  const idHash = challengeIdHash(input.challengeId);
  const row = await db.webAuthnChallenge.findUnique({ where: { idHash } });
  if (row?.purpose !== input.purpose) return { status: "challenge-unknown" };
  if (row.userId !== input.userId) return { status: "challenge-of-another-user" };
  const { count } = await db.webAuthnChallenge.deleteMany({
    where: { idHash, purpose: input.purpose, userId: input.userId },
  });
  // A rival request deleted it between the read and the delete: it was used.
  if (count !== 1) return { status: "challenge-unknown" };
  if (row.expiresAt <= input.now) return { status: "challenge-expired" };
  return { status: "consumed", challenge: row.challenge, userHandle: row.userHandle };
}
