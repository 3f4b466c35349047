// Forgot password and reset (lib/actions/auth/password-reset.ts, lib/auth/password-reset.ts)
// against freshly migrated databases, PostgreSQL and PGlite: the real next-safe-action
// client, the real mail queue and link sealer, the real rate limiter (in memory) and the
// Telegram alert hook. Work the action leaves for after the answer is collected and run by
// the test, and the clock is injected.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { changePassword } from "@/lib/account/password";
import { createPasswordResetActions } from "@/lib/actions/auth/password-reset";
import { FIX_FIELDS } from "@/lib/actions/auth/shared";
import { issueEmailToken, inspectEmailToken } from "@/lib/auth/email-tokens";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { RESET_LINK_CHAT_KIND } from "@/lib/auth/password-reset";
import { messages } from "@/lib/auth/schemas";
import { createSession, validateSession } from "@/lib/auth/sessions";
import { parseSettings } from "@/lib/env";
import type { RequestContext } from "@/lib/http/request-context";
import { createQueueMail } from "@/lib/mail/outbox";
import { SEALED_LINK_KEY, type OutboxRow } from "@/lib/notifications/outbox";
import { createRateLimiter } from "@/lib/rate-limit";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { createSecurityEventHooks } from "@/lib/security/events";
import { createLinkSealer } from "@/lib/security/sealed-link";
import { alertHook, telegramChannel } from "@/lib/telegram/outbox";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { testPasswordGuard } from "@/tests/support/password-guard";

const APP = "http://localhost:3999";
const SECRET = "r".repeat(44);
const settings = {
  ...parseSettings({}, { devSecret: () => "d".repeat(43) }),
  appUrl: APP,
};
const T0 = new Date("2026-06-01T09:00:00.000Z");
const T = new Date("2026-06-01T10:00:00.000Z");
const PASSWORD = "violet tram 71 under the pier";
const NEW_PASSWORD = "amber kite 42 over the dunes";
const context: RequestContext = { ip: "203.0.113.5", userAgent: "Firefox/141", requestId: "req-r" };
const LINK = new RegExp(`^${APP}/reset-password\\?token=([A-Za-z0-9_-]{43})$`);

const backends = databaseBackends(inject("databaseUrl"));

