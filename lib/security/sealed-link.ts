// Sealing of the links that travel through the notification outbox (a verification, reset
// or change-email link holds a single-use token). The outbox row sits in the database until
// it is sent, so the link is stored encrypted and authenticated: AES-256-GCM under a key
// derived with HKDF-SHA-256 from AUTH_SECRET, purpose "gatehouse outbox link". A row copied
// to another user, an edited ciphertext or a different AUTH_SECRET opens to nothing.
//
// Sealed form: "v1." + base64url(12-byte IV ‖ ciphertext ‖ 16-byte tag). The row's user id
// is the additional authenticated data, so a sealed link only opens for the row it was
// sealed for.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const PURPOSE = "gatehouse outbox link";
const VERSION = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface LinkSealer {
  /** Encrypts `link` for the outbox row of `userId`. */
  seal(link: string, userId: string): string;
  /** The link, or null when the sealed text was altered, is for another user or another key. */
  open(sealed: string, userId: string): string | null;
}

/** A sealer keyed from `secret` (AUTH_SECRET); the same secret opens what it sealed. */
export function createLinkSealer(secret: string): LinkSealer {
  const key = Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), PURPOSE, 32));
  return {
    seal(link, userId) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(userId, "utf8"));
      const body = Buffer.concat([cipher.update(link, "utf8"), cipher.final()]);
      return VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
    },
    open(sealed, userId) {
      if (!sealed.startsWith(VERSION)) return null;
      const raw = Buffer.from(sealed.slice(VERSION.length), "base64url");
      if (raw.length < IV_BYTES + TAG_BYTES + 1) return null;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(userId, "utf8"));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
      } catch {
        // GCM's tag check failed: tampered, another user's row or another key.
        return null;
      }
    },
  };
}
