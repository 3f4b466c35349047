// Adding a passkey to a signed-in account: the options for navigator.credentials.create()
// (through @simplewebauthn/browser's startRegistration), then the verification of what the
// authenticator made, which stores the passkey and records PASSKEY_ADDED.
//
// The caller (the account page's actions) checks the session and a recent sign-in, keeps
// the challenge id in an HttpOnly cookie, and hands it back with the response.
import {
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";

import { consumeChallenge, storeChallenge } from "@/lib/auth/passkeys/challenges";
import { defaultPasskeyName, normalizePasskeyName } from "@/lib/auth/passkeys/names";
import type { RelyingParty } from "@/lib/auth/passkeys/relying-party";
import { knownTransports, registrationResponseSchema } from "@/lib/auth/passkeys/schemas";
import {
  newUserHandle,
  PASSKEY_SUMMARY_SELECT,
  passkeySummary,
  PASSKEYS_PER_ACCOUNT_MAX,
  reasonOf,
  storedDeviceType,
  SUPPORTED_ALGORITHM_IDS,
  type PasskeySummary,
} from "@/lib/auth/passkeys/shared";
import { lockUser } from "@/lib/auth/user-lock";
import { Prisma } from "@/lib/generated/prisma/client";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";
import { PASSKEY_PROVIDER_ID } from "@/lib/sign-in-methods";

export interface StartPasskeyRegistrationInput {
  userId: string;
  rp: RelyingParty;
  now: Date;
  /** How long the ceremony may take (PASSKEY_CHALLENGE_TTL_SECONDS). */
  ttlSeconds: number;
}

export type StartPasskeyRegistrationResult =
  | {
      status: "started";
      /** For the browser: navigator.credentials.create() through startRegistration(). */
      options: PublicKeyCredentialCreationOptionsJSON;
      /** For the HttpOnly cookie that binds the ceremony to this browser. */
      challengeId: string;
    }
  /** PASSKEYS_PER_ACCOUNT_MAX already: refused before the authenticator makes one. */
  | { status: "too-many" }
  | { status: "unknown-user" };

/**
 * Starts adding a passkey: discoverable (residentKey "required", so it can sign in without
 * an email typed first), user verification preferred, no attestation (Gatehouse trusts no
 * particular authenticator maker), and every passkey the account already has excluded, so
 * an authenticator that holds one says so instead of making a second.
 */
export async function startPasskeyRegistration(
  db: DbClient,
  input: StartPasskeyRegistrationInput,
): Promise<StartPasskeyRegistrationResult> {
  const { userId, rp, now } = input;
  const user = await db.user.findUnique({
    where: { id: userId },
    select: {
      email: true,
      name: true,
      passkeys: {
        select: { credentialId: true, transports: true, userHandle: true },
        orderBy: { createdAt: "asc" },
      },
    },
  });
  if (!user) return { status: "unknown-user" };
  if (user.passkeys.length >= PASSKEYS_PER_ACCOUNT_MAX) return { status: "too-many" };

  // One handle per account while it has passkeys (the oldest one's), so a password manager
  // files them under one account; a new random one when it has none.
  const userHandle = user.passkeys[0]?.userHandle ?? newUserHandle();
  // What the password manager shows in its account chooser: the email people sign in
  // with, or the name when the account has no email (Stack Overflow gives none).
  const userName = user.email ?? user.name ?? `${rp.rpName} account`;
  const options = await generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpID,
    userName,
    userDisplayName: user.name ?? userName,
    userID: new Uint8Array(Buffer.from(userHandle, "base64url")),
    timeout: input.ttlSeconds * 1_000,
    attestationType: "none",
    excludeCredentials: user.passkeys.map((passkey) => ({
      id: passkey.credentialId,
      transports: passkey.transports,
    })),
    authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
  });
  const challengeId = await storeChallenge(db, {
    purpose: "register",
    challenge: options.challenge,
    owner: { userId, userHandle },
    now,
    ttlSeconds: input.ttlSeconds,
  });
  return { status: "started", options, challengeId };
}

export interface FinishPasskeyRegistrationInput {
  userId: string;
  /** From the cookie set when the ceremony started. */
  challengeId: unknown;
  /** What startRegistration() resolved to, as the browser posted it: checked here. */
  response: unknown;
  /** As typed; absent or blank → a default ("Chrome on macOS, 2 Dec 2026"). */
  name?: unknown;
  rp: RelyingParty;
  now: Date;
  context?: EventContext;
  afterRecord?: AfterRecordHook;
}

export type FinishPasskeyRegistrationResult =
  | { status: "added"; passkey: PasskeySummary }
  /** Too long, or characters a name cannot have. The challenge is untouched: fix, resend. */
  | { status: "invalid-name" }
  /** Never issued, already used, or a sign-in challenge. */
  | { status: "challenge-unknown" }
  | { status: "challenge-expired" }
  /** Another account's ceremony: nothing happens to it. */
  | { status: "challenge-of-another-user" }
  /** The response is malformed or does not verify; `reason` is for the server log only. */
  | { status: "not-verified"; reason: string }
  /** That credential is already a passkey, of this account or another. */
  | { status: "already-registered" }
  | { status: "too-many" };

