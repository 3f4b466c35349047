// Signing in with a passkey: options for navigator.credentials.get() that name no
// credential (discoverable credentials: the person picks a passkey, or the browser offers
// them in the email field's autofill), then the verification of the assertion, which names
// the account.
//
// The caller (the lead's Credentials-style "passkey" provider) keeps the challenge id in an
// HttpOnly cookie, and after "verified" signs the account in: creating the session,
// recording SIGN_IN (method "passkey") and, when `userVerified`, treating the second factor
// as passed (docs/passkeys.md). This module records no event: the sign-in it completes does.
import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";

import { consumeChallenge, storeChallenge } from "@/lib/auth/passkeys/challenges";
import type { RelyingParty } from "@/lib/auth/passkeys/relying-party";
import { authenticationResponseSchema } from "@/lib/auth/passkeys/schemas";
import { reasonOf, storedDeviceType, userHandleMatches } from "@/lib/auth/passkeys/shared";
import type { Passkey } from "@/lib/generated/prisma/client";
import type { DbClient } from "@/lib/security/events";

export interface StartPasskeySignInInput {
  rp: RelyingParty;
  now: Date;
  /** How long the ceremony may take (PASSKEY_CHALLENGE_TTL_SECONDS). */
  ttlSeconds: number;
}

export interface StartPasskeySignInResult {
  /** For the browser: navigator.credentials.get() through startAuthentication(). */
  options: PublicKeyCredentialRequestOptionsJSON;
  /** For the HttpOnly cookie that binds the ceremony to this browser. */
  challengeId: string;
}

/**
 * A sign-in challenge. `allowCredentials` is empty: the authenticator offers whichever of
 * its passkeys for this site the person picks, and the assertion says whose it is; so the
 * options say nothing about any account, and need no email first.
 */
export async function startPasskeySignIn(
  db: DbClient,
  input: StartPasskeySignInInput,
): Promise<StartPasskeySignInResult> {
  const options = await generateAuthenticationOptions({
    rpID: input.rp.rpID,
    allowCredentials: [],
    userVerification: "preferred",
    timeout: input.ttlSeconds * 1_000,
  });
  const challengeId = await storeChallenge(db, {
    purpose: "sign-in",
    challenge: options.challenge,
    owner: null,
    now: input.now,
    ttlSeconds: input.ttlSeconds,
  });
  return { options, challengeId };
}

export interface FinishPasskeySignInInput {
  /** From the cookie set when the ceremony started. */
  challengeId: unknown;
  /** What startAuthentication() resolved to, as the browser posted it: checked here. */
  response: unknown;
  rp: RelyingParty;
  now: Date;
  /**
   * Confirming it's you: the signed-in user (from the session, never the request). A
   * passkey of any other account is refused before its signature is checked, so nothing
   * about it changes (counter, last used).
   */
  onlyUserId?: string;
}

export type FinishPasskeySignInResult =
  | {
      status: "verified";
      userId: string;
      passkeyId: string;
      /** The authenticator verified the person (PIN, biometrics): the UV flag. */
      userVerified: boolean;
    }
  /** Never issued, already used (a replay), or a registration challenge. */
  | { status: "challenge-unknown" }
  | { status: "challenge-expired" }
  /** The response is malformed or does not verify; `reason` is for the server log only. */
  | { status: "not-verified"; reason: string }
  /** No passkey has that credential id (removed, or never added here). */
  | { status: "unknown-credential" }
  /** A passkey of another account than `onlyUserId`. */
  | { status: "another-account" }
  /** The response's user handle is missing or not the one the passkey was made under. */
  | { status: "user-handle-mismatch" }
  /**
   * A correctly signed assertion whose signature counter did not move past the stored one:
   * the library's sign of a cloned authenticator. Refused; the ids say whose, so the caller
   * can record it on the account.
   */
  | { status: "counter-regressed"; userId: string; passkeyId: string };

/**
 * Verifies an assertion against a sign-in challenge and the passkey it names, and updates
 * the passkey (counter, backup state, lastUsedAt). The challenge is used up by the attempt
 * whatever its outcome: of two verifications with one challenge, one proceeds.
 */