describe.each(backends)("forgot password and reset on $name", (backend) => {
  describe.runIf(backend.available)("the actions and what they leave", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const sealer = createLinkSealer(SECRET);
    const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}@example.com`;

    function harness({ mailAddressLimit = 100, now = T } = {}) {
      const logger = memoryLogger();
      const limiter = createRateLimiter({
        backend: createMemoryRateLimitBackend(),
        now: Date.now,
        logger,
        settings: {
          ...settings.rateLimits,
          mailAddress: { limit: mailAddressLimit, windowMs: 900_000 },
        },
      });
      const deliverSoon = () => undefined;
      const idle = { deliverDue: () => Promise.resolve({ sent: 0, failed: 0, deferred: 0 }) };
      const hooks = createSecurityEventHooks();
      hooks.register(alertHook({ deliverSoon }));
      const later: (() => Promise<unknown>)[] = [];
      const actions = createPasswordResetActions({
        services: () => ({
          settings,
          logger,
          database: db(),
          limiter,
          mail: {
            queueMail: createQueueMail({ sealer, appUrl: APP, deliverSoon }),
            sealer,
            channel: null,
            devMailboxDir: null,
          },
          notifications: {
            delivery: idle,
            sweep: idle,
            deliverSoon,
          },
          afterRecord: hooks.afterRecord,
        }),
        requestContext: () => Promise.resolve(context),
        now: () => now,
        runAfter: (work) => later.push(work),
      });
      /** Runs what the action left for after its answer. */
      const afterAnswer = async () => {
        for (const work of later.splice(0)) await work();
      };
      return { actions, afterAnswer, logger, afterRecord: hooks.afterRecord };
    }

    async function account(
      email: string,
      { verified = true, password = true, telegram = false, providers = [] as string[] } = {},
    ) {
      return prisma().user.create({
        data: {
          email,
          name: "Ada",
          emailVerified: verified ? T0 : null,
          ...(password ? { password: { create: { hash: await hashPassword(PASSWORD) } } } : {}),
          ...(telegram
            ? {
                telegramLink: {
                  create: { chatId: BigInt(Math.floor(Math.random() * 1e12)), telegramUserId: 1n },
                },
              }
            : {}),
          accounts: {
            create: providers.map((provider) => ({
              type: "oauth",
              provider,
              providerAccountId: randomBytes(6).toString("hex"),
            })),
          },
        },
      });
    }

    const outboxOf = (userId: string) =>
      prisma().notificationOutbox.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });

    function linkIn(row: { payload: unknown; userId: string }): string {
      const sealed = (row.payload as Record<string, unknown>)[SEALED_LINK_KEY];
      const link = typeof sealed === "string" ? sealer.open(sealed, row.userId) : null;
      if (link === null) throw new Error("no sealed link in the row");
      return link;
    }

    /** Asks for a link for `email` and returns the token of the mail it queued. */
    async function requestLink(email: string, h = harness()): Promise<string> {
      await expect(h.actions.forgotPassword({ email })).resolves.toEqual({ data: { sent: true } });
      await h.afterAnswer();
      const user = await prisma().user.findUniqueOrThrow({ where: { email } });
      const mails = (await outboxOf(user.id)).filter((row) => row.kind === "RESET_PASSWORD");
      const token = LINK.exec(linkIn(mails.at(-1) ?? { payload: {}, userId: "" }))?.[1];
      if (!token) throw new Error("no reset link");
      return token;
    }

    describe("forgot password", () => {
      it("answers before it looks anything up, then mails a sealed link and sends its copy to the chat", async () => {
        const email = unique("ada");
        const user = await account(email, { telegram: true });
        const h = harness();
        await expect(
          h.actions.forgotPassword({ email: ` ${email.toUpperCase()} ` }),
        ).resolves.toEqual({ data: { sent: true } });
        // The answer went before any lookup: nothing is written yet.
        expect(await outboxOf(user.id)).toEqual([]);
        await h.afterAnswer();

        const rows = await outboxOf(user.id);
        const mail = rows.find((row) => row.channel === "EMAIL");
        expect(mail).toMatchObject({ kind: "RESET_PASSWORD", status: "PENDING" });
        expect(mail?.payload).toMatchObject({ to: email, data: { expiresInMinutes: 30 } });
        const link = linkIn(mail ?? { payload: {}, userId: "" });
        const token = LINK.exec(link)?.[1] ?? "";
        // Sealed at rest: the token is nowhere in clear.
        expect(JSON.stringify(rows.map((row) => row.payload))).not.toContain(token);
        await expect(
          inspectEmailToken(prisma(), token, "RESET_PASSWORD", T),
        ).resolves.toMatchObject({ status: "valid", userId: user.id, email });

        const chat = rows.find((row) => row.channel === "TELEGRAM");
        expect(chat?.kind).toBe(RESET_LINK_CHAT_KIND);
        expect(linkIn(chat ?? { payload: {}, userId: "" })).toBe(link);
        // Rendered by the Telegram channel: the link, what it does and how long it works.
        const sent: { chatId: number; text: string }[] = [];
        const channel = telegramChannel(
          prisma(),
          {
            sendMessage: (chatId, text) => {
              sent.push({ chatId, text });
              return Promise.resolve({ message_id: 7 });
            },
          },
          sealer,
        );
        await channel.send(chat as unknown as OutboxRow);
        expect(sent[0]?.text).toContain(link);
        expect(sent[0]?.text).toContain("It works once, for 30 minutes");

        const events = await prisma().securityEvent.findMany({ where: { userId: user.id } });
        expect(events).toEqual([
          expect.objectContaining({
            type: "PASSWORD_RESET_REQUESTED",
            ip: context.ip,
            requestId: context.requestId,
          }),
        ]);
      });

      it("sends no chat copy for an address that was never proven", async () => {
        const email = unique("unproven");
        const user = await account(email, { verified: false, telegram: true });
        await requestLink(email);
        const rows = await outboxOf(user.id);
        expect(rows.map((row) => [row.channel, row.kind])).toEqual([["EMAIL", "RESET_PASSWORD"]]);
      });

      it("answers the same for an address nobody uses, and writes nothing", async () => {
        const h = harness();
        const before = {
          outbox: await prisma().notificationOutbox.count(),
          events: await prisma().securityEvent.count(),
          tokens: await prisma().emailToken.count(),
        };
        await expect(h.actions.forgotPassword({ email: unique("nobody") })).resolves.toEqual({
          data: { sent: true },
        });
        await h.afterAnswer();
        expect({
          outbox: await prisma().notificationOutbox.count(),
          events: await prisma().securityEvent.count(),
          tokens: await prisma().emailToken.count(),
        }).toEqual(before);
      });

      it("tells an account without a password how it signs in, with no link", async () => {
        const email = unique("oauth");
        const user = await account(email, { password: false, providers: ["github", "google"] });
        const h = harness();
        await h.actions.forgotPassword({ email });
        await h.afterAnswer();
        const rows = await outboxOf(user.id);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ channel: "EMAIL", kind: "NO_PASSWORD" });
        expect(rows[0]?.payload).toEqual({ to: email, data: { methods: ["GitHub", "Google"] } });
        expect(await prisma().emailToken.count({ where: { userId: user.id } })).toBe(0);
      });

      it("names passkeys among the ways an account without a password signs in", async () => {
        const email = unique("passkey");
        const user = await account(email, { password: false, providers: ["google"] });
        await prisma().passkey.create({
          data: {
            userId: user.id,
            credentialId: randomBytes(16).toString("base64url"),
            publicKey: new Uint8Array([0xa5]),
            deviceType: "MULTI_DEVICE",
            backedUp: true,
            userHandle: randomBytes(32).toString("base64url"),
            aaguid: "00000000-0000-0000-0000-000000000000",
            name: "Phone",
          },
        });
        const h = harness();
        await h.actions.forgotPassword({ email });
        await h.afterAnswer();
        const rows = await outboxOf(user.id);
        expect(rows.map((row) => row.payload)).toEqual([
          { to: email, data: { methods: ["Google", "a passkey"] } },
        ]);
      });

      it("refuses a mail over the address's budget before doing anything, and a bad address at its field", async () => {
        const email = unique("bombed");
        const user = await account(email);
        const h = harness({ mailAddressLimit: 2 });
        await h.actions.forgotPassword({ email });
        await h.actions.forgotPassword({ email });
        const refused = await h.actions.forgotPassword({ email });
        expect(refused.serverError).toMatch(
          /^Too many attempts\. Please wait \d+ (seconds?|minutes?) and try again\.$/,
        );
        await expect(h.actions.forgotPassword({ email: "not an address" })).resolves.toEqual({
          validationErrors: {
            formErrors: [FIX_FIELDS],
            fieldErrors: { email: [messages.emailInvalid] },
          },
        });
        await h.afterAnswer();
        // Two requests went through, the third never reached the lookup.
        const mails = (await outboxOf(user.id)).filter((row) => row.kind === "RESET_PASSWORD");
        expect(mails).toHaveLength(2);
      });
    });

    describe("reset with the link", () => {
      it("sets the password, signs every session out, records it, and works once", async () => {
        const email = unique("reset");
        const user = await account(email, { telegram: true });
        const sessions = [];
        for (const device of ["laptop", "phone"]) {
          sessions.push(
            await createSession(prisma(), {
              userId: user.id,
              method: "password",
              ip: null,
              userAgent: device,
              maxAgeSeconds: 86_400,
              now: T0,
            }),
          );
        }
        const token = await requestLink(email);
        const h = harness();

        await expect(h.actions.resetPassword({ token, password: NEW_PASSWORD })).resolves.toEqual({
          data: { reset: true },
        });
        const credential = await prisma().passwordCredential.findUniqueOrThrow({
          where: { userId: user.id },
        });
        await expect(verifyPassword(credential.hash, NEW_PASSWORD)).resolves.toBe(true);
        for (const session of sessions) {
          await expect(
            validateSession(prisma(), {
              sessionToken: session.sessionToken,
              touchIntervalSeconds: 60,
              maxAgeSeconds: 86_400,
              now: T,
            }),
          ).resolves.toBeNull();
        }
        const events = await prisma().securityEvent.findMany({
          where: { userId: user.id },
          orderBy: { createdAt: "asc" },
        });
        expect(events.map((e) => e.type)).toEqual(
          expect.arrayContaining(["PASSWORD_RESET_REQUESTED", "SESSION_REVOKED", "PASSWORD_RESET"]),
        );
        expect(events.find((e) => e.type === "PASSWORD_RESET")).toMatchObject({
          ip: context.ip,
          method: "password",
        });
        // The Telegram alert hangs on the event.
        const alert = (await outboxOf(user.id)).find((row) => row.kind === "PASSWORD_RESET");
        expect(alert).toMatchObject({ channel: "TELEGRAM", status: "PENDING" });

        // Once: the second use is told the link was used, and changes nothing.
        await expect(h.actions.resetPassword({ token, password: PASSWORD })).resolves.toEqual({
          data: { reset: false, problem: "used" },
        });
        const after = await prisma().passwordCredential.findUniqueOrThrow({
          where: { userId: user.id },
        });
        expect(after.hash).toBe(credential.hash);
      });

      it("refuses the address as the password at its field and leaves the link usable", async () => {
        const email = unique("same");
        await account(email);
        const token = await requestLink(email);
        const h = harness();
        await expect(h.actions.resetPassword({ token, password: email })).resolves.toEqual({
          validationErrors: {
            formErrors: [FIX_FIELDS],
            fieldErrors: { password: [messages.passwordIsEmail] },
          },
        });
        await expect(
          inspectEmailToken(prisma(), token, "RESET_PASSWORD", T),
        ).resolves.toMatchObject({ status: "valid" });
      });

      it("says when a link is expired, unknown or replaced by a newer one", async () => {
        const email = unique("late");
        await account(email);
        const first = await requestLink(email);
        const second = await requestLink(email);
        const late = harness({ now: new Date(T.getTime() + 30 * 60_000) });
        await expect(
          late.actions.resetPassword({ token: second, password: NEW_PASSWORD }),
        ).resolves.toEqual({ data: { reset: false, problem: "expired" } });
        const h = harness();
        await expect(
          h.actions.resetPassword({ token: first, password: NEW_PASSWORD }),
        ).resolves.toEqual({ data: { reset: false, problem: "unknown" } });
        await expect(
          // The last character changed (to one it is not: "A" is one of the four a 32-byte
          // token can end with, so a fixed "A" would sometimes be the token itself).
          h.actions.resetPassword({
            token: `${second.slice(0, 42)}${second.endsWith("A") ? "B" : "A"}`,
            password: NEW_PASSWORD,
          }),
        ).resolves.toEqual({ data: { reset: false, problem: "unknown" } });
        await expect(
          h.actions.resetPassword({ token: "<script>", password: NEW_PASSWORD }),
        ).resolves.toEqual({ data: { reset: false, problem: "unknown" } });
      });

      it("on an address never proven, applies the claim rule first and verifies the address", async () => {
        const email = unique("squatted");
        const user = await account(email, {
          verified: false,
          telegram: true,
          providers: ["stackoverflow"],
        });
        const session = await createSession(prisma(), {
          userId: user.id,
          method: "password",
          ip: null,
          userAgent: "squatter",
          maxAgeSeconds: 86_400,
          now: T0,
        });
        const token = await requestLink(email);
        const h = harness();
        await expect(h.actions.resetPassword({ token, password: NEW_PASSWORD })).resolves.toEqual({
          data: { reset: true },
        });
        const after = await prisma().user.findUniqueOrThrow({
          where: { id: user.id },
          include: { accounts: true, telegramLink: true, password: true },
        });
        expect(after.emailVerified?.toISOString()).toBe(T.toISOString());
        expect(after.accounts).toEqual([]);
        expect(after.telegramLink).toBeNull();
        expect(after.name).toBeNull();
        await expect(verifyPassword(after.password?.hash ?? "", NEW_PASSWORD)).resolves.toBe(true);
        const revoked = await prisma().session.findUniqueOrThrow({
          where: { id: session.sessionId },
        });
        expect(revoked.revokedAt?.toISOString()).toBe(T.toISOString());
        const types = (await prisma().securityEvent.findMany({ where: { userId: user.id } })).map(
          (e) => e.type,
        );
        expect(types).toEqual(
          expect.arrayContaining([
            "TELEGRAM_UNLINKED",
            "ACCOUNT_UNLINKED",
            "PASSWORD_REMOVED",
            "PASSWORD_RESET",
          ]),
        );
        // The link that proved the address stays, used: a second click says so.
        await expect(h.actions.resetPassword({ token, password: PASSWORD })).resolves.toEqual({
          data: { reset: false, problem: "used" },
        });
        expect(await prisma().emailToken.count({ where: { userId: user.id } })).toBe(1);
        // The chat was the previous holder's: no alert was queued for it.
        const telegramRows = (await outboxOf(user.id)).filter(
          (row) => row.channel === "TELEGRAM" && row.status === "PENDING",
        );
        expect(telegramRows).toEqual([]);
      });

      it("a password changed meanwhile kills the pending link", async () => {
        const email = unique("changed");
        const user = await account(email);
        const token = await requestLink(email);
        const session = await createSession(prisma(), {
          userId: user.id,
          method: "password",
          ip: null,
          userAgent: "laptop",
          maxAgeSeconds: 86_400,
          now: T0,
        });
        await changePassword(prisma(), {
          userId: user.id,
          currentPassword: PASSWORD,
          newPassword: NEW_PASSWORD,
          signOutOtherSessions: false,
          currentSessionId: session.sessionId,
          now: T,
          guard: testPasswordGuard(settings).guard,
        });
        await expect(
          harness().actions.resetPassword({ token, password: "another 9 long passphrase" }),
        ).resolves.toEqual({ data: { reset: false, problem: "unknown" } });
        // A link issued for this account now, after the change, works again.
        const fresh = await issueEmailToken(prisma(), {
          userId: user.id,
          kind: "RESET_PASSWORD",
          email,
          now: T,
          lifetimes: settings.emailTokens.lifetimeSeconds,
        });
        await expect(
          harness().actions.resetPassword({
            token: fresh.token,
            password: "another 9 long passphrase",
          }),
        ).resolves.toEqual({ data: { reset: true } });
      });
    });
  });
});
