// What the passkey services share: the algorithms offered and accepted, the per-account
// cap, user handles, and the summary of a passkey the account page shows.
import { randomBytes, timingSafeEqual } from "node:crypto";

import { COSEALG } from "@simplewebauthn/server/helpers";

import type { Passkey } from "@/lib/generated/prisma/client";

/**
 * The public-key algorithms offered at registration and accepted in its response: EdDSA,
 * ES256 and RS256, which every authenticator supports one of. Pinned rather than the
 * library's default, which adds ML-DSA-44 when the running Node verifies it: a passkey
 * would then work or not depending on the Node version of the server that checks it.
 */
export const SUPPORTED_ALGORITHM_IDS: number[] = [COSEALG.EdDSA, COSEALG.ES256, COSEALG.RS256];

/**
 * Passkeys per account. Generous for real use (a phone, a laptop, two security keys …);
 * a bound so a stolen session cannot fill the table, and so the list of credentials each
 * registration sends to exclude stays small.
 */
export const PASSKEYS_PER_ACCOUNT_MAX = 20;

/** A new WebAuthn user handle: 32 random bytes, base64url (docs/passkeys.md says why). */
export function newUserHandle(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Whether a response's user handle (base64url, as the browser sent it) is `expected`. The
 * bytes are compared in constant time; a handle is not secret, but the habit costs nothing.
 */
export function userHandleMatches(received: string | undefined, expected: string): boolean {
  if (received === undefined) return false;
  const a = Buffer.from(received, "base64url");
  const b = Buffer.from(expected, "base64url");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A passkey as the account page lists it: nothing that verifies or identifies a person. */
export interface PasskeySummary {
  id: string;
  name: string;
  /** The authenticator's id for it (base64url): for the browser's signal API, not for people. */
  credentialId: string;
  /** Synced by a password manager (multi-device) or bound to one authenticator. */
  deviceType: "single-device" | "multi-device";
  /** Backed up when last seen (a synced passkey survives the loss of this device). */
  backedUp: boolean;
  createdAt: Date;
  /** Null until it is first used to sign in. */
  lastUsedAt: Date | null;
}

export const PASSKEY_SUMMARY_SELECT = {
  id: true,
  name: true,
  credentialId: true,
  deviceType: true,
  backedUp: true,
  createdAt: true,
  lastUsedAt: true,
} as const;

export function passkeySummary(
  row: Pick<Passkey, keyof typeof PASSKEY_SUMMARY_SELECT>,
): PasskeySummary {
  return {
    id: row.id,
    name: row.name,
    credentialId: row.credentialId,
    deviceType: row.deviceType === "MULTI_DEVICE" ? "multi-device" : "single-device",
    backedUp: row.backedUp,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  };
}

/** The library's device type in the database's spelling. */
export function storedDeviceType(type: "singleDevice" | "multiDevice"): Passkey["deviceType"] {
  return type === "multiDevice" ? "MULTI_DEVICE" : "SINGLE_DEVICE";
}

/** An error's message for a refusal's `reason` (the server log's, never the person's). */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
