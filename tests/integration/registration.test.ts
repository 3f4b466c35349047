// Password sign-up against a migrated database (PGlite always, PostgreSQL when present):
// the "password sign-up, same email → refused" row of the table in docs/sign-in.md ("Same
// email across providers"), and the event.
import { randomBytes } from "node:crypto";

import { afterAll, describe, expect, inject, it } from "vitest";

import { verifyCredentials } from "@/lib/auth/password";
import { registerWithPassword } from "@/lib/auth/registration";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";

const serverUrl = inject("databaseUrl");

const backends = databaseBackends(serverUrl);

const context = { ip: "203.0.113.5", userAgent: "test", requestId: "req-registration" };
const email = () => `new-${randomBytes(4).toString("hex")}@example.com`;

describe.each(backends)("password sign-up on $name", (backend) => {
  describe.runIf(backend.available)("against a migrated database", () => {
    const db = migratedDatabase(backend);

    afterAll(async () => {});

    it("creates an unverified user with an argon2id password and a SIGN_UP event", async () => {
      const address = email();
      const result = await registerWithPassword(db().prisma, {
        email: address,
        password: "correct horse battery",
        name: "Ada",
        ...context,
      });
      if (!result.ok) throw new Error("expected the sign-up to succeed");
      const user = await db().prisma.user.findUniqueOrThrow({
        where: { id: result.userId },
        include: { password: true, securityEvents: true },
      });
      expect(user.email).toBe(address);
      expect(user.emailVerified).toBeNull();
      expect(user.password?.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(user.securityEvents).toEqual([
        expect.objectContaining({ type: "SIGN_UP", method: "password", ip: "203.0.113.5" }),
      ]);
      const check = await verifyCredentials({
        prisma: db().prisma,
        email: address,
        password: "correct horse battery",
      });
      expect(check).toEqual({ ok: true, userId: result.userId });
    });

    it("refuses an email that already has an account, whoever created it, and changes nothing", async () => {
      const address = email();
      // The existing account came from a provider and has no password.
      const owner = await db().prisma.user.create({
        data: {
          email: address,
          emailVerified: new Date(),
          accounts: {
            create: { type: "oauth", provider: "github", providerAccountId: address },
          },
        },
      });
      const before = await db().prisma.user.count();
      const result = await registerWithPassword(db().prisma, {
        email: address,
        password: "another long password",
        ...context,
      });
      expect(result).toEqual({ ok: false, reason: "email-taken" });
      expect(await db().prisma.user.count()).toBe(before);
      expect(
        await db().prisma.passwordCredential.findUnique({ where: { userId: owner.id } }),
      ).toBeNull();
    });

    it("lets exactly one of several parallel sign-ups with one email win", async () => {
      const address = email();
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          registerWithPassword(db().prisma, {
            email: address,
            password: "parallel pass 1",
            ...context,
          }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual(
        Array.from({ length: 4 }, () => ({ ok: false, reason: "email-taken" })),
      );
      expect(await db().prisma.user.count({ where: { email: address } })).toBe(1);
    });
  });
});
