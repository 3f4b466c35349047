// Every model of prisma/schema.prisma, through the Prisma client from lib/db, against a
// database built only by the migrations: if the schema and the SQL disagree (a column, a
// type, a default, a unique index, a foreign key), a test here fails. Runs on PostgreSQL
// and on PGlite.
import { createHash, randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { databaseBackends, migratedDatabase } from "@/tests/support/backends";

const serverUrl = inject("databaseUrl");

const backends = databaseBackends(serverUrl);

const argon2idHash = (salt: string) =>
  `$argon2id$v=19$m=19456,t=2,p=1$${Buffer.from(salt).toString("base64").replace(/=+$/, "")}$RdescudvJCsgt3ub+b+dWRWJTmaaJObGq8CKvHDZ8c0`;

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

const minutesFromNow = (minutes: number) => new Date(Date.now() + minutes * 60_000);

/** Shaped like a sealed TOTP key (totp_credentials_secret_sealed); the models do not open it. */
const sealed = (value: string) => `v1.${Buffer.from(value).toString("base64url")}`;

/** n random bytes in base64url: credential ids, user handles, challenges. */
const b64url = (bytes: number) => randomBytes(bytes).toString("base64url");

/** The columns a passkey needs, for a user. */
const passkeyFields = (userId: string) => ({
  userId,
  credentialId: b64url(16),
  publicKey: new Uint8Array(randomBytes(77)),
  deviceType: "SINGLE_DEVICE" as const,
  backedUp: false,
  userHandle: b64url(32),
  aaguid: "00000000-0000-0000-0000-000000000000",
  name: "YubiKey",
});

describe.each(backends)("models on $name", (backend) => {
  // The PostgreSQL variant runs only where a server is installed (the setup says so).
  describe.runIf(backend.available)("round trips", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    let counter = 0;
    const unique = (prefix: string) => `${prefix}-${++counter}-${randomBytes(3).toString("hex")}`;

    async function newUser(email: string | null = `${unique("user")}@example.com`) {
      return prisma().user.create({ data: { email } });
    }

    it("serves Prisma and raw SQL from the same database", async () => {
      await db().sql.query(
        `INSERT INTO "User" ("id", "email", "updatedAt") VALUES ('raw-sql-user', 'raw@example.com', now())`,
      );
      await expect(
        prisma().user.findUnique({ where: { id: "raw-sql-user" } }),
      ).resolves.toMatchObject({
        email: "raw@example.com",
      });
      await expect(db().ping()).resolves.toBeUndefined();
    });

    it("User: every field round-trips, ids and timestamps are generated, email is unique", async () => {
      const email = `${unique("ada")}@example.com`;
      const created = await prisma().user.create({
        data: {
          name: "Ada Lovelace",
          email,
          emailVerified: new Date("2026-03-04T05:06:07.089Z"),
          image: "https://example.com/ada.png",
          lastSignInAt: new Date("2026-03-05T00:00:00.001Z"),
        },
      });

      const read = await prisma().user.findUniqueOrThrow({ where: { email } });

      expect(read).toEqual(created);
      expect(read).toMatchObject({
        name: "Ada Lovelace",
        emailVerified: new Date("2026-03-04T05:06:07.089Z"),
        lastSignInAt: new Date("2026-03-05T00:00:00.001Z"),
      });
      expect(read.id).toMatch(/^c[a-z0-9]{20,}$/);
      expect(read.createdAt).toBeInstanceOf(Date);
      expect(read.updatedAt).toBeInstanceOf(Date);
      await expect(prisma().user.create({ data: { email } })).rejects.toMatchObject({
        code: "P2002",
      });
      // Stack Overflow users have no email: any number of them may exist.
      await newUser(null);
      await newUser(null);
      // The database keeps emails normalized, whatever the code in front of it does.
      await expect(prisma().user.create({ data: { email: " Mixed@Example.com" } })).rejects.toThrow(
        /users_email_normalized/,
      );
    });

    it("User: updatedAt moves with profile changes", async () => {
      const user = await newUser();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const updated = await prisma().user.update({
        where: { id: user.id },
        data: { name: "Renamed" },
      });
      expect(updated.updatedAt.getTime()).toBeGreaterThan(user.updatedAt.getTime());
      expect(updated.createdAt).toEqual(user.createdAt);
    });

    it("Account: every field round-trips with its user; (provider, providerAccountId) is unique", async () => {
      const user = await newUser();
      const providerAccountId = unique("gh");
      const data = {
        userId: user.id,
        type: "oauth",
        provider: "github",
        providerAccountId,
        refresh_token: "refresh",
        access_token: "access",
        expires_at: 1_900_000_000,
        token_type: "bearer",
        scope: "read:user user:email",
        id_token: "id.token.jwt",
        session_state: "state",
        label: "ada-gh",
      };
      const created = await prisma().account.create({ data });

      const read = await prisma().account.findUniqueOrThrow({
        where: { provider_providerAccountId: { provider: "github", providerAccountId } },
        include: { user: true },
      });

      expect(read).toEqual({ ...created, user });
      expect(read).toMatchObject(data);
      const other = await newUser();
      await expect(
        prisma().account.create({ data: { ...data, userId: other.id } }),
      ).rejects.toMatchObject({ code: "P2002" });
      // The same person may link another provider, and the same provider id elsewhere.
      await prisma().account.create({ data: { ...data, provider: "google" } });
      expect(await prisma().account.count({ where: { userId: user.id } })).toBe(2);
    });

    it("Session: round-trips, is found by its token, which is unique; revocation is stored", async () => {
      const user = await newUser();
      const sessionToken = unique("session");
      const created = await prisma().session.create({
        data: {
          sessionToken,
          userId: user.id,
          expires: minutesFromNow(60 * 24 * 30),
          method: "password",
          userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
          ip: "2001:db8::1",
        },
      });
      expect(created.lastSeenAt.getTime()).toBeGreaterThanOrEqual(created.createdAt.getTime());
      expect(created.revokedAt).toBeNull();

      await expect(prisma().session.findUnique({ where: { sessionToken } })).resolves.toEqual(
        created,
      );
      await expect(
        prisma().session.create({
          data: { sessionToken, userId: user.id, expires: minutesFromNow(60) },
        }),
      ).rejects.toMatchObject({ code: "P2002" });

      const revokedAt = new Date();
      await prisma().session.update({
        where: { id: created.id },
        data: { revokedAt, lastSeenAt: revokedAt },
      });
      await expect(prisma().session.findUnique({ where: { sessionToken } })).resolves.toMatchObject(
        {
          revokedAt,
          lastSeenAt: revokedAt,
        },
      );
    });

    it("VerificationToken: round-trips by (identifier, token), which is unique, and deletes", async () => {
      const identifier = `${unique("verify")}@example.com`;
      const created = await prisma().verificationToken.create({
        data: { identifier, token: "token-1", expires: minutesFromNow(15) },
      });
      const where = { identifier_token: { identifier, token: "token-1" } };

      await expect(prisma().verificationToken.findUnique({ where })).resolves.toEqual(created);
      await expect(
        prisma().verificationToken.create({
          data: { identifier, token: "token-1", expires: minutesFromNow(15) },
        }),
      ).rejects.toMatchObject({ code: "P2002" });
      await prisma().verificationToken.create({
        data: { identifier, token: "token-2", expires: minutesFromNow(15) },
      });

      await prisma().verificationToken.delete({ where });
      await expect(prisma().verificationToken.findUnique({ where })).resolves.toBeNull();
    });

    it("PasswordCredential: one per user, hash readable for verification, updatedAt moves", async () => {
      const user = await newUser();
      const hash = argon2idHash(unique("salt"));
      await prisma().user.update({
        where: { id: user.id },
        data: { password: { create: { hash } } },
      });

      const read = await prisma().passwordCredential.findUniqueOrThrow({
        where: { userId: user.id },
      });
      expect(read.hash).toBe(hash);
      await expect(
        prisma().passwordCredential.create({ data: { userId: user.id, hash } }),
      ).rejects.toMatchObject({ code: "P2002" });

      await new Promise((resolve) => setTimeout(resolve, 5));
      const changed = await prisma().passwordCredential.update({
        where: { userId: user.id },
        data: { hash: argon2idHash(unique("salt")) },
      });
      expect(changed.updatedAt.getTime()).toBeGreaterThan(read.updatedAt.getTime());
      await expect(
        prisma().user.findUniqueOrThrow({ where: { id: user.id }, include: { password: true } }),
      ).resolves.toMatchObject({ password: { hash: changed.hash } });
    });

    it("SecurityEvent: round-trips with or without a user, newest first, and never updates", async () => {
      const user = await newUser();
      const first = await prisma().securityEvent.create({
        data: {
          userId: user.id,
          type: "SIGN_UP",
          method: "password",
          ip: "203.0.113.7",
          userAgent: "curl/8",
          detail: "new account",
          requestId: unique("req"),
          createdAt: new Date("2026-01-01T00:00:00.000Z"),
        },
      });
      const second = await prisma().securityEvent.create({
        data: {
          userId: user.id,
          type: "SIGN_IN",
          method: "github",
          createdAt: new Date("2026-01-02T00:00:00.000Z"),
        },
      });
      const anonymous = await prisma().securityEvent.create({
        data: { type: "SIGN_IN_FAILED", method: "password" },
      });

      await expect(
        prisma().securityEvent.findMany({
          where: { userId: user.id },
          orderBy: { createdAt: "desc" },
        }),
      ).resolves.toEqual([second, first]);
      await expect(
        prisma().securityEvent.findUnique({ where: { id: anonymous.id } }),
      ).resolves.toMatchObject({
        userId: null,
        type: "SIGN_IN_FAILED",
      });
      await expect(
        prisma().securityEvent.update({ where: { id: first.id }, data: { detail: "rewritten" } }),
      ).rejects.toThrow(/append-only/);
      await expect(prisma().securityEvent.findUnique({ where: { id: first.id } })).resolves.toEqual(
        first,
      );
    });

    it("TelegramLink: 64-bit chat and user ids round-trip exactly; one chat per user and per chat", async () => {
      const user = await newUser();
      // Beyond Number.MAX_SAFE_INTEGER: a lossy path through JavaScript numbers would show.
      const chatId = -1_001_234_567_890_123n;
      const telegramUserId = 9_007_199_254_740_993n;
      const created = await prisma().telegramLink.create({
        data: { userId: user.id, chatId, telegramUserId, username: "ada_l" },
      });

      const read = await prisma().telegramLink.findUniqueOrThrow({ where: { chatId } });
      expect(read).toEqual(created);
      expect(read.chatId).toBe(chatId);
      expect(read.telegramUserId).toBe(telegramUserId);
      await expect(
        prisma().telegramLink.create({
          data: { userId: user.id, chatId: 42n, telegramUserId: 42n },
        }),
      ).rejects.toMatchObject({ code: "P2002" });
      const other = await newUser();
      await expect(
        prisma().telegramLink.create({ data: { userId: other.id, chatId, telegramUserId: 43n } }),
      ).rejects.toMatchObject({ code: "P2002" });
    });

    it("TelegramLinkToken: stored by hash, found by hash, marked used", async () => {
      const user = await newUser();
      const tokenHash = sha256(randomBytes(32).toString("base64url"));
      const created = await prisma().telegramLinkToken.create({
        data: { tokenHash, userId: user.id, expiresAt: minutesFromNow(10) },
      });

      await expect(
        prisma().telegramLinkToken.findUnique({ where: { tokenHash } }),
      ).resolves.toEqual(created);
      await expect(
        prisma().telegramLinkToken.create({
          data: { tokenHash, userId: user.id, expiresAt: minutesFromNow(10) },
        }),
      ).rejects.toMatchObject({ code: "P2002" });
      const usedAt = new Date();
      await prisma().telegramLinkToken.update({ where: { tokenHash }, data: { usedAt } });
      await expect(
        prisma().telegramLinkToken.findMany({ where: { userId: user.id } }),
      ).resolves.toEqual([{ ...created, usedAt }]);
    });

    it("NotificationOutbox: defaults, JSON payload and its security event round-trip", async () => {
      const user = await newUser();
      const event = await prisma().securityEvent.create({
        data: { userId: user.id, type: "SIGN_IN", method: "google" },
      });
      const payload = {
        at: "2026-01-02T03:04:05.000Z",
        method: "google",
        ip: "198.51.100.4",
        device: "Firefox on Linux — ü ✓",
        buttons: [{ text: "It was me" }, { text: "Not me" }],
        quiet: false,
        missing: null,
      };
      const created = await prisma().notificationOutbox.create({
        data: { userId: user.id, securityEventId: event.id, kind: "sign_in_alert", payload },
      });

      expect(created).toMatchObject({
        channel: "TELEGRAM",
        status: "PENDING",
        attempts: 0,
        lastError: null,
        sentAt: null,
      });
      expect(created.nextAttemptAt).toBeInstanceOf(Date);
      const read = await prisma().notificationOutbox.findUniqueOrThrow({
        where: { id: created.id },
        include: { securityEvent: true },
      });
      expect(read).toEqual({ ...created, securityEvent: event });
      expect(read.payload).toEqual(payload);

      const sentAt = new Date();
      await prisma().notificationOutbox.update({
        where: { id: created.id },
        data: { status: "SENT", attempts: { increment: 1 }, externalId: "1234", sentAt },
      });
      await expect(
        prisma().notificationOutbox.findMany({ where: { status: "SENT", userId: user.id } }),
      ).resolves.toMatchObject([{ id: created.id, attempts: 1, externalId: "1234", sentAt }]);
    });

    it("TotpCredential: one per user, pending until confirmed, its step an integer", async () => {
      const user = await newUser();
      const created = await prisma().totpCredential.create({
        data: { userId: user.id, secret: sealed("key") },
      });
      expect(created).toMatchObject({ confirmedAt: null, lastUsedStep: null });
      expect(created.createdAt).toBeInstanceOf(Date);
      await expect(
        prisma().totpCredential.create({ data: { userId: user.id, secret: sealed("again") } }),
      ).rejects.toMatchObject({ code: "P2002" });
      // A time step of today (~5.9e7) and of the year 3000 both fit.
      const confirmedAt = new Date(created.createdAt.getTime() + 1_000);
      for (const lastUsedStep of [59_012_345, 1_085_000_000]) {
        await prisma().totpCredential.update({
          where: { userId: user.id },
          data: { confirmedAt, lastUsedStep },
        });
        await expect(
          prisma().totpCredential.findUnique({ where: { userId: user.id } }),
        ).resolves.toEqual({ ...created, confirmedAt, lastUsedStep });
      }
    });

    it("RecoveryCode: many per user, found by its unique hash, marked used", async () => {
      const user = await newUser();
      const hash = sha256(unique("code"));
      const created = await prisma().recoveryCode.create({ data: { userId: user.id, hash } });
      await prisma().recoveryCode.create({ data: { userId: user.id, hash: sha256(unique("c")) } });
      expect(created.id).toMatch(/^c[a-z0-9]{20,}$/);
      expect(created.usedAt).toBeNull();
      await expect(
        prisma().recoveryCode.create({ data: { userId: (await newUser()).id, hash } }),
      ).rejects.toMatchObject({ code: "P2002" });
      const usedAt = new Date(created.createdAt.getTime() + 1_000);
      await prisma().recoveryCode.update({ where: { hash }, data: { usedAt } });
      await expect(prisma().recoveryCode.findUnique({ where: { hash } })).resolves.toEqual({
        ...created,
        usedAt,
      });
      await expect(prisma().recoveryCode.count({ where: { userId: user.id } })).resolves.toBe(2);
    });

    it("Passkey: bytes, a 32-bit counter and transports round-trip; the credential id is unique", async () => {
      const user = await newUser();
      const fields = passkeyFields(user.id);
      const created = await prisma().passkey.create({ data: fields });
      expect(created).toMatchObject({
        counter: 0n,
        transports: [],
        lastUsedAt: null,
        publicKey: fields.publicKey,
      });
      expect(created.id).toMatch(/^c[a-z0-9]{20,}$/);
      expect(created.createdAt).toBeInstanceOf(Date);
      await expect(
        prisma().passkey.create({
          data: { ...passkeyFields((await newUser()).id), credentialId: fields.credentialId },
        }),
      ).rejects.toMatchObject({ code: "P2002" });
      // The largest signature counter an authenticator can send (2^32 - 1) fits.
      const lastUsedAt = new Date(created.createdAt.getTime() + 1_000);
      const changes = {
        counter: 4_294_967_295n,
        transports: ["nfc", "usb"],
        deviceType: "MULTI_DEVICE" as const,
        backedUp: true,
        lastUsedAt,
      };
      await prisma().passkey.update({ where: { id: created.id }, data: changes });
      await expect(
        prisma().passkey.findUnique({ where: { credentialId: fields.credentialId } }),
      ).resolves.toEqual({ ...created, ...changes });
    });

    it("WebAuthnChallenge: found by the hash of its id, with or without a user", async () => {
      const user = await newUser();
      const expiresAt = minutesFromNow(5);
      const register = await prisma().webAuthnChallenge.create({
        data: {
          idHash: sha256(unique("challenge-id")),
          purpose: "register",
          challenge: b64url(32),
          userId: user.id,
          userHandle: b64url(32),
          expiresAt,
        },
      });
      const signIn = await prisma().webAuthnChallenge.create({
        data: {
          idHash: sha256(unique("challenge-id")),
          purpose: "sign-in",
          challenge: b64url(32),
          expiresAt,
        },
      });
      expect(signIn).toMatchObject({ userId: null, userHandle: null, expiresAt });
      await expect(
        prisma().webAuthnChallenge.findUnique({ where: { idHash: register.idHash } }),
      ).resolves.toEqual(register);
      await expect(
        prisma().webAuthnChallenge.create({
          data: { ...signIn, challenge: b64url(32) },
        }),
      ).rejects.toMatchObject({ code: "P2002" });
      const { count } = await prisma().webAuthnChallenge.deleteMany({
        where: { idHash: { in: [register.idHash, signIn.idHash] }, expiresAt: { gt: new Date() } },
      });
      expect(count).toBe(2);
    });

    it("an interactive transaction commits both rows, or neither", async () => {
      const user = await newUser();
      await prisma().$transaction(async (tx) => {
        const event = await tx.securityEvent.create({
          data: { userId: user.id, type: "SIGN_IN", method: "password" },
        });
        await tx.notificationOutbox.create({
          data: { userId: user.id, securityEventId: event.id, kind: "sign_in_alert", payload: {} },
        });
      });
      await expect(
        prisma().$transaction(async (tx) => {
          await tx.securityEvent.create({
            data: { userId: user.id, type: "SIGN_OUT", method: "password" },
          });
          await tx.notificationOutbox.create({ data: { userId: user.id, kind: "", payload: {} } });
        }),
      ).rejects.toThrow(/notification_outbox_kind_nonempty/);

      await expect(prisma().securityEvent.count({ where: { userId: user.id } })).resolves.toBe(1);
      await expect(prisma().notificationOutbox.count({ where: { userId: user.id } })).resolves.toBe(
        1,
      );
    });

    it("deleting a user removes every row of theirs, and nothing of anyone else's", async () => {
      async function userWithEverything() {
        const user = await newUser();
        const event = await prisma().securityEvent.create({
          data: { userId: user.id, type: "SIGN_UP", method: "password" },
        });
        await prisma().account.create({
          data: {
            userId: user.id,
            type: "oauth",
            provider: "github",
            providerAccountId: unique("gh"),
          },
        });
        await prisma().session.create({
          data: { userId: user.id, sessionToken: unique("session"), expires: minutesFromNow(60) },
        });
        await prisma().passwordCredential.create({
          data: { userId: user.id, hash: argon2idHash(unique("salt")) },
        });
        await prisma().telegramLink.create({
          data: {
            userId: user.id,
            chatId: BigInt(Date.now()) * 1000n + BigInt(++counter),
            telegramUserId: 7n,
          },
        });
        await prisma().telegramLinkToken.create({
          data: {
            userId: user.id,
            tokenHash: sha256(unique("token")),
            expiresAt: minutesFromNow(10),
          },
        });
        await prisma().notificationOutbox.create({
          data: { userId: user.id, securityEventId: event.id, kind: "sign_in_alert", payload: {} },
        });
        await prisma().totpCredential.create({
          data: { userId: user.id, secret: sealed(unique("key")) },
        });
        await prisma().recoveryCode.create({
          data: { userId: user.id, hash: sha256(unique("code")) },
        });
        await prisma().passkey.create({ data: passkeyFields(user.id) });
        await prisma().webAuthnChallenge.create({
          data: {
            idHash: sha256(unique("challenge-id")),
            purpose: "register",
            challenge: b64url(32),
            userId: user.id,
            userHandle: b64url(32),
            expiresAt: minutesFromNow(5),
          },
        });
        return user;
      }
      const doomed = await userWithEverything();
      const survivor = await userWithEverything();
      const anonymousEvent = await prisma().securityEvent.create({
        data: { type: "SIGN_IN_FAILED" },
      });
      const token = await prisma().verificationToken.create({
        data: { identifier: `${unique("v")}@example.com`, token: "t", expires: minutesFromNow(5) },
      });

      const none = {
        accounts: 0,
        sessions: 0,
        passwords: 0,
        events: 0,
        telegramLinks: 0,
        telegramLinkTokens: 0,
        notifications: 0,
        totpCredentials: 0,
        recoveryCodes: 0,
        passkeys: 0,
        webAuthnChallenges: 0,
      };
      const one = {
        accounts: 1,
        sessions: 1,
        passwords: 1,
        events: 1,
        telegramLinks: 1,
        telegramLinkTokens: 1,
        notifications: 1,
        totpCredentials: 1,
        recoveryCodes: 1,
        passkeys: 1,
        webAuthnChallenges: 1,
      };
      // Every relation of User, loaded through Prisma's includes.
      const loaded = await prisma().user.findUniqueOrThrow({
        where: { id: doomed.id },
        include: {
          accounts: true,
          sessions: true,
          password: true,
          securityEvents: true,
          telegramLink: true,
          telegramLinkTokens: true,
          notifications: true,
          totpCredential: true,
          recoveryCodes: true,
          passkeys: true,
          webAuthnChallenges: true,
        },
      });
      expect({
        accounts: loaded.accounts.length,
        sessions: loaded.sessions.length,
        passwords: loaded.password ? 1 : 0,
        events: loaded.securityEvents.length,
        telegramLinks: loaded.telegramLink ? 1 : 0,
        telegramLinkTokens: loaded.telegramLinkTokens.length,
        notifications: loaded.notifications.length,
        totpCredentials: loaded.totpCredential ? 1 : 0,
        recoveryCodes: loaded.recoveryCodes.length,
        passkeys: loaded.passkeys.length,
        webAuthnChallenges: loaded.webAuthnChallenges.length,
      }).toEqual(one);

      await prisma().user.delete({ where: { id: doomed.id } });

      const counts = async (userId: string) => ({
        accounts: await prisma().account.count({ where: { userId } }),
        sessions: await prisma().session.count({ where: { userId } }),
        passwords: await prisma().passwordCredential.count({ where: { userId } }),
        events: await prisma().securityEvent.count({ where: { userId } }),
        telegramLinks: await prisma().telegramLink.count({ where: { userId } }),
        telegramLinkTokens: await prisma().telegramLinkToken.count({ where: { userId } }),
        notifications: await prisma().notificationOutbox.count({ where: { userId } }),
        totpCredentials: await prisma().totpCredential.count({ where: { userId } }),
        recoveryCodes: await prisma().recoveryCode.count({ where: { userId } }),
        passkeys: await prisma().passkey.count({ where: { userId } }),
        webAuthnChallenges: await prisma().webAuthnChallenge.count({ where: { userId } }),
      });
      await expect(counts(doomed.id)).resolves.toEqual(none);
      await expect(counts(survivor.id)).resolves.toEqual(one);
      await expect(
        prisma().securityEvent.findUnique({ where: { id: anonymousEvent.id } }),
      ).resolves.not.toBeNull();
      await expect(
        prisma().verificationToken.findUnique({
          where: { identifier_token: { identifier: token.identifier, token: token.token } },
        }),
      ).resolves.not.toBeNull();
    });
  });
});
