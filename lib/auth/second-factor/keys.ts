// The second factor's keys, each derived from AUTH_SECRET for its one purpose, so a copy of
// the database alone opens no authenticator and proves no recovery code:
// - the TOTP key is sealed (AES-256-GCM, lib/security/sealing.ts), bound to its user id: the
//   server must read it back to compute codes, so it is encrypted, not hashed;
// - a recovery code is only ever compared, so only its HMAC-SHA-256 is kept. A keyed hash
//   rather than a plain one: codes carry 50 bits, enough against guessing online (the
//   sign-in's limits), but a plain hash of 50 bits could be reversed offline by brute force
//   from a dump. Keyed, the dump is useless without AUTH_SECRET. No argon2 either: its cost
//   only matters for low-entropy secrets people choose, and these are random.
// Rotating AUTH_SECRET therefore turns every enrolled authenticator and recovery code off
// (docs/second-factor.md).
import { createHmac, hkdfSync } from "node:crypto";

import { createSealer, type Sealer } from "@/lib/security/sealing";

const TOTP_SECRET_PURPOSE = "gatehouse totp secret";
const RECOVERY_CODE_PURPOSE = "gatehouse recovery code";

export interface SecondFactorKeys {
  /** Seals a TOTP key for its user's row, and opens it again (null: altered or another key). */
  totpSecret: Sealer;
  /**
   * The stored form of a recovery code: HMAC-SHA-256 over the user id and the normalized
   * code, lower-case hex (recovery_codes_hash_format). The user id binds a code to its
   * account: the same code on two accounts hashes differently.
   */
  recoveryCodeHash(userId: string, normalizedCode: string): string;
}

/** The keys from `secret` (AUTH_SECRET); the same secret gives the same keys in any process. */
export function createSecondFactorKeys(secret: string): SecondFactorKeys {
  const recoveryKey = Buffer.from(
    hkdfSync("sha256", secret, Buffer.alloc(0), RECOVERY_CODE_PURPOSE, 32),
  );
  return {
    totpSecret: createSealer(secret, TOTP_SECRET_PURPOSE),
    recoveryCodeHash: (userId, normalizedCode) =>
      // NUL cannot occur in a normalized code, so "user\0code" splits one way only.
      createHmac("sha256", recoveryKey).update(`${userId}\0${normalizedCode}`).digest("hex"),
  };
}
