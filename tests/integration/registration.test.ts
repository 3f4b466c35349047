// Password sign-up against a migrated database (PGlite always, PostgreSQL when present): a
// new address gets an unverified account, a SIGN_UP event and the verification link's mail;
// an address that already has an account (of any kind) gets nothing created and its owner
// gets the "someone tried to sign up" mail, and the caller cannot tell the two apart from
// anything but the outcome it never shows.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { hashEmailToken } from "@/lib/auth/email-tokens";
import { hashPassword, verifyCredentials } from "@/lib/auth/password";
import { registerWithPassword, type RegistrationDeps } from "@/lib/auth/registration";
import { createQueueMail } from "@/lib/mail/outbox";
import { SEALED_LINK_KEY } from "@/lib/notifications/outbox";
import { createLinkSealer } from "@/lib/security/sealed-link";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";

const serverUrl = inject("databaseUrl");

const backends = databaseBackends(serverUrl);

const APP = "http://localhost:3999";
const context = { ip: "203.0.113.5", userAgent: "test", requestId: "req-registration" };
const email = () => `new-${randomBytes(4).toString("hex")}@example.com`;
const sealer = createLinkSealer("r".repeat(44));
const NOW = new Date("2026-12-02T08:00:00Z");

describe.each(backends)("password sign-up on $name", (backend) => {
  describe.runIf(backend.available)("against a migrated database", () => {
    const db = migratedDatabase(backend);
    const deps = (): RegistrationDeps => ({
      prisma: db().prisma,
      queueMail: createQueueMail({ sealer, appUrl: APP, deliverSoon: () => {} }),
      appUrl: APP,
      lifetimes: { VERIFY_EMAIL: 86_400, RESET_PASSWORD: 1_800, CHANGE_EMAIL: 86_400 },
      now: () => NOW,
    });
    const mailsFor = (userId: string) =>
      db().prisma.notificationOutbox.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });

    it("creates an unverified user with an argon2id password, a SIGN_UP event and the link's mail", async () => {
      const address = email();
      const result = await registerWithPassword(deps(), {
        email: ` ${address.toUpperCase()} `,
        password: "correct horse battery",
        name: "Ada",
        ...context,
      });
      if (result.outcome !== "created") throw new Error("expected the sign-up to create a user");
      const user = await db().prisma.user.findUniqueOrThrow({
        where: { id: result.userId },
        include: { password: true, securityEvents: true, emailTokens: true },
      });
      expect(user.email).toBe(address);
      expect(user.emailVerified).toBeNull();
      expect(user.password?.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(user.securityEvents).toEqual([
        expect.objectContaining({ type: "SIGN_UP", method: "password", ip: "203.0.113.5" }),
      ]);
      // One live VERIFY_EMAIL token for the address, for 24 hours; the mail carries its link.
      expect(user.emailTokens).toEqual([
        expect.objectContaining({
          kind: "VERIFY_EMAIL",
          email: address,
          usedAt: null,
          expiresAt: new Date(NOW.getTime() + 86_400_000),
        }),
      ]);
      const [mail, ...others] = await mailsFor(user.id);
      expect(others).toEqual([]);
      expect(mail).toMatchObject({ channel: "EMAIL", kind: "VERIFY_EMAIL", status: "PENDING" });
      const payload = mail?.payload as Record<string, unknown>;
      expect(payload).toMatchObject({ to: address, data: { expiresInMinutes: 1_440 } });
      const link = sealer.open(String(payload[SEALED_LINK_KEY]), user.id);
      const token = new URL(link ?? "").searchParams.get("token") ?? "";
      expect(link).toBe(`${APP}/verify-email?token=${token}`);
      expect(hashEmailToken(token)).toBe(user.emailTokens[0]?.tokenHash);

      const check = await verifyCredentials({
        prisma: db().prisma,
        email: address,
        password: "correct horse battery",
      });
      expect(check).toEqual({ ok: true, userId: result.userId });
    });

    it.each([
      ["a provider account without a password", true, false],
      ["an unverified password account", false, true],
    ])(
      "creates nothing for an address that has an account (%s) and mails its owner",
      async (_kind, verified, withPassword) => {
        const address = email();
        const owner = await db().prisma.user.create({
          data: {
            email: address,
            emailVerified: verified ? NOW : null,
            ...(withPassword
              ? { password: { create: { hash: await hashPassword("the owner's password") } } }
              : {}),
          },
          include: { password: true },
        });
        const before = await db().prisma.user.count();
        const result = await registerWithPassword(deps(), {
          email: address,
          password: "another long password",
          ...context,
        });
        expect(result).toEqual({ outcome: "existing", userId: owner.id });
        expect(await db().prisma.user.count()).toBe(before);
        const after = await db().prisma.user.findUniqueOrThrow({
          where: { id: owner.id },
          include: { password: true, securityEvents: true, emailTokens: true },
        });
        // Nothing about the account changed: no password set or replaced, no event, no link.
        expect(after.password?.hash ?? null).toBe(owner.password?.hash ?? null);
        expect(after.securityEvents).toEqual([]);
        expect(after.emailTokens).toEqual([]);
        const mails = await mailsFor(owner.id);
        expect(mails.map((m) => [m.kind, (m.payload as { to?: string }).to])).toEqual([
          ["SIGN_UP_EXISTING", address],
        ]);
      },
    );

    it("lets exactly one of several parallel sign-ups with one email create it; the others tell its owner", async () => {
      const address = email();
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          registerWithPassword(deps(), { email: address, password: "parallel pass 1", ...context }),
        ),
      );
      const created = results.filter((r) => r.outcome === "created");
      expect(created).toHaveLength(1);
      const userId = created[0]?.userId;
      expect(results.filter((r) => r.outcome === "existing")).toEqual(
        Array.from({ length: 4 }, () => ({ outcome: "existing", userId })),
      );
      expect(await db().prisma.user.count({ where: { email: address } })).toBe(1);
      const kinds = (await mailsFor(userId ?? "")).map((m) => m.kind).sort();
      expect(kinds).toEqual([
        "SIGN_UP_EXISTING",
        "SIGN_UP_EXISTING",
        "SIGN_UP_EXISTING",
        "SIGN_UP_EXISTING",
        "VERIFY_EMAIL",
      ]);
    });
  });
});
