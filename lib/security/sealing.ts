// Sealing: authenticated encryption of a short secret that has to sit in the database — a
// one-time link waiting in the outbox (lib/security/sealed-link.ts), an authenticator app's
// TOTP key (lib/auth/second-factor). AES-256-GCM under a key derived with HKDF-SHA-256 from
// AUTH_SECRET, one key per purpose, so a value sealed for one purpose never opens as
// another. A copy of the database without AUTH_SECRET opens nothing.
//
// Sealed form: "v1." + base64url(12-byte IV ‖ ciphertext ‖ 16-byte tag). The caller's
// binding (the row's user id) is the additional authenticated data: a sealed value copied to
// another user's row, edited, or opened under another AUTH_SECRET opens to nothing.
//
// Rotating AUTH_SECRET makes everything sealed before unreadable (docs/production.md).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealer {
  /** Encrypts `plaintext`, bound to `binding` (a user id): only that binding opens it. */
  seal(plaintext: string, binding: string): string;
  /** The plaintext, or null when the sealed text was altered, is bound elsewhere or keyed otherwise. */
  open(sealed: string, binding: string): string | null;
}

/**
 * A sealer keyed from `secret` (AUTH_SECRET) for one `purpose` (the HKDF info string, e.g.
 * "gatehouse outbox link"); the same secret and purpose open what it sealed.
 */
export function createSealer(secret: string, purpose: string): Sealer {
  const key = Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), purpose, 32));
  return {
    seal(plaintext, binding) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(binding, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
    },
    open(sealed, binding) {
      if (!sealed.startsWith(VERSION)) return null;
      const raw = Buffer.from(sealed.slice(VERSION.length), "base64url");
      if (raw.length < IV_BYTES + TAG_BYTES + 1) return null;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(binding, "utf8"));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
      } catch {
        // GCM's tag check failed: tampered, bound to another row, or another key.
        return null;
      }
    },
  };
}
