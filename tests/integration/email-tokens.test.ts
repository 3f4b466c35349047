// The emailed-link tokens (lib/auth/email-tokens.ts) on freshly migrated databases,
// PostgreSQL and PGlite: what is stored, lifetimes by kind, a newer link replacing an older
// one, looking without using up, single use under a race of ten, and the password changes
// that kill pending reset links.
import { createHash, randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { changePassword, setPassword, type PasswordHasher } from "@/lib/account/password";
import {
  consumeEmailToken,
  deleteEmailTokens,
  EMAIL_TOKEN_KINDS,
  hashEmailToken,
  inspectEmailToken,
  issueEmailToken,
  type EmailTokenKind,
} from "@/lib/auth/email-tokens";
import { createSession } from "@/lib/auth/sessions";
import { parseSettings } from "@/lib/env";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { testPasswordGuard } from "@/tests/support/password-guard";

const serverUrl = inject("databaseUrl");
const settings = parseSettings({}, { devSecret: () => "d".repeat(43) });
const lifetimes = settings.emailTokens.lifetimeSeconds;
const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1_000);

/** A stand-in for argon2id: the tests are about tokens, not hashing (the CHECK wants PHC). */
const fakeHasher: PasswordHasher = {
  hash: (plain) =>
    Promise.resolve(
      `$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$${createHash("sha256").update(plain).digest("base64").replace(/=+$/, "")}`,
    ),
  verify: async (stored, plain) => stored === (await fakeHasher.hash(plain)),
};