/**
 * Verifies the authenticator's response to a registration challenge of this user and
 * stores the passkey, recording PASSKEY_ADDED (Telegram alerts it) in the same transaction,
 * under the user's row lock. The challenge is used up by the attempt, whatever its outcome,
 * except for a refused name (checked first, so the person can correct it and resend).
 */
export async function finishPasskeyRegistration(
  db: DbClient,
  input: FinishPasskeyRegistrationInput,
): Promise<FinishPasskeyRegistrationResult> {
  const { userId, rp, now } = input;
  const blank =
    input.name === undefined ||
    input.name === null ||
    (typeof input.name === "string" && input.name.trim() === "");
  const typed = blank ? null : normalizePasskeyName(input.name);
  if (typed?.ok === false) return { status: "invalid-name" };
  const name = typed?.name ?? defaultPasskeyName(now, input.context?.userAgent);

  const consumed = await consumeChallenge(db, {
    challengeId: input.challengeId,
    purpose: "register",
    userId,
    now,
  });
  if (consumed.status !== "consumed") return { status: consumed.status };
  // A register challenge always has one (webauthn_challenges_handle_for_register).
  const userHandle = consumed.userHandle ?? "";

  const parsed = registrationResponseSchema.safeParse(input.response);
  if (!parsed.success) return { status: "not-verified", reason: "malformed response" };
  const response = parsed.data;
  const verified = await verifyRegistration(response, consumed.challenge, rp);
  if (!verified.ok) return { status: "not-verified", reason: verified.reason };
  const { info } = verified;
  // The id the authenticator put in its data is the one it will sign in with; a browser
  // claiming another is not to be believed.
  if (info.credential.id !== response.id) {
    return { status: "not-verified", reason: "credential id differs from the authenticator's" };
  }
  // Asked for as required, so browsers refuse to make anything else; a response that says
  // otherwise could never sign in without an email (sign-in lists no credentials).
  if (response.clientExtensionResults.credProps?.rk === false) {
    return { status: "not-verified", reason: "not a discoverable credential" };
  }
  const data = {
    userId,
    credentialId: info.credential.id,
    publicKey: info.credential.publicKey,
    counter: BigInt(info.credential.counter),
    transports: knownTransports(info.credential.transports),
    deviceType: storedDeviceType(info.credentialDeviceType),
    backedUp: info.credentialBackedUp,
    userHandle,
    aaguid: info.aaguid.toLowerCase(),
    name,
    createdAt: now,
  };

  try {
    return await inTransaction(db, async (tx): Promise<FinishPasskeyRegistrationResult> => {
      // The user went away meanwhile (the challenge went with them: as if never issued).
      if (!(await lockUser(tx, userId))) return { status: "challenge-unknown" };
      const count = await tx.passkey.count({ where: { userId } });
      if (count >= PASSKEYS_PER_ACCOUNT_MAX) return { status: "too-many" };
      // Checked before the insert: inside a caller's transaction a unique violation would
      // abort the whole transaction. The unique index still settles a race (below).
      const taken = await tx.passkey.findUnique({
        where: { credentialId: data.credentialId },
        select: { id: true },
      });
      if (taken) return { status: "already-registered" };
      const passkey = await tx.passkey.create({ data, select: PASSKEY_SUMMARY_SELECT });
      await recordSecurityEvent(
        tx,
        {
          userId,
          type: "PASSKEY_ADDED",
          method: PASSKEY_PROVIDER_ID,
          detail:
            data.deviceType === "MULTI_DEVICE" ? "multi-device passkey" : "single-device passkey",
          at: now,
          ...input.context,
        },
        { afterRecord: input.afterRecord },
      );
      return { status: "added", passkey: passkeySummary(passkey) };
    });
  } catch (error) {
    // The same credential registered by a concurrent request (this one's transaction was
    // rolled back as a whole).
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      return { status: "already-registered" };
    }
    throw error;
  }
}

type RegistrationInfo = NonNullable<
  Awaited<ReturnType<typeof verifyRegistrationResponse>>["registrationInfo"]
>;

/** The library's verification, its throws turned into a reason for the log. */
async function verifyRegistration(
  response: RegistrationResponseJSON,
  challenge: string,
  rp: RelyingParty,
): Promise<{ ok: true; info: RegistrationInfo } | { ok: false; reason: string }> {
  try {
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      // As asked for ("preferred"): a security key without a PIN can still be a passkey.
      // Whether one verified the person is reported at each sign-in, where it matters.
      requireUserVerification: false,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
    });
    return verification.verified
      ? { ok: true, info: verification.registrationInfo }
      : { ok: false, reason: "attestation not verified" };
  } catch (error) {
    return { ok: false, reason: reasonOf(error) };
  }
}
