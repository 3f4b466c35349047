// The shapes of what a browser sends back from a WebAuthn ceremony (the JSON form of
// PublicKeyCredential that @simplewebauthn/browser produces), checked before the library
// sees them: the library reads fields without asking whether they exist or how long they
// are, and these arrive from anyone. Unknown fields are dropped; sizes are bounded well
// above what any authenticator sends.
import { z } from "zod";

import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";

/** base64url without padding, 1 to `max` characters. */
const base64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/);

/** A credential id is at most 1023 bytes (WebAuthn Level 3): 1364 base64url characters. */
export const CREDENTIAL_ID_MAX_LENGTH = 1364;

const credentialFields = {
  id: base64url(CREDENTIAL_ID_MAX_LENGTH),
  rawId: base64url(CREDENTIAL_ID_MAX_LENGTH),
  type: z.literal("public-key"),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  // Only credProps is read (whether the credential is discoverable); the rest is dropped.
  clientExtensionResults: z
    .object({ credProps: z.object({ rk: z.boolean().optional() }).optional() })
    .default({}),
};

export const registrationResponseSchema = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url(4_096),
    // "none" attestation makes this small; room is left for the formats some security keys
    // insist on (certificate chains of a few kilobytes).
    attestationObject: base64url(32_768),
    authenticatorData: base64url(16_384).optional(),
    transports: z.array(z.string().max(32)).max(16).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(4_096).optional(),
  }),
}) satisfies z.ZodType<RegistrationResponseJSON>;

export const authenticationResponseSchema = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url(4_096),
    authenticatorData: base64url(16_384),
    signature: base64url(2_048),
    // The user.id the passkey was made with: at most 64 bytes (86 characters).
    userHandle: base64url(86).optional(),
  }),
}) satisfies z.ZodType<AuthenticationResponseJSON>;

/** The transports WebAuthn defines; anything else a browser reports is dropped. */
export const KNOWN_TRANSPORTS = ["ble", "hybrid", "internal", "nfc", "smart-card", "usb"] as const;

const known = new Set<string>(KNOWN_TRANSPORTS);

/** A browser's transport hints, reduced to the known ones, once each, sorted. */
export function knownTransports(reported: readonly string[] | undefined): string[] {
  return [...new Set((reported ?? []).filter((transport) => known.has(transport)))].sort();
}