export async function finishPasskeySignIn(
  db: DbClient,
  input: FinishPasskeySignInInput,
): Promise<FinishPasskeySignInResult> {
  const { rp, now } = input;
  const consumed = await consumeChallenge(db, {
    challengeId: input.challengeId,
    purpose: "sign-in",
    userId: null,
    now,
  });
  if (consumed.status === "challenge-of-another-user") return { status: "challenge-unknown" };
  if (consumed.status !== "consumed") return { status: consumed.status };

  const parsed = authenticationResponseSchema.safeParse(input.response);
  if (!parsed.success) return { status: "not-verified", reason: "malformed response" };
  const response = parsed.data;
  const passkey = await db.passkey.findUnique({ where: { credentialId: response.id } });
  if (!passkey) return { status: "unknown-credential" };
  if (input.onlyUserId !== undefined && passkey.userId !== input.onlyUserId) {
    return { status: "another-account" };
  }
  // WebAuthn Level 3, 7.2: with no user identified beforehand, the response's user handle
  // must be present and name the account that holds the credential.
  if (!userHandleMatches(response.response.userHandle, passkey.userHandle)) {
    return { status: "user-handle-mismatch" };
  }

  const verified = await verifyAssertion(response, consumed.challenge, rp, passkey);
  if (!verified.ok) return { status: "not-verified", reason: verified.reason };
  const { info } = verified;
  const regressed: FinishPasskeySignInResult = {
    status: "counter-regressed",
    userId: passkey.userId,
    passkeyId: passkey.id,
  };
  if (counterRegressed(info.newCounter, Number(passkey.counter))) return regressed;

  // The counter moves only forward, decided by the UPDATE itself: a rival sign-in with the
  // same passkey may have moved it since the read above.
  const { count } = await db.passkey.updateMany({
    where: {
      id: passkey.id,
      counter: info.newCounter > 0 ? { lt: BigInt(info.newCounter) } : 0n,
    },
    data: {
      counter: BigInt(info.newCounter),
      backedUp: info.credentialBackedUp,
      deviceType: storedDeviceType(info.credentialDeviceType),
      lastUsedAt: now,
    },
  });
  if (count === 0) {
    const still = await db.passkey.count({ where: { id: passkey.id } });
    return still === 0 ? { status: "unknown-credential" } : regressed;
  }
  return {
    status: "verified",
    userId: passkey.userId,
    passkeyId: passkey.id,
    userVerified: info.userVerified,
  };
}

/**
 * The library's rule for signature counters: authenticators that do not count always send
 * 0 (and 0 stays 0); once either side is non-zero, the new value must be greater than the
 * stored one, or the credential may have been cloned.
 */
export function counterRegressed(received: number, stored: number): boolean {
  return (received > 0 || stored > 0) && received <= stored;
}

type AuthenticationInfo = Awaited<
  ReturnType<typeof verifyAuthenticationResponse>
>["authenticationInfo"];

/** The library's verification, its throws turned into a reason for the log. */
async function verifyAssertion(
  response: AuthenticationResponseJSON,
  challenge: string,
  rp: RelyingParty,
  passkey: Passkey,
): Promise<{ ok: true; info: AuthenticationInfo } | { ok: false; reason: string }> {
  try {
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      credential: {
        id: passkey.credentialId,
        publicKey: passkey.publicKey,
        // 0 here turns the library's own counter check off: it throws before checking the
        // signature, with nothing to tell a possible clone from a forgery. The same rule is
        // applied above (counterRegressed), after the signature is known to be good.
        counter: 0,
        transports: passkey.transports,
      },
      // As asked for ("preferred"); the result says whether the person was verified.
      requireUserVerification: false,
    });
    return verification.verified
      ? { ok: true, info: verification.authenticationInfo }
      : { ok: false, reason: "signature not verified" };
  } catch (error) {
    return { ok: false, reason: reasonOf(error) };
  }
}
