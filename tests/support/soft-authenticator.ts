// A software authenticator: makes real WebAuthn responses, as a browser with a passkey
// provider would hand them to @simplewebauthn/browser, for the passkey tests to send to the
// server. Each credential is an ES256 key pair from node:crypto; the bytes follow WebAuthn
// Level 3 (authenticator data with the RP ID's hash, flags and signature counter; attested
// credential data with a COSE key; a "none" attestation object in CBOR; client data JSON
// with type, challenge and origin; assertion signatures over authenticator data and the
// client data's hash). CBOR comes from the library's own encoder (isoCBOR, on
// @levischuck/tiny-cbor), so nothing here is encoded by hand but the fixed-layout fields.
//
// Every ceremony can lie the way an attacker or a broken client would: another origin or RP
// ID, no user verification, a chosen counter, another challenge, a missing user handle.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoCBOR } from "@simplewebauthn/server/helpers";

/** What isoCBOR.encode takes (tiny-cbor's CBORType). */
type CBORValue = Parameters<typeof isoCBOR.encode>[0];

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

interface StoredCredential {
  id: string;
  rpId: string;
  userHandle: string;
  privateKey: KeyObject;
  cosePublicKey: Uint8Array;
  signCount: number;
}

export interface SoftAuthenticatorOptions {
  /** The model's AAGUID (a UUID); all zeros by default, as many synced providers send. */
  aaguid?: string;
  /** The BE flag: a synced passkey (true, the default) or a single-device one. */
  backupEligible?: boolean;
  /** The BS flag: backed up (defaults to backupEligible). */
  backedUp?: boolean;
  /** Counts signatures (each assertion one more), as security keys do; synced passkeys
   *  mostly send 0 (the default: false). */
  countsUses?: boolean;
  /** Transports the browser reports at registration. */
  transports?: string[];
}

/** How one ceremony goes: where the page is, and what the authenticator is made to do. */
export interface Ceremony {
  /** The page's origin, signed into the client data. */
  origin: string;
  /** The RP ID whose hash goes into authenticator data; the options' by default. */
  rpId?: string;
  /** The UV flag (true by default): the person was verified (PIN, biometrics). */
  userVerified?: boolean;
  /** The BS flag for this ceremony (a passkey backed up since, or no longer). */
  backedUp?: boolean;
  /** Sign this challenge instead of the options' (a response to another ceremony). */
  challenge?: string;
  /** clientDataJSON's type; "webauthn.create" / "webauthn.get" by default. */
  type?: string;
}

export interface SoftAuthenticator {
  /** Makes a credential for the options (navigator.credentials.create()). Throws, like a
   *  real authenticator (InvalidStateError), when it holds one the options exclude —
   *  unless `reuse` names a credential to attest again regardless. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    ceremony: Ceremony & { reuse?: string },
  ): RegistrationResponseJSON;
  /** Signs in (navigator.credentials.get()) with `credentialId`, or its only credential for
   *  the RP ID. `counter` sends that signature counter (and remembers it). `userHandle`
   *  null leaves it out; a string sends that one instead of the credential's. */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    ceremony: Ceremony & { credentialId?: string; counter?: number; userHandle?: string | null },
  ): AuthenticationResponseJSON;
  /** The credentials it holds (id and the user handle it was made under). */
  credentials(): { id: string; rpId: string; userHandle: string; signCount: number }[];
}

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), "utf8");
}

/** A P-256 key pair, and its public half as a COSE_Key (EC2, ES256). */
function es256KeyPair(): { privateKey: KeyObject; cosePublicKey: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  if (jwk.x === undefined || jwk.y === undefined) throw new Error("no EC coordinates");
  const cose = new Map<number, number | Uint8Array>([
    [1, 2], // kty: EC2
    [3, -7], // alg: ES256
    [-1, 1], // crv: P-256
    [-2, new Uint8Array(Buffer.from(jwk.x, "base64url"))],
    [-3, new Uint8Array(Buffer.from(jwk.y, "base64url"))],
  ]);
  return { privateKey, cosePublicKey: isoCBOR.encode(cose) };
}

