// verifyCredentials against a database built by the migrations, on PGlite always and on
// PostgreSQL when the test setup found a server: the right answer for every case, and one
// real argon2 verify on every path, so an unknown email costs what a known one does.
// (Timing itself is measured by scripts/bench-password.ts, never asserted here.)
import { randomBytes } from "node:crypto";

import { beforeAll, describe, expect, inject, it } from "vitest";

import {
  createPasswordVerifier,
  getDummyHash,
  hashPassword,
  PasswordHashError,
  verifyCredentials,
  verifyPassword,
} from "@/lib/auth/password";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";

const serverUrl = inject("databaseUrl");

const backends = databaseBackends(serverUrl);

/** The real argon2 verify, recording what it was asked to check. */
function countingVerifier() {
  const calls: { storedHash: string; plain: string; result: boolean }[] = [];
  const verify = async (storedHash: string, plain: string) => {
    const result = await verifyPassword(storedHash, plain);
    calls.push({ storedHash, plain, result });
    return result;
  };
  return { calls, verify };
}

const PASSWORD = "analytical engine 1843";

describe.each(backends)("verifyCredentials on $name", (backend) => {
  describe.runIf(backend.available)("against a migrated database", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}@example.com`;

    let withPassword: { id: string; email: string; hash: string };
    let oauthOnly: { id: string; email: string };

    beforeAll(async () => {
      const hash = await hashPassword(PASSWORD);
      const email = unique("ada");
      const user = await prisma().user.create({
        data: { email, password: { create: { hash } } },
      });
      withPassword = { id: user.id, email, hash };

      const other = await prisma().user.create({
        data: {
          email: unique("grace"),
          accounts: {
            create: { type: "oauth", provider: "github", providerAccountId: unique("gh") },
          },
        },
      });
      oauthOnly = { id: other.id, email: other.email ?? "" };
    });

    it("signs in a known email with the right password, whatever the email's case and spaces", async () => {
      await expect(
        verifyCredentials({ prisma: prisma(), email: withPassword.email, password: PASSWORD }),
      ).resolves.toEqual({ ok: true, userId: withPassword.id });
      await expect(
        verifyCredentials({
          prisma: prisma(),
          email: `  ${withPassword.email.toUpperCase()} `,
          password: PASSWORD,
        }),
      ).resolves.toEqual({ ok: true, userId: withPassword.id });
    });

    it("refuses a wrong password with no reason", async () => {
      for (const password of ["analytical engine 1842", PASSWORD.toUpperCase(), "", " "]) {
        await expect(
          verifyCredentials({ prisma: prisma(), email: withPassword.email, password }),
          // The user whose password was tried, for their own security log.
        ).resolves.toStrictEqual({ ok: false, userId: withPassword.id });
      }
    });

    it("refuses an unknown email with the same answer", async () => {
      await expect(
        verifyCredentials({ prisma: prisma(), email: unique("nobody"), password: PASSWORD }),
      ).resolves.toStrictEqual({ ok: false, userId: null });
    });

    it("refuses a user who has no password (OAuth only) with the same answer", async () => {
      await expect(
        verifyCredentials({ prisma: prisma(), email: oauthOnly.email, password: PASSWORD }),
      ).resolves.toStrictEqual({ ok: false, userId: null });
      await expect(
        verifyCredentials({ prisma: prisma(), email: oauthOnly.email, password: "" }),
      ).resolves.toStrictEqual({ ok: false, userId: null });
    });

    it("runs exactly one argon2 verify against the user's hash for a known email", async () => {
      const counter = countingVerifier();
      const check = createPasswordVerifier({ verify: counter.verify });

      await expect(
        check({ prisma: prisma(), email: withPassword.email, password: "wrong" }),
      ).resolves.toStrictEqual({ ok: false, userId: withPassword.id });
      expect(counter.calls).toEqual([
        { storedHash: withPassword.hash, plain: "wrong", result: false },
      ]);
    });

    it.each([
      ["an unknown email", () => unique("nobody")],
      ["a user without a password", () => oauthOnly.email],
    ])(
      "runs exactly one real argon2 verify, against the dummy hash, for %s",
      async (_label, email) => {
        const counter = countingVerifier();
        const check = createPasswordVerifier({ verify: counter.verify });

        // Even the dummy hash's own password would not let anyone in.
        await expect(
          check({ prisma: prisma(), email: email(), password: PASSWORD }),
        ).resolves.toStrictEqual({ ok: false, userId: null });

        const dummy = await getDummyHash();
        expect(counter.calls).toEqual([{ storedHash: dummy, plain: PASSWORD, result: false }]);
        // A full-cost hash: the same parameters as a real one, so the same work.
        expect(dummy.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
        expect(dummy).not.toBe(withPassword.hash);
      },
    );

    it("ignores the dummy verify's answer: an unknown email never signs in", async () => {
      const check = createPasswordVerifier({ verify: () => Promise.resolve(true) });
      await expect(
        check({ prisma: prisma(), email: unique("nobody"), password: PASSWORD }),
      ).resolves.toStrictEqual({ ok: false, userId: null });
      // …while the same always-true verifier does sign in a known email (the test can fail).
      await expect(
        check({ prisma: prisma(), email: withPassword.email, password: "anything" }),
      ).resolves.toEqual({ ok: true, userId: withPassword.id });
    });

    it("does not sign in a user whose credential was removed", async () => {
      const email = unique("removed");
      const user = await prisma().user.create({
        data: { email, password: { create: { hash: await hashPassword(PASSWORD) } } },
      });
      await expect(
        verifyCredentials({ prisma: prisma(), email, password: PASSWORD }),
      ).resolves.toEqual({ ok: true, userId: user.id });

      await prisma().passwordCredential.delete({ where: { userId: user.id } });

      await expect(
        verifyCredentials({ prisma: prisma(), email, password: PASSWORD }),
      ).resolves.toStrictEqual({ ok: false, userId: null });
    });

    it("reports a stored hash that cannot be decoded as an error naming the user, not as a wrong password", async () => {
      // The CHECK accepts this shape, but the salt is too short for argon2 to decode.
      const email = unique("corrupt");
      const user = await prisma().user.create({ data: { email } });
      await prisma().passwordCredential.create({
        data: { userId: user.id, hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" },
      });

      const error: unknown = await verifyCredentials({
        prisma: prisma(),
        email,
        password: PASSWORD,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(user.id);
      expect((error as Error).cause).toBeInstanceOf(PasswordHashError);
      expect((error as Error).message).not.toContain(PASSWORD);
    });
  });
});
