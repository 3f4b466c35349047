// Telegram's data side against freshly migrated databases, PostgreSQL and PGlite: link
// tokens (single use, expiry, hashing, replacing links) and the alert outbox (queued in the
// event's transaction, delivered with retries that respect Telegram's retry_after, never
// twice at once). The Bot API is a scripted sender here; the real grammY client against the
// fake Bot API is exercised by the bot and webhook suites.
import { createHash, randomBytes } from "node:crypto";

import { beforeEach, describe, expect, inject, it } from "vitest";

import { recordSignIn } from "@/lib/auth/identity";
import { recordSecurityEvent } from "@/lib/security/events";
import { alertKeyboard } from "@/lib/telegram/alerts";
import {
  createLinkToken,
  hashLinkToken,
  linkChatWithToken,
  telegramStartUrl,
  unlinkTelegram,
  userForChat,
} from "@/lib/telegram/link-tokens";
import {
  alertHook,
  createOutboxDelivery,
  type AlertSender,
  MOVED_AWAY_KIND,
} from "@/lib/telegram/outbox";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { scriptedSender } from "@/tests/support/scripted-sender";

const backends = databaseBackends(inject("databaseUrl"));

const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const TTL = 600;

let chatCounter = 7_000_000;
const newChat = (username: string | null = "ada") => {
  chatCounter += 1;
  return { chatId: chatCounter, telegramUserId: chatCounter + 1_000_000_000, username };
};

/** What grammY throws for an error answer (GrammyError's fields). */
function botApiError(code: number, description: string, retryAfter?: number): Error {
  return Object.assign(new Error(`Call to 'sendMessage' failed! (${code}: ${description})`), {
    error_code: code,
    description,
    ...(retryAfter === undefined ? {} : { parameters: { retry_after: retryAfter } }),
  });
}

