import { hash } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";

import {
  ARGON2_PARAMETERS,
  getDummyHash,
  hashPassword,
  needsRehash,
  PasswordHashError,
  verifyPassword,
} from "@/lib/auth/password";

// The OWASP parameters, spelled out independently of the code under test.
const CURRENT_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$";
// A PHC string: prefix, then a 16-byte salt and a 32-byte hash, unpadded base64.
const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

const ARGON2I = 1; // Algorithm.Argon2i (an ambient const enum, unreadable as a value here)

describe("hashPassword", () => {
  it("produces an argon2id PHC string with the OWASP parameters and a 16-byte salt", async () => {
    const stored = await hashPassword("correct horse battery staple");
    expect(stored.startsWith(CURRENT_PREFIX)).toBe(true);
    expect(stored).toMatch(PHC);
    expect(ARGON2_PARAMETERS).toMatchObject({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  });

  it("salts every hash, and never contains the password", async () => {
    const password = "correct horse battery staple";
    const first = await hashPassword(password);
    const second = await hashPassword(password);
    expect(first).not.toBe(second);
    expect(first).not.toContain(password);
    expect(first).not.toContain(Buffer.from(password).toString("base64").slice(0, 16));
  });
});

describe("verifyPassword", () => {
  it("is true for the right password and false for any other", async () => {
    const stored = await hashPassword("Tr0ub4dor&3 🔑");
    await expect(verifyPassword(stored, "Tr0ub4dor&3 🔑")).resolves.toBe(true);
    await expect(verifyPassword(stored, "Tr0ub4dor&3")).resolves.toBe(false);
    await expect(verifyPassword(stored, "tr0ub4dor&3 🔑")).resolves.toBe(false);
    await expect(verifyPassword(stored, "")).resolves.toBe(false);
  });

  it("matches the same password typed with composed or decomposed accents", async () => {
    const composed = "caf\u00e9 au lait";
    const decomposed = "cafe\u0301 au lait";
    expect(composed).not.toBe(decomposed);
    await expect(verifyPassword(await hashPassword(composed), decomposed)).resolves.toBe(true);
    await expect(verifyPassword(await hashPassword(decomposed), composed)).resolves.toBe(true);
  });

  it("still verifies hashes made with older, weaker parameters", async () => {
    const old = await hash("legacy password", { memoryCost: 4_096, timeCost: 1 });
    await expect(verifyPassword(old, "legacy password")).resolves.toBe(true);
    await expect(verifyPassword(old, "Legacy password")).resolves.toBe(false);
  });

  it.each([
    ["not a hash", "hunter2-as-plain-text"],
    ["an empty string", ""],
    ["a truncated PHC string", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ"],
    ["a bcrypt hash", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"],
  ])("throws a PasswordHashError for %s, without echoing the hash", async (_label, stored) => {
    const error: unknown = await verifyPassword(stored, "whatever").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PasswordHashError);
    expect((error as Error).message).toMatch(/not an argon2 PHC string/);
    if (stored !== "") expect((error as Error).message).not.toContain(stored);
    expect((error as Error).message).not.toContain("whatever");
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe("needsRehash", () => {
  it("is false for a hash made today", async () => {
    expect(needsRehash(await hashPassword("fresh password"))).toBe(false);
  });

  it.each([
    ["less memory", { memoryCost: 16_384 }],
    ["fewer passes", { timeCost: 1 }],
    ["argon2i instead of argon2id", { algorithm: ARGON2I }],
    ["a shorter output", { outputLen: 16 }],
    ["a shorter salt", { salt: new Uint8Array(8).fill(7) }],
  ])("is true for a hash with %s", async (_label, weaker) => {
    expect(needsRehash(await hash("old password", { ...ARGON2_PARAMETERS, ...weaker }))).toBe(true);
  });

  it("is false for a hash with stronger parameters (never downgrade)", async () => {
    const stronger = await hash("strong", {
      ...ARGON2_PARAMETERS,
      memoryCost: 32_768,
      timeCost: 3,
    });
    expect(needsRehash(stronger)).toBe(false);
  });

  it("throws a PasswordHashError for a malformed hash", () => {
    expect(() => needsRehash("plain text")).toThrow(PasswordHashError);
  });
});

describe("getDummyHash", () => {
  it("is computed once with the current parameters and reused", async () => {
    const first = await getDummyHash();
    expect(first).toMatch(PHC);
    expect(needsRehash(first)).toBe(false);
    await expect(getDummyHash()).resolves.toBe(first);
  });
});
