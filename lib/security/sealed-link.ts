// Sealing of the links that travel through the notification outbox (a verification, reset
// or change-email link holds a single-use token). The outbox row sits in the database until
// it is sent, so the link is stored sealed (lib/security/sealing.ts: AES-256-GCM under a key
// derived from AUTH_SECRET, purpose "gatehouse outbox link"), bound to the row's user id. A
// row copied to another user, an edited ciphertext or a different AUTH_SECRET opens to
// nothing.
import { createSealer } from "@/lib/security/sealing";

const PURPOSE = "gatehouse outbox link";

export interface LinkSealer {
  /** Encrypts `link` for the outbox row of `userId`. */
  seal(link: string, userId: string): string;
  /** The link, or null when the sealed text was altered, is for another user or another key. */
  open(sealed: string, userId: string): string | null;
}

/** A sealer keyed from `secret` (AUTH_SECRET); the same secret opens what it sealed. */
export function createLinkSealer(secret: string): LinkSealer {
  return createSealer(secret, PURPOSE);
}