describe.each(backends)("Telegram data on $name", (backend) => {
  describe.runIf(backend.available)("link tokens and the outbox", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const newUser = (email: string | null = `${randomBytes(6).toString("hex")}@example.com`) =>
      prisma().user.create({ data: { email, name: "Ada Lovelace" } });

    // ---- link tokens -------------------------------------------------------------------

    it("a token is 43 URL-safe characters, stored only as its SHA-256, and links once", async () => {
      const user = await newUser();
      const { token, expiresAt } = await createLinkToken(prisma(), {
        userId: user.id,
        now: T,
        ttlSeconds: TTL,
      });
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(expiresAt).toEqual(at(TTL));
      expect(telegramStartUrl("gatehouse_bot", token)).toBe(
        `https://t.me/gatehouse_bot?start=${token}`,
      );
      const rows = await prisma().telegramLinkToken.findMany({ where: { userId: user.id } });
      expect(rows.map((r) => r.tokenHash)).toEqual([
        createHash("sha256").update(token).digest("hex"),
      ]);
      expect(hashLinkToken(token)).toBe(rows[0]?.tokenHash);

      const chat = newChat();
      await expect(linkChatWithToken(prisma(), { token, chat, now: at(60) })).resolves.toEqual({
        ok: true,
        userId: user.id,
        accountName: user.email,
        replacedChatId: null,
      });
      await expect(userForChat(prisma(), chat.chatId)).resolves.toEqual({
        userId: user.id,
        accountName: user.email,
      });
      // Used: a second /start with it links nothing, from any chat.
      await expect(
        linkChatWithToken(prisma(), { token, chat: newChat(), now: at(61) }),
      ).resolves.toEqual({ ok: false, reason: "used" });
      const events = await prisma().securityEvent.findMany({ where: { userId: user.id } });
      expect(events.map((e) => [e.type, e.method, e.detail])).toEqual([
        ["TELEGRAM_LINKED", "telegram", "@ada"],
      ]);
    });

    it("expired, unknown and malformed tokens link nothing", async () => {
      const user = await newUser();
      const { token } = await createLinkToken(prisma(), {
        userId: user.id,
        now: T,
        ttlSeconds: TTL,
      });
      await expect(
        linkChatWithToken(prisma(), { token, chat: newChat(), now: at(TTL) }),
      ).resolves.toEqual({ ok: false, reason: "expired" });
      await expect(
        linkChatWithToken(prisma(), { token: "A".repeat(43), chat: newChat(), now: T }),
      ).resolves.toEqual({ ok: false, reason: "unknown" });
      await expect(
        linkChatWithToken(prisma(), { token: "not a token!", chat: newChat(), now: T }),
      ).resolves.toEqual({ ok: false, reason: "unknown" });
      await expect(
        linkChatWithToken(prisma(), { token: "x".repeat(65), chat: newChat(), now: T }),
      ).resolves.toEqual({ ok: false, reason: "unknown" });
      expect(await prisma().telegramLink.count({ where: { userId: user.id } })).toBe(0);
    });

    it("a new token replaces the user's unused ones", async () => {
      const user = await newUser();
      const first = await createLinkToken(prisma(), { userId: user.id, now: T, ttlSeconds: TTL });
      const second = await createLinkToken(prisma(), {
        userId: user.id,
        now: at(5),
        ttlSeconds: TTL,
      });
      await expect(
        linkChatWithToken(prisma(), { token: first.token, chat: newChat(), now: at(10) }),
      ).resolves.toEqual({ ok: false, reason: "unknown" });
      await expect(
        linkChatWithToken(prisma(), { token: second.token, chat: newChat(), now: at(10) }),
      ).resolves.toMatchObject({ ok: true });
    });

    it("two /start messages racing with one token link one chat", async () => {
      const user = await newUser();
      const { token } = await createLinkToken(prisma(), {
        userId: user.id,
        now: T,
        ttlSeconds: TTL,
      });
      const results = await Promise.all(
        [newChat(), newChat(), newChat()].map((chat) =>
          linkChatWithToken(prisma(), { token, chat, now: at(1) }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(await prisma().telegramLink.count({ where: { userId: user.id } })).toBe(1);
    });

    it("one chat per user and one user per chat: a new link replaces both sides", async () => {
      const ada = await newUser();
      const grace = await newUser();
      const phone = newChat("phone");
      const tablet = newChat("tablet");
      const link = async (userId: string, chat: ReturnType<typeof newChat>) => {
        const { token } = await createLinkToken(prisma(), { userId, now: T, ttlSeconds: TTL });
        return linkChatWithToken(prisma(), { token, chat, now: at(1) });
      };
      await link(ada.id, phone);
      // Ada moves to her tablet: the phone is told (replacedChatId) and no longer linked.
      await expect(link(ada.id, tablet)).resolves.toMatchObject({
        ok: true,
        replacedChatId: phone.chatId,
      });
      await expect(userForChat(prisma(), phone.chatId)).resolves.toBeNull();
      const moved = await prisma().notificationOutbox.findMany({ where: { userId: ada.id } });
      expect(moved.map((row) => [row.kind, row.payload])).toEqual([
        [MOVED_AWAY_KIND, { chatId: phone.chatId, accountName: ada.email }],
      ]);
      // Grace links the tablet: it now belongs to her, and Ada has no chat.
      await expect(link(grace.id, tablet)).resolves.toMatchObject({
        ok: true,
        replacedChatId: null,
      });
      await expect(userForChat(prisma(), tablet.chatId)).resolves.toMatchObject({
        userId: grace.id,
      });
      expect(await prisma().telegramLink.count({ where: { userId: ada.id } })).toBe(0);
    });

    it("unlinking removes the link and records it; twice is a no-op", async () => {
      const user = await newUser();
      const { token } = await createLinkToken(prisma(), {
        userId: user.id,
        now: T,
        ttlSeconds: TTL,
      });
      await linkChatWithToken(prisma(), { token, chat: newChat(), now: T });
      await expect(
        unlinkTelegram(prisma(), { userId: user.id, now: at(1), via: "bot" }),
      ).resolves.toBe(true);
      await expect(
        unlinkTelegram(prisma(), { userId: user.id, now: at(2), via: "bot" }),
      ).resolves.toBe(false);
      const types = await prisma().securityEvent.findMany({
        where: { userId: user.id },
        orderBy: { createdAt: "asc" },
        select: { type: true },
      });
      expect(types.map((e) => e.type)).toEqual(["TELEGRAM_LINKED", "TELEGRAM_UNLINKED"]);
    });

    // ---- the outbox ---------------------------------------------------------------------

    async function linkedUser() {
      const user = await newUser();
      const chat = newChat();
      const { token } = await createLinkToken(prisma(), {
        userId: user.id,
        now: T,
        ttlSeconds: TTL,
      });
      await linkChatWithToken(prisma(), { token, chat, now: T });
      return { user, chat };
    }

    // A delivery run takes every due row in the database: each test starts from an empty
    // outbox (the tests of a file run one after another).
    beforeEach(async () => {
      await prisma().notificationOutbox.deleteMany({});
    });

    const outboxOf = (userId: string) =>
      prisma().notificationOutbox.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });

    it("a sign-in of a linked user queues an alert in its transaction and asks for delivery", async () => {
      const { user } = await linkedUser();
      let asked = 0;
      const hook = alertHook({ deliverSoon: () => (asked += 1) });
      const eventId = await recordSignIn(
        prisma(),
        {
          userId: user.id,
          method: "github",
          now: at(30),
          ip: "203.0.113.5",
          userAgent: "Firefox/140",
        },
        { afterRecord: hook },
      );
      const rows = await outboxOf(user.id);
      expect(rows.map((r) => [r.kind, r.status, r.securityEventId])).toEqual([
        ["SIGN_IN", "PENDING", eventId],
      ]);
      expect(asked).toBe(1);

      // Not for users without a chat, nor for events that do not alert.
      const loner = await newUser();
      await recordSignIn(
        prisma(),
        { userId: loner.id, method: "github", now: at(30) },
        { afterRecord: hook },
      );
      await recordSecurityEvent(
        prisma(),
        { userId: user.id, type: "SIGN_OUT", method: "github", at: at(31) },
        { afterRecord: hook },
      );
      expect(await outboxOf(loner.id)).toEqual([]);
      expect((await outboxOf(user.id)).length).toBe(1);
      expect(asked).toBe(1);
    });

    it("sign-in methods linked or unlinked and password changes alert too; other events do not", async () => {
      const { user } = await linkedUser();
      const hook = alertHook({ deliverSoon: () => undefined });
      const types = [
        "ACCOUNT_LINKED",
        "ACCOUNT_UNLINKED",
        "PASSWORD_SET",
        "PASSWORD_CHANGED",
        "PASSWORD_REMOVED",
        "SESSION_REVOKED",
        "SIGN_IN_FAILED",
      ] as const;
      for (const [i, type] of types.entries()) {
        await recordSecurityEvent(
          prisma(),
          { userId: user.id, type, method: "github", at: at(40 + i) },
          { afterRecord: hook },
        );
      }
      const rows = await outboxOf(user.id);
      expect(rows.map((r) => r.kind).sort()).toEqual(
        [
          "ACCOUNT_LINKED",
          "ACCOUNT_UNLINKED",
          "PASSWORD_CHANGED",
          "PASSWORD_REMOVED",
          "PASSWORD_SET",
        ].sort(),
      );
    });

    it("a rolled-back transaction leaves no alert", async () => {
      const { user } = await linkedUser();
      const hook = alertHook({ deliverSoon: () => undefined });
      await expect(
        prisma().$transaction(async (tx) => {
          await recordSecurityEvent(
            tx,
            { userId: user.id, type: "SIGN_IN", method: "password", at: at(5) },
            { afterRecord: hook },
          );
          throw new Error("the sign-in failed after the event");
        }),
      ).rejects.toThrow("the sign-in failed");
      expect(await outboxOf(user.id)).toEqual([]);
    });

    it("delivers with the right text and buttons, then marks SENT with the message id", async () => {
      const { user, chat } = await linkedUser();
      await recordSignIn(
        prisma(),
        {
          userId: user.id,
          method: "github",
          now: new Date("2026-06-01T10:05:00.000Z"),
          ip: "203.0.113.5",
          userAgent:
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        },
        { afterRecord: alertHook({ deliverSoon: () => undefined }) },
      );
      const { sender, sent } = scriptedSender("ok");
      const delivery = createOutboxDelivery({
        prisma: prisma(),
        sender,
        logger: memoryLogger(),
        maxAttempts: 5,
        now: () => at(400),
      });
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 1, failed: 0, deferred: 0 });
      const [row] = await outboxOf(user.id);
      expect(sent).toEqual([
        {
          chatId: chat.chatId,
          text: [
            "New sign-in to your account with GitHub.",
            "",
            "When: 1 Jun 2026, 10:05 UTC",
            "IP address: 203.0.113.5",
            "Device: Chrome on Android",
            "",
            "Was this you?",
          ].join("\n"),
          keyboard: alertKeyboard(row?.id ?? ""),
        },
      ]);
      expect(row).toMatchObject({
        status: "SENT",
        attempts: 1,
        externalId: "101",
        sentAt: at(400),
      });
      // Nothing is sent twice.
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 0, failed: 0, deferred: 0 });
    });

    it("a 429 is retried after Telegram's retry_after; a long one is left for the sweeper", async () => {
      const { user } = await linkedUser();
      const hook = alertHook({ deliverSoon: () => undefined });
      await recordSignIn(
        prisma(),
        { userId: user.id, method: "password", now: at(1) },
        { afterRecord: hook },
      );

      // Short: waited for in the same run.
      const waits: number[] = [];
      const short = scriptedSender(botApiError(429, "Too Many Requests: retry after 2", 2), "ok");
      const clock = { now: at(10) };
      const delivery = (sender: AlertSender) =>
        createOutboxDelivery({
          prisma: prisma(),
          sender,
          logger: memoryLogger(),
          maxAttempts: 5,
          now: () => clock.now,
          sleep: (ms) => {
            waits.push(ms);
            return Promise.resolve();
          },
        });
      await expect(delivery(short.sender).deliverDue()).resolves.toEqual({
        sent: 1,
        failed: 0,
        deferred: 0,
      });
      expect(waits).toEqual([2_000]);
      expect((await outboxOf(user.id))[0]).toMatchObject({ status: "SENT", attempts: 2 });

      // Long: deferred by exactly retry_after, then delivered once by a later run.
      await recordSignIn(
        prisma(),
        { userId: user.id, method: "password", now: at(20) },
        { afterRecord: hook },
      );
      const long = scriptedSender(botApiError(429, "Too Many Requests: retry after 30", 30), "ok");
      const run = delivery(long.sender);
      clock.now = at(21);
      await expect(run.deliverDue()).resolves.toEqual({ sent: 0, failed: 0, deferred: 1 });
      const deferred = (await outboxOf(user.id))[1];
      expect(deferred).toMatchObject({ status: "PENDING", attempts: 1, nextAttemptAt: at(51) });
      clock.now = at(50);
      await expect(run.deliverDue()).resolves.toEqual({ sent: 0, failed: 0, deferred: 0 });
      clock.now = at(51);
      await expect(run.deliverDue()).resolves.toEqual({ sent: 1, failed: 0, deferred: 0 });
      expect(long.sent).toHaveLength(2);
      expect((await outboxOf(user.id))[1]).toMatchObject({ status: "SENT", attempts: 2 });
    });

    it("5xx and network failures back off until the attempts run out; a 403 fails at once", async () => {
      const { user } = await linkedUser();
      const hook = alertHook({ deliverSoon: () => undefined });
      await recordSignIn(
        prisma(),
        { userId: user.id, method: "password", now: at(1) },
        { afterRecord: hook },
      );
      const failing = scriptedSender(
        botApiError(502, "Bad Gateway"),
        new Error("connect ECONNREFUSED 127.0.0.1:1"),
        botApiError(500, "Internal Server Error"),
      );
      const logger = memoryLogger();
      const delivery = createOutboxDelivery({
        prisma: prisma(),
        sender: failing.sender,
        logger,
        maxAttempts: 3,
        now: () => at(10),
        sleep: () => Promise.resolve(),
        maxInlineWaitMs: 60_000,
      });
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 0, failed: 1, deferred: 0 });
      expect(failing.sent).toHaveLength(3);
      expect((await outboxOf(user.id))[0]).toMatchObject({
        status: "FAILED",
        attempts: 3,
        lastError: "Internal Server Error",
      });

      await recordSignIn(
        prisma(),
        { userId: user.id, method: "password", now: at(20) },
        { afterRecord: hook },
      );
      const blocked = scriptedSender(botApiError(403, "Forbidden: bot was blocked by the user"));
      const once = createOutboxDelivery({
        prisma: prisma(),
        sender: blocked.sender,
        logger,
        maxAttempts: 3,
        now: () => at(30),
      });
      await expect(once.deliverDue()).resolves.toEqual({ sent: 0, failed: 1, deferred: 0 });
      expect(blocked.sent).toHaveLength(1);
    });

    it("two deliverers at once send each alert once", async () => {
      const { user } = await linkedUser();
      const hook = alertHook({ deliverSoon: () => undefined });
      for (let n = 0; n < 6; n += 1) {
        await recordSignIn(
          prisma(),
          { userId: user.id, method: "password", now: at(n) },
          { afterRecord: hook },
        );
      }
      const { sender, sent } = scriptedSender();
      const make = () =>
        createOutboxDelivery({
          prisma: prisma(),
          sender,
          logger: memoryLogger(),
          maxAttempts: 3,
          now: () => at(60),
          batchSize: 2,
        });
      const results = await Promise.all([make().deliverDue(), make().deliverDue()]);
      expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(6);
      expect(sent).toHaveLength(6);
    });

    it("an alert whose chat was unlinked meanwhile fails without sending; a replaced chat is told", async () => {
      const { user } = await linkedUser();
      const hook = alertHook({ deliverSoon: () => undefined });
      await recordSignIn(
        prisma(),
        { userId: user.id, method: "password", now: at(1) },
        { afterRecord: hook },
      );
      await unlinkTelegram(prisma(), { userId: user.id, now: at(2), via: "account" });
      const { sender, sent } = scriptedSender();
      const delivery = createOutboxDelivery({
        prisma: prisma(),
        sender,
        logger: memoryLogger(),
        maxAttempts: 3,
        now: () => at(10),
      });
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 0, failed: 1, deferred: 0 });
      expect(sent).toEqual([]);

      await prisma().$transaction(async (tx) => {
        const { queueNotification } = await import("@/lib/notifications/outbox");
        await queueNotification(tx, {
          channel: "TELEGRAM",
          userId: user.id,
          kind: MOVED_AWAY_KIND,
          payload: { chatId: 4242, accountName: "ada@example.com" },
          at: at(9),
        });
      });
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 1, failed: 0, deferred: 0 });
      expect(sent).toEqual([
        {
          chatId: 4242,
          text: "Alerts for ada@example.com now go to another Telegram chat. If you didn't do this, sign in and check your account page.",
          keyboard: undefined,
        },
      ]);
    });
  });
});
