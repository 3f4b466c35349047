// Confirming an address with its VERIFY_EMAIL link (lib/auth/email-verification.ts), on
// PGlite and PostgreSQL: the preview changes nothing; confirming marks the address verified
// and records EMAIL_VERIFIED once; a second use, an expired link, a replaced link and a link
// for an address the account no longer has verify nothing.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { issueEmailToken } from "@/lib/auth/email-tokens";
import { previewVerification, verifyEmail } from "@/lib/auth/email-verification";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";

const backends = databaseBackends(inject("databaseUrl"));

const lifetimes = { VERIFY_EMAIL: 86_400, RESET_PASSWORD: 1_800, CHANGE_EMAIL: 86_400 };
const context = { ip: "203.0.113.8", userAgent: "test", requestId: "req-verify" };

describe.each(backends)("email verification on $name", (backend) => {
  describe.runIf(backend.available)("against a migrated database", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    // Tokens are stamped with this clock; the database's own clock plays no part.
    const issuedAt = new Date(Date.now() + 60_000);
    const later = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1_000);

    async function accountWithLink() {
      const email = `verify-${randomBytes(4).toString("hex")}@example.com`;
      const user = await prisma().user.create({ data: { email } });
      const { token } = await issueEmailToken(prisma(), {
        userId: user.id,
        kind: "VERIFY_EMAIL",
        email,
        now: issuedAt,
        lifetimes,
      });
      return { user, email, token };
    }
    const reload = (id: string) =>
      prisma().user.findUniqueOrThrow({ where: { id }, include: { securityEvents: true } });

    it("previews without using the link, then confirms once; the second use is 'used'", async () => {
      const { user, email, token } = await accountWithLink();
      const preview = await previewVerification(prisma(), token, later(60));
      expect(preview).toEqual({ status: "valid", email, accountCreatedAt: user.createdAt });
      // Opening the page twice (a mail scanner first) leaves the link working.
      expect((await previewVerification(prisma(), token, later(61))).status).toBe("valid");
      expect((await reload(user.id)).emailVerified).toBeNull();

      const confirmedAt = later(120);
      await expect(verifyEmail(prisma(), { token, now: confirmedAt, ...context })).resolves.toEqual(
        { status: "verified", email, userId: user.id },
      );
      const verified = await reload(user.id);
      expect(verified.emailVerified).toEqual(confirmedAt);
      expect(verified.securityEvents).toEqual([
        expect.objectContaining({ type: "EMAIL_VERIFIED", method: "email", ip: context.ip }),
      ]);

      await expect(verifyEmail(prisma(), { token, now: later(121), ...context })).resolves.toEqual({
        status: "used",
      });
      expect(await previewVerification(prisma(), token, later(122))).toEqual({ status: "used" });
      expect((await reload(user.id)).securityEvents).toHaveLength(1);
    });

    it("of two confirmations at once, exactly one verifies", async () => {
      const { user, token } = await accountWithLink();
      const results = await Promise.all(
        [0, 1, 2].map(() => verifyEmail(prisma(), { token, now: later(5), ...context })),
      );
      expect(results.map((r) => r.status).sort()).toEqual(["used", "used", "verified"]);
      expect((await reload(user.id)).securityEvents).toHaveLength(1);
    });

    it("an expired link verifies nothing", async () => {
      const { user, token } = await accountWithLink();
      const expiry = later(lifetimes.VERIFY_EMAIL);
      expect(await previewVerification(prisma(), token, expiry)).toEqual({ status: "expired" });
      await expect(verifyEmail(prisma(), { token, now: expiry, ...context })).resolves.toEqual({
        status: "expired",
      });
      expect((await reload(user.id)).emailVerified).toBeNull();
    });

    it("a link replaced by a newer one, or a made-up one, is 'unknown'", async () => {
      const { user, email, token } = await accountWithLink();
      const newer = await issueEmailToken(prisma(), {
        userId: user.id,
        kind: "VERIFY_EMAIL",
        email,
        now: later(10),
        lifetimes,
      });
      for (const dead of [token, "x".repeat(43), "not a token", undefined]) {
        await expect(
          verifyEmail(prisma(), { token: dead, now: later(20), ...context }),
        ).resolves.toEqual({ status: "unknown" });
      }
      expect((await reload(user.id)).emailVerified).toBeNull();
      await expect(
        verifyEmail(prisma(), { token: newer.token, now: later(20), ...context }),
      ).resolves.toMatchObject({ status: "verified" });
    });

    it("a link for an address the account no longer has verifies nothing ('stale')", async () => {
      const { user, token } = await accountWithLink();
      const other = `moved-${randomBytes(4).toString("hex")}@example.com`;
      await prisma().user.update({ where: { id: user.id }, data: { email: other } });
      expect(await previewVerification(prisma(), token, later(30))).toEqual({ status: "stale" });
      await expect(verifyEmail(prisma(), { token, now: later(30), ...context })).resolves.toEqual({
        status: "stale",
      });
      const after = await reload(user.id);
      expect(after.emailVerified).toBeNull();
      expect(after.securityEvents).toEqual([]);
    });
  });
});
