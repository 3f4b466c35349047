// Password hashing and checking: argon2id through @node-rs/argon2 (native, off the event
// loop), and a credentials check that takes the same work whether or not the email exists.
//
// Nothing here logs a password or puts one (or a stored hash) into an error message.
import { randomBytes } from "node:crypto";

import { hash, parseOptions, verify } from "@node-rs/argon2";
import type { Algorithm, Version } from "@node-rs/argon2";

import { normalizeEmail } from "@/lib/email";
import type { PrismaClient } from "@/lib/generated/prisma/client";

// `Algorithm` and `Version` are ambient const enums, which `isolatedModules` forbids
// reading as values; their numbers are spelled here, and typed so a wrong one fails.
const ARGON2ID: Algorithm.Argon2id = 2;
const VERSION_0X13: Version.V0x13 = 1;

/**
 * OWASP Password Storage Cheat Sheet, argon2id, first option: 19 MiB of memory, 2 passes,
 * 1 lane. Memory hardness is what makes GPU guessing expensive; these values cost 10–20 ms
 * per hash on a server core, which a sign-in can afford and an attacker holding a stolen
 * table pays on every guess. Raise them (never lower) and `needsRehash` reports older hashes.
 */
export const ARGON2_PARAMETERS = {
  algorithm: ARGON2ID,
  version: VERSION_0X13,
  memoryCost: 19_456, // KiB
  timeCost: 2,
  parallelism: 1,
  outputLen: 32, // bytes: 256 bits of hash
} as const;

/** The library's salt size; a shorter salt (from some other tool) is worth replacing. */
const MIN_SALT_BYTES = 16;

/** A stored hash that is not an argon2 PHC string: corrupt data, not a wrong password. */
export class PasswordHashError extends Error {
  override name = "PasswordHashError";
}

/**
 * NIST SP 800-63B asks for Unicode normalization (NFKC or NFKD) before hashing, so the
 * same password typed on two keyboards that encode "é" differently still matches.
 */
function normalizePassword(plain: string): string {
  return plain.normalize("NFKC");
}

/** Hashes a new password: an argon2id PHC string with a random salt. */
export async function hashPassword(plain: string): Promise<string> {
  return hash(normalizePassword(plain), {
    algorithm: ARGON2_PARAMETERS.algorithm,
    version: ARGON2_PARAMETERS.version,
    memoryCost: ARGON2_PARAMETERS.memoryCost,
    timeCost: ARGON2_PARAMETERS.timeCost,
    parallelism: ARGON2_PARAMETERS.parallelism,
    outputLen: ARGON2_PARAMETERS.outputLen,
  });
}

/**
 * True when `plain` is the password behind `storedHash`, false when it is not. The
 * parameters come from the hash itself, so hashes made with older parameters still
 * verify. Throws `PasswordHashError` only when the stored hash cannot be decoded.
 */
export async function verifyPassword(storedHash: string, plain: string): Promise<boolean> {
  try {
    return await verify(storedHash, normalizePassword(plain));
  } catch (error) {
    // The library's own message ("Decoding failed") names neither input; ours adds the
    // shape of the hash, never its content, which could be a mis-stored password.
    throw new PasswordHashError(
      `Cannot verify a password: the stored hash (${storedHash.length} characters) is not an argon2 PHC string`,
      { cause: error },
    );
  }
}

/**
 * True when a (valid) stored hash was made with weaker settings than today's: another
 * argon2 variant or version, less memory, fewer passes, a shorter output or salt. The
 * caller can then rehash the password it just verified. Throws `PasswordHashError` on a
 * hash that cannot be decoded.
 */
export function needsRehash(storedHash: string): boolean {
  let current: ReturnType<typeof parseOptions>;
  try {
    current = parseOptions(storedHash);
  } catch (error) {
    throw new PasswordHashError(
      `Cannot read the parameters of a stored hash (${storedHash.length} characters): not an argon2 PHC string`,
      { cause: error },
    );
  }
  return (
    current.algorithm !== ARGON2_PARAMETERS.algorithm ||
    current.version !== ARGON2_PARAMETERS.version ||
    current.memoryCost < ARGON2_PARAMETERS.memoryCost ||
    current.timeCost < ARGON2_PARAMETERS.timeCost ||
    current.outputLen < ARGON2_PARAMETERS.outputLen ||
    current.saltLen < MIN_SALT_BYTES
  );
}

let dummyHash: Promise<string> | undefined;

/**
 * The hash checked when an email has no password to check, so that path costs one real
 * argon2 verify like every other. It is computed (once per process, on first use, then
 * cached) rather than written into the source, so it always carries the current
 * parameters: a dummy cheaper than real hashes would make unknown emails answer faster.
 * Its password is random and discarded; the result of checking it is ignored anyway.
 * Call it at start-up so the first unknown-email sign-in does not pay for the hash.
 */
export function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString("base64url")).catch((error: unknown) => {
    // Do not cache a failure: the next sign-in tries again.
    dummyHash = undefined;
    throw new Error("Cannot compute the dummy password hash", { cause: error });
  });
  return dummyHash;
}

/** The part of the Prisma client the credentials check reads. */
export type CredentialsDatabase = Pick<PrismaClient, "passwordCredential">;

export interface CredentialsInput {
  prisma: CredentialsDatabase;
  email: string;
  password: string;
}

/**
 * No reason on failure: callers show one message for an unknown email and a wrong password.
 * A failure names the user whose password was tried (null when the email has none), for
 * that user's security log only — never for the person asking.
 */
export type CredentialsResult = { ok: true; userId: string } | { ok: false; userId: string | null };

export interface PasswordVerifierDependencies {
  /** Checks a password against a hash; tests pass a counting wrapper of the real one. */
  verify?: (storedHash: string, plain: string) => Promise<boolean>;
  /** The hash used when there is no real one. */
  dummyHash?: () => Promise<string>;
}

/**
 * Builds `verifyCredentials`. Every call runs exactly one argon2 verify: against the
 * user's hash when the email has a password, otherwise against the dummy hash, so the
 * response time does not tell whether an email is registered (user enumeration). The
 * database lookup is a single query whatever it finds, for the same reason.
 */
export function createPasswordVerifier(
  deps: PasswordVerifierDependencies = {},
): (input: CredentialsInput) => Promise<CredentialsResult> {
  const check = deps.verify ?? verifyPassword;
  const dummy = deps.dummyHash ?? getDummyHash;

  return async ({ prisma, email, password }) => {
    const credential = await prisma.passwordCredential.findFirst({
      where: { user: { is: { email: normalizeEmail(email) } } },
      select: { userId: true, hash: true },
    });

    if (credential === null) {
      // Unknown email, or a user who signs in only with a provider: same work, same answer.
      await check(await dummy(), password);
      return { ok: false, userId: null };
    }

    let matches: boolean;
    try {
      matches = await check(credential.hash, password);
    } catch (error) {
      throw new Error(`Password check failed for user ${credential.userId}`, { cause: error });
    }
    return { ok: matches, userId: credential.userId };
  };
}

/** Checks an email and password against the stored credential, in constant work. */
export const verifyCredentials = createPasswordVerifier();

/** Hashing and checking as a dependency, so tests can count or slow the calls. */
export interface PasswordHasher {
  hash: (plain: string) => Promise<string>;
  verify: (storedHash: string, plain: string) => Promise<boolean>;
}

/** The real one: argon2id with the parameters above. */
export const argon2Hasher: PasswordHasher = { hash: hashPassword, verify: verifyPassword };