describe.each(databaseBackends(serverUrl, { poolMax: 10 }))("email tokens on $name", (backend) => {
  describe.runIf(backend.available)("issue, inspect, consume", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;

    async function newUser(email = `${randomBytes(4).toString("hex")}@example.com`) {
      return prisma().user.create({ data: { email } });
    }
    const issue = (userId: string, kind: EmailTokenKind, email: string, now = T) =>
      issueEmailToken(prisma(), { userId, kind, email, now, lifetimes });

    it("hands out a random 43-character token once and stores only its SHA-256, with the normalized address", async () => {
      const user = await newUser();
      const first = await issue(user.id, "VERIFY_EMAIL", "  Someone@Example.COM ");
      const second = await issue(user.id, "CHANGE_EMAIL", "new@example.com");
      expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(second.token).not.toBe(first.token);

      const rows = await prisma().emailToken.findMany({ where: { userId: user.id } });
      const row = rows.find((r) => r.kind === "VERIFY_EMAIL");
      expect(row).toEqual({
        tokenHash: createHash("sha256").update(first.token).digest("hex"),
        userId: user.id,
        kind: "VERIFY_EMAIL",
        email: "someone@example.com",
        createdAt: T,
        expiresAt: first.expiresAt,
        usedAt: null,
      });
      expect(row?.tokenHash).toBe(hashEmailToken(first.token));
      expect(JSON.stringify(rows)).not.toContain(first.token);
      expect(JSON.stringify(rows)).not.toContain(second.token);
    });

    it.each([
      ["VERIFY_EMAIL", 24 * 3_600],
      ["RESET_PASSWORD", 30 * 60],
      ["CHANGE_EMAIL", 24 * 3_600],
    ] as const)("gives %s links the lifetime the settings give them", async (kind, seconds) => {
      const user = await newUser();
      const { token, expiresAt } = await issue(user.id, kind, "x@example.com");
      expect(expiresAt).toEqual(at(seconds));
      await expect(inspectEmailToken(prisma(), token, kind, at(seconds - 1))).resolves.toEqual({
        status: "valid",
        userId: user.id,
        email: "x@example.com",
        expiresAt: at(seconds),
      });
      await expect(inspectEmailToken(prisma(), token, kind, at(seconds))).resolves.toEqual({
        status: "expired",
      });
      // An expired link is not used up by trying it.
      await expect(consumeEmailToken(prisma(), token, kind, at(seconds))).resolves.toEqual({
        status: "expired",
      });
      const row = await prisma().emailToken.findUnique({
        where: { tokenHash: hashEmailToken(token) },
      });
      expect(row?.usedAt).toBeNull();
    });

    it("a newer link of a kind replaces the user's older unused one, and nothing else", async () => {
      const user = await newUser();
      const other = await newUser();
      const used = await issue(user.id, "RESET_PASSWORD", user.email ?? "");
      await consumeEmailToken(prisma(), used.token, "RESET_PASSWORD", at(1));
      const older = await issue(user.id, "RESET_PASSWORD", user.email ?? "", at(2));
      const verify = await issue(user.id, "VERIFY_EMAIL", user.email ?? "", at(2));
      const othersReset = await issue(other.id, "RESET_PASSWORD", other.email ?? "", at(2));
      const newer = await issue(user.id, "RESET_PASSWORD", user.email ?? "", at(3));

      const now = at(4);
      const look = (token: string, kind: EmailTokenKind = "RESET_PASSWORD") =>
        inspectEmailToken(prisma(), token, kind, now).then((result) => result.status);
      expect(await look(older.token)).toBe("unknown");
      expect(await look(newer.token)).toBe("valid");
      expect(await look(used.token)).toBe("used");
      expect(await look(verify.token, "VERIFY_EMAIL")).toBe("valid");
      expect(await look(othersReset.token)).toBe("valid");
    });

    it("looking does not use a link up; using it does, once", async () => {
      const user = await newUser();
      const { token } = await issue(user.id, "VERIFY_EMAIL", user.email ?? "");
      for (let i = 0; i < 3; i++) {
        expect((await inspectEmailToken(prisma(), token, "VERIFY_EMAIL", at(10))).status).toBe(
          "valid",
        );
      }
      await expect(consumeEmailToken(prisma(), token, "VERIFY_EMAIL", at(20))).resolves.toEqual({
        status: "valid",
        userId: user.id,
        email: user.email,
        expiresAt: at(24 * 3_600),
      });
      const row = await prisma().emailToken.findUnique({
        where: { tokenHash: hashEmailToken(token) },
      });
      expect(row?.usedAt).toEqual(at(20));
      await expect(consumeEmailToken(prisma(), token, "VERIFY_EMAIL", at(21))).resolves.toEqual({
        status: "used",
      });
      await expect(inspectEmailToken(prisma(), token, "VERIFY_EMAIL", at(21))).resolves.toEqual({
        status: "used",
      });
    });

    it("a link of one kind opens nothing of another, and is not used up by trying", async () => {
      const user = await newUser();
      const { token } = await issue(user.id, "VERIFY_EMAIL", user.email ?? "");
      for (const kind of ["RESET_PASSWORD", "CHANGE_EMAIL"] as const) {
        await expect(consumeEmailToken(prisma(), token, kind, at(1))).resolves.toEqual({
          status: "unknown",
        });
        await expect(inspectEmailToken(prisma(), token, kind, at(1))).resolves.toEqual({
          status: "unknown",
        });
      }
      expect((await consumeEmailToken(prisma(), token, "VERIFY_EMAIL", at(2))).status).toBe(
        "valid",
      );
    });

    it("answers unknown, never throws, for a link never issued or tampered with", async () => {
      const user = await newUser();
      const { token } = await issue(user.id, "RESET_PASSWORD", user.email ?? "");
      const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
      const inputs: unknown[] = [
        randomBytes(32).toString("base64url"),
        flipped,
        token.slice(0, 42),
        `${token}A`,
        `${token.slice(0, 42)}=`,
        ` ${token.slice(1)}`,
        "",
        "x".repeat(100_000),
        hashEmailToken(token),
        undefined,
        null,
        42,
        [token],
        { token },
      ];
      for (const input of inputs) {
        await expect(inspectEmailToken(prisma(), input, "RESET_PASSWORD", at(1))).resolves.toEqual({
          status: "unknown",
        });
        await expect(consumeEmailToken(prisma(), input, "RESET_PASSWORD", at(1))).resolves.toEqual({
          status: "unknown",
        });
      }
      // None of that used the real link up.
      expect((await consumeEmailToken(prisma(), token, "RESET_PASSWORD", at(2))).status).toBe(
        "valid",
      );
    });

    it("ten uses of one link at once: exactly one wins, each in its own transaction", async () => {
      const user = await newUser();
      const { token } = await issue(user.id, "RESET_PASSWORD", user.email ?? "");
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          prisma().$transaction((tx) => consumeEmailToken(tx, token, "RESET_PASSWORD", at(5 + i))),
        ),
      );
      const statuses = results.map((result) => result.status).sort();
      expect(statuses).toEqual([
        "used",
        "used",
        "used",
        "used",
        "used",
        "used",
        "used",
        "used",
        "used",
        "valid",
      ]);
      expect(results.find((result) => result.status === "valid")).toMatchObject({
        userId: user.id,
      });
    });

    it("a use inside a transaction that rolls back leaves the link usable", async () => {
      const user = await newUser();
      const { token } = await issue(user.id, "CHANGE_EMAIL", "next@example.com");
      class Abort extends Error {}
      await expect(
        prisma().$transaction(async (tx) => {
          expect((await consumeEmailToken(tx, token, "CHANGE_EMAIL", at(1))).status).toBe("valid");
          throw new Abort();
        }),
      ).rejects.toBeInstanceOf(Abort);
      expect((await consumeEmailToken(prisma(), token, "CHANGE_EMAIL", at(2))).status).toBe(
        "valid",
      );
    });

    it("deleteEmailTokens deletes the kinds asked for, of that user only; deleting the user deletes the rest", async () => {
      const user = await newUser();
      const other = await newUser();
      const tokens = new Map<EmailTokenKind, string>();
      for (const kind of EMAIL_TOKEN_KINDS) {
        tokens.set(kind, (await issue(user.id, kind, "a@example.com")).token);
      }
      const othersReset = await issue(other.id, "RESET_PASSWORD", "b@example.com");
      await expect(
        deleteEmailTokens(prisma(), user.id, ["RESET_PASSWORD", "CHANGE_EMAIL"]),
      ).resolves.toBe(2);
      const kindsLeft = await prisma().emailToken.findMany({
        where: { userId: user.id },
        select: { kind: true },
      });
      expect(kindsLeft).toEqual([{ kind: "VERIFY_EMAIL" }]);
      expect(
        (await inspectEmailToken(prisma(), othersReset.token, "RESET_PASSWORD", T)).status,
      ).toBe("valid");
      await prisma().user.delete({ where: { id: user.id } });
      await expect(prisma().emailToken.count({ where: { userId: user.id } })).resolves.toBe(0);
    });

    describe("a password change or set kills pending reset links", () => {
      it("setting a password (account page) deletes reset links, not the others", async () => {
        const user = await newUser();
        const reset = await issue(user.id, "RESET_PASSWORD", user.email ?? "");
        const verify = await issue(user.id, "VERIFY_EMAIL", user.email ?? "");
        await setPassword(
          prisma(),
          {
            userId: user.id,
            password: "a long new password 1",
            now: at(1),
            verificationMail: {
              queueMail: () => Promise.reject(new Error("the account has an address: no mail")),
              appUrl: "http://localhost:3000",
              lifetimes,
            },
          },
          fakeHasher,
        );
        expect(
          (await inspectEmailToken(prisma(), reset.token, "RESET_PASSWORD", at(2))).status,
        ).toBe("unknown");
        expect(
          (await inspectEmailToken(prisma(), verify.token, "VERIFY_EMAIL", at(2))).status,
        ).toBe("valid");
      });

      it("changing the password deletes reset links; a refused change deletes nothing", async () => {
        const oldPassword = "the old password 1";
        const user = await prisma().user.create({
          data: {
            email: `${randomBytes(4).toString("hex")}@example.com`,
            password: { create: { hash: await fakeHasher.hash(oldPassword) } },
          },
        });
        const session = await createSession(prisma(), {
          userId: user.id,
          method: "password",
          ip: null,
          userAgent: null,
          maxAgeSeconds: 86_400,
          now: T,
        });
        const { guard } = testPasswordGuard(settings);
        const change = (currentPassword: string) =>
          changePassword(
            prisma(),
            {
              userId: user.id,
              currentPassword,
              newPassword: "a brand new password 2",
              signOutOtherSessions: false,
              currentSessionId: session.sessionId,
              now: at(1),
              guard,
            },
            fakeHasher,
          );
        const reset = await issue(user.id, "RESET_PASSWORD", user.email ?? "");
        await expect(change("not the password")).rejects.toMatchObject({ code: "wrong-password" });
        expect(
          (await inspectEmailToken(prisma(), reset.token, "RESET_PASSWORD", at(2))).status,
        ).toBe("valid");
        await change(oldPassword);
        expect(
          (await inspectEmailToken(prisma(), reset.token, "RESET_PASSWORD", at(2))).status,
        ).toBe("unknown");
      });
    });
  });
});