export function createSoftAuthenticator(options: SoftAuthenticatorOptions = {}): SoftAuthenticator {
  const backupEligible = options.backupEligible ?? true;
  const backedUp = options.backedUp ?? backupEligible;
  const aaguid = Buffer.from(
    (options.aaguid ?? "00000000-0000-0000-0000-000000000000").replace(/-/g, ""),
    "hex",
  );
  const stored = new Map<string, StoredCredential>();

  const flags = (ceremony: Ceremony, attested: boolean) =>
    FLAG_UP |
    ((ceremony.userVerified ?? true) ? FLAG_UV : 0) |
    (backupEligible ? FLAG_BE : 0) |
    ((ceremony.backedUp ?? backedUp) ? FLAG_BS : 0) |
    (attested ? FLAG_AT : 0);

  return {
    register(creation, ceremony) {
      const rpId = ceremony.rpId ?? creation.rp.id ?? "";
      let credential: StoredCredential;
      if (ceremony.reuse !== undefined) {
        const existing = stored.get(ceremony.reuse);
        if (!existing) throw new Error(`no credential ${ceremony.reuse} to attest again`);
        credential = existing;
      } else {
        const excluded = (creation.excludeCredentials ?? []).some(
          (descriptor) => stored.get(descriptor.id)?.rpId === rpId,
        );
        if (excluded) throw new Error("InvalidStateError: this authenticator already holds one");
        const id = randomBytes(16).toString("base64url");
        credential = { id, rpId, userHandle: creation.user.id, signCount: 0, ...es256KeyPair() };
        stored.set(id, credential);
      }
      const credentialId = Buffer.from(credential.id, "base64url");
      const credentialIdLength = Buffer.alloc(2);
      credentialIdLength.writeUInt16BE(credentialId.length);
      const authData = Buffer.concat([
        sha256(rpId),
        Buffer.from([flags(ceremony, true)]),
        uint32(credential.signCount),
        aaguid,
        credentialIdLength,
        credentialId,
        credential.cosePublicKey,
      ]);
      const attestationObject = isoCBOR.encode(
        new Map<string, CBORValue>([
          ["fmt", "none"],
          ["attStmt", new Map<string, CBORValue>()],
          ["authData", new Uint8Array(authData)],
        ]),
      );
      const data = clientData(
        ceremony.type ?? "webauthn.create",
        ceremony.challenge ?? creation.challenge,
        ceremony.origin,
      );
      return {
        id: credential.id,
        rawId: credential.id,
        type: "public-key",
        authenticatorAttachment: "platform",
        clientExtensionResults: { credProps: { rk: true } },
        response: {
          clientDataJSON: data.toString("base64url"),
          attestationObject: Buffer.from(attestationObject).toString("base64url"),
          authenticatorData: authData.toString("base64url"),
          transports: options.transports ?? ["hybrid", "internal"],
          publicKeyAlgorithm: -7,
        },
      };
    },

    authenticate(request, ceremony) {
      const rpId = ceremony.rpId ?? request.rpId ?? "";
      const candidates = [...stored.values()].filter(
        (credential) =>
          (ceremony.credentialId === undefined || credential.id === ceremony.credentialId) &&
          (ceremony.rpId !== undefined || credential.rpId === rpId),
      );
      const credential = candidates[0];
      if (!credential || (ceremony.credentialId === undefined && candidates.length > 1)) {
        throw new Error(`NotAllowedError: ${candidates.length} credentials to choose from`);
      }
      if (ceremony.counter !== undefined) credential.signCount = ceremony.counter;
      else if (options.countsUses) credential.signCount += 1;
      const authData = Buffer.concat([
        sha256(rpId),
        Buffer.from([flags(ceremony, false)]),
        uint32(credential.signCount),
      ]);
      const data = clientData(
        ceremony.type ?? "webauthn.get",
        ceremony.challenge ?? request.challenge,
        ceremony.origin,
      );
      // ECDSA over authenticatorData ‖ SHA-256(clientDataJSON), DER-encoded (WebAuthn's form).
      const signature = sign(
        "sha256",
        Buffer.concat([authData, sha256(data)]),
        credential.privateKey,
      );
      const userHandle =
        ceremony.userHandle === null ? undefined : (ceremony.userHandle ?? credential.userHandle);
      return {
        id: credential.id,
        rawId: credential.id,
        type: "public-key",
        authenticatorAttachment: "platform",
        clientExtensionResults: {},
        response: {
          clientDataJSON: data.toString("base64url"),
          authenticatorData: authData.toString("base64url"),
          signature: signature.toString("base64url"),
          ...(userHandle === undefined ? {} : { userHandle }),
        },
      };
    },

    credentials() {
      return [...stored.values()].map(({ id, rpId, userHandle, signCount }) => ({
        id,
        rpId,
        userHandle,
        signCount,
      }));
    },
  };
}
