// Approving sign-ins from the Telegram chat (lib/auth/sign-in-approval.ts) against freshly
// migrated databases (PostgreSQL and PGlite): the setting and its events, the request sent
// through the outbox to the right chat, and the chat's buttons pressed through the real
// webhook handler (lib/telegram/webhook.ts → grammY → lib/telegram/bot.ts) against the fake
// Bot API — once only, only from the chat asked and linked now, never after expiry — and
// the waiting browser's status and single-use completion.
import { randomBytes } from "node:crypto";

import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";

import { parseSettings } from "@/lib/env";
import { findPendingSignIn, recordWrongSecondFactor } from "@/lib/auth/pending-sign-in";
import { revokeAllSessions } from "@/lib/auth/sessions";
import {
  answerApproval,
  approvalStatus,
  approvalWanted,
  completeApprovedSignIn,
  MAX_WAITING_APPROVALS,
  setSignInApproval,
  SIGN_IN_APPROVAL_KIND,
  startApproval,
} from "@/lib/auth/sign-in-approval";
import { createMemoryStore } from "@/lib/redis";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { createRateLimiter } from "@/lib/rate-limit";
import { createBot } from "@/lib/telegram/bot";
import { createLinkToken, linkChatWithToken, unlinkTelegram } from "@/lib/telegram/link-tokens";
import { alertHook, createOutboxDelivery } from "@/lib/telegram/outbox";
import { createTelegramWebhook, SECRET_HEADER } from "@/lib/telegram/webhook";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";
import { memoryLogger } from "@/tests/support/logger";

const backends = databaseBackends(inject("databaseUrl"));
const SECRET = "webhook-secret-".padEnd(40, "x");
const APP_URL = "http://localhost:3000";
const settings = parseSettings({}, { devSecret: () => "d".repeat(43) });
const CHROME_ANDROID =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
const TTL = 300;

let fake: FakeTelegram;
beforeAll(async () => {
  fake = await startFakeTelegram();
});
afterAll(async () => {
  await fake.close();
});

let updateId = 50_000;
let chatSeq = 9_400_000;
const newChatId = () => (chatSeq += 1);

function callbackUpdate(chatId: number, data: string, messageId: number) {
  updateId += 1;
  return {
    update_id: updateId,
    callback_query: {
      id: `cb-${updateId}`,
      from: { id: chatId, is_bot: false, first_name: "Ada" },
      chat_instance: `instance-${chatId}`,
      data,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: "private", first_name: "Ada" },
        from: fake.botInfo,
        text: "Sign-in to …",
      },
    },
  };
}

interface Keyboard {
  inline_keyboard: { text: string; callback_data: string }[][];
}

describe.each(backends)("Sign-in approval on $name", (backend) => {
  describe.runIf(backend.available)("service, outbox and bot", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    let deliveries = 0;
    const afterRecord = alertHook({ deliverSoon: () => (deliveries += 1) });

    /** The bot behind its webhook handler, on a clock `now` (default: the real one). */
    function rig(now?: () => Date) {
      const logger = memoryLogger();
      const bot = createBot({
        token: fake.token,
        apiRoot: fake.url,
        botInfo: fake.botInfo,
        prisma: prisma(),
        logger,
        appUrl: APP_URL,
        afterRecord,
        deliverSoon: () => (deliveries += 1),
        ...(now ? { now } : {}),
      });
      const webhook = createTelegramWebhook({
        bot,
        secret: SECRET,
        redis: createMemoryStore(),
        limiter: createRateLimiter({
          backend: createMemoryRateLimitBackend(),
          now: Date.now,
          logger,
          settings: settings.rateLimits,
        }),
        logger,
        ackBudgetMs: 10_000,
      });
      const press = (chatId: number, data: string, messageId: number) =>
        webhook(
          new Request(`${APP_URL}/api/telegram`, {
            method: "POST",
            headers: { "content-type": "application/json", [SECRET_HEADER]: SECRET },
            body: JSON.stringify(callbackUpdate(chatId, data, messageId)),
          }),
          "req-approval-test",
        );
      const delivery = createOutboxDelivery({
        prisma: prisma(),
        sender: bot.api,
        logger,
        maxAttempts: 5,
        sleep: () => Promise.resolve(),
        ...(now ? { now } : {}),
      });
      return { press, delivery };
    }

    /** Calls to the fake after the latest markCalls(). */
    let mark = 0;
    const markCalls = () => (mark = fake.calls().length);

    beforeEach(async () => {
      fake.reset();
      mark = 0;
      deliveries = 0;
      await prisma().notificationOutbox.deleteMany({});
    });

    const newUser = () =>
      prisma().user.create({
        data: { email: `${randomBytes(5).toString("hex")}@example.com`, name: "Ada" },
      });

    async function linkChat(userId: string, chatId: number) {
      const { token } = await createLinkToken(prisma(), {
        userId,
        now: new Date(),
        ttlSeconds: 600,
      });
      const linked = await linkChatWithToken(prisma(), {
        token,
        chat: { chatId, telegramUserId: chatId, username: null },
        now: new Date(),
      });
      expect(linked.ok).toBe(true);
    }

    /** A user with a linked chat that approves sign-ins; the outbox and the fake left empty. */
    async function approvingUser() {
      const user = await newUser();
      const chatId = newChatId();
      await linkChat(user.id, chatId);
      await expect(
        setSignInApproval(prisma(), { userId: user.id, on: true, now: new Date() }),
      ).resolves.toEqual({ ok: true, changed: true });
      await prisma().notificationOutbox.deleteMany({});
      return { user, email: user.email ?? "", chatId };
    }

    const start = (userId: string, now = new Date(), ttlSeconds = TTL) =>
      startApproval(prisma(), {
        userId,
        method: "password",
        returnTo: "/account",
        context: { ip: "203.0.113.5", userAgent: CHROME_ANDROID },
        now,
        ttlSeconds,
        deliverSoon: () => (deliveries += 1),
      });

    /** An approving user, a request started and delivered to their chat. */
    async function askedChat() {
      const asked = await approvingUser();
      const { press, delivery } = rig();
      const before = deliveries;
      const started = await start(asked.user.id);
      if (!started) throw new Error("approval did not start");
      expect(deliveries).toBe(before + 1);
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 1, failed: 0, deferred: 0 });
      const [message] = fake.messages(asked.chatId);
      if (!message) throw new Error("the chat was not asked");
      const [approve, deny] = (message.replyMarkup as Keyboard).inline_keyboard[0] ?? [];
      // The fake keeps the message (the bot edits it); only later calls are looked at.
      markCalls();
      return {
        ...asked,
        ...started,
        message,
        press,
        approve: approve?.callback_data ?? "",
        deny: deny?.callback_data ?? "",
      };
    }

    const pendingOf = (userId: string) => prisma().pendingSignIn.findMany({ where: { userId } });

    const since = (method: string) =>
      fake
        .calls()
        .slice(mark)
        .filter((call) => call.method === method);
    const answers = () => since("answerCallbackQuery").map((call) => call.params);
    const edits = () => since("editMessageText").map((call) => call.params.text);

    // ---- the setting -------------------------------------------------------------------

    it("is refused without a linked chat, and recorded (and alerted) when it changes", async () => {
      const user = await newUser();
      await expect(
        setSignInApproval(prisma(), { userId: user.id, on: true, now: new Date(), afterRecord }),
      ).resolves.toEqual({ ok: false, reason: "no-chat" });
      await expect(approvalWanted(prisma(), user.id)).resolves.toBeNull();
      await expect(start(user.id)).resolves.toBeNull();

      const chatId = newChatId();
      await linkChat(user.id, chatId);
      await expect(approvalWanted(prisma(), user.id)).resolves.toBeNull();
      const set = (on: boolean) =>
        setSignInApproval(prisma(), {
          userId: user.id,
          on,
          now: new Date(),
          context: { ip: "198.51.100.7", userAgent: CHROME_ANDROID },
          afterRecord,
        });
      await expect(set(true)).resolves.toEqual({ ok: true, changed: true });
      await expect(approvalWanted(prisma(), user.id)).resolves.toEqual({ chatId });
      await expect(set(true)).resolves.toEqual({ ok: true, changed: false });
      await expect(set(false)).resolves.toEqual({ ok: true, changed: true });
      await expect(approvalWanted(prisma(), user.id)).resolves.toBeNull();
      await expect(set(false)).resolves.toEqual({ ok: true, changed: false });

      const events = await prisma().securityEvent.findMany({
        where: { userId: user.id, type: { in: ["SIGN_IN_APPROVAL_ON", "SIGN_IN_APPROVAL_OFF"] } },
        orderBy: { createdAt: "asc" },
      });
      expect(events.map((e) => [e.type, e.method, e.ip])).toEqual([
        ["SIGN_IN_APPROVAL_ON", "telegram", "198.51.100.7"],
        ["SIGN_IN_APPROVAL_OFF", "telegram", "198.51.100.7"],
      ]);
      const alerts = await prisma().notificationOutbox.findMany({
        where: { userId: user.id, kind: { startsWith: "SIGN_IN_APPROVAL_" } },
      });
      expect(alerts.map((a) => a.kind).sort()).toEqual([
        "SIGN_IN_APPROVAL_OFF",
        "SIGN_IN_APPROVAL_ON",
      ]);
      const { delivery } = rig();
      await delivery.deliverDue();
      expect(fake.messages(chatId).map((m) => m.text.split("\n")[0])).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^Sign-in approval was turned on/),
          expect.stringMatching(/^Sign-in approval was turned off/),
        ]),
      );

      // Unlinking the chat ends it.
      await set(true);
      await unlinkTelegram(prisma(), { userId: user.id, now: new Date(), via: "account" });
      await expect(approvalWanted(prisma(), user.id)).resolves.toBeNull();
      await expect(start(user.id)).resolves.toBeNull();
    });

    // ---- asking the chat ---------------------------------------------------------------

    it("asks the linked chat with both buttons; the buttons carry the approval id, not the token", async () => {
      const { user, email, chatId, token, expiresAt, message, approve, deny } = await askedChat();
      expect(message.text).toBe(
        `Sign-in to ${email} from Chrome on Android, 203.0.113.5 — is this you?`,
      );
      const [pending] = await pendingOf(user.id);
      expect(pending?.approval).toBe("WAITING");
      expect(Number(pending?.approvalChatId)).toBe(chatId);
      expect(pending?.expiresAt).toEqual(expiresAt);
      expect(approve).toBe(`approve:${pending?.approvalId}`);
      expect(deny).toBe(`deny:${pending?.approvalId}`);
      expect((message.replyMarkup as Keyboard).inline_keyboard).toEqual([
        [
          { text: "Approve", callback_data: approve },
          { text: "Deny", callback_data: deny },
        ],
      ]);
      expect(approve).not.toContain(token);
      const outbox = await prisma().notificationOutbox.findMany({ where: { userId: user.id } });
      expect(outbox.map((o) => [o.kind, o.status])).toEqual([[SIGN_IN_APPROVAL_KIND, "SENT"]]);
      expect(JSON.stringify(outbox[0]?.payload)).not.toContain(token);

      // Waiting: the browser sees so, and neither completion nor the code path lets it in.
      const now = new Date();
      await expect(approvalStatus(prisma(), token, now)).resolves.toBe("waiting");
      await expect(completeApprovedSignIn(prisma(), token, now)).resolves.toBeNull();
      await expect(findPendingSignIn(prisma(), token, now)).resolves.toBeNull();
      await expect(recordWrongSecondFactor(prisma(), token, now)).resolves.toEqual({
        status: "ended",
      });
      await expect(approvalStatus(prisma(), token, now)).resolves.toBe("waiting");
    });

    it("is not sent once the request was answered or has expired", async () => {
      const { user, chatId } = await approvingUser();
      const answered = await start(user.id);
      const expiring = await start(user.id, new Date(), 60);
      if (!answered || !expiring) throw new Error("approval did not start");
      const [first] = await prisma().pendingSignIn.findMany({
        where: { userId: user.id, expiresAt: { gt: new Date(Date.now() + 120_000) } },
      });
      await answerApproval(prisma(), {
        approvalId: first?.approvalId ?? "",
        chatId,
        answer: "approve",
        now: new Date(),
      });
      const later = new Date(Date.now() + 90_000);
      const { delivery } = rig(() => later);
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 0, failed: 2, deferred: 0 });
      expect(fake.messages(chatId)).toEqual([]);
    });

    it("turning approval off ends the requests still waiting; an approved one still finishes", async () => {
      const { user, chatId } = await approvingUser();
      const waiting = await start(user.id, new Date(Date.now() - 1));
      const approved = await start(user.id);
      if (!waiting || !approved) throw new Error("approval did not start");
      const row = (await pendingOf(user.id)).find(
        (pending) => pending.expiresAt.getTime() === approved.expiresAt.getTime(),
      );
      await expect(
        answerApproval(prisma(), {
          approvalId: row?.approvalId ?? "",
          chatId,
          answer: "approve",
          now: new Date(),
        }),
      ).resolves.toBe("approved");

      await setSignInApproval(prisma(), { userId: user.id, on: false, now: new Date() });
      const now = new Date();
      await expect(approvalStatus(prisma(), waiting.token, now)).resolves.toBe("gone");
      await expect(approvalStatus(prisma(), approved.token, now)).resolves.toBe("approved");
      await expect(completeApprovedSignIn(prisma(), approved.token, now)).resolves.toMatchObject({
        userId: user.id,
      });
    });

    it("at most three requests wait per account: a new one ends the oldest, never more at once", async () => {
      const { user, chatId } = await approvingUser();
      const at = (ms: number) => new Date(Date.now() + ms);
      const started = [];
      for (let n = 0; n < MAX_WAITING_APPROVALS + 1; n += 1) {
        const request = await start(user.id, at(n));
        if (!request) throw new Error("approval did not start");
        started.push(request);
      }
      const statuses = await Promise.all(
        started.map((request) => approvalStatus(prisma(), request.token, at(10))),
      );
      expect(statuses).toEqual(["gone", "waiting", "waiting", "waiting"]);
      // The ended one's question is never sent; the three standing ones are.
      const { delivery } = rig(() => at(20));
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 3, failed: 1, deferred: 0 });
      expect(fake.messages(chatId)).toHaveLength(3);

      // Expired requests do not count against the cap.
      const other = await approvingUser();
      await start(other.user.id, at(0), 60);
      await start(other.user.id, at(0), 60);
      await start(other.user.id, at(0), 60);
      const later = at(120_000);
      const fresh = await Promise.all([start(other.user.id, later), start(other.user.id, later)]);
      for (const request of fresh) {
        await expect(approvalStatus(prisma(), request?.token ?? "", later)).resolves.toBe(
          "waiting",
        );
      }

      // Ten sign-ins at once (the account's link row orders them): still three waiting.
      const busy = await approvingUser();
      await Promise.all(Array.from({ length: 10 }, () => start(busy.user.id)));
      const open = await prisma().pendingSignIn.count({
        where: { userId: busy.user.id, approval: "WAITING" },
      });
      expect(open).toBe(MAX_WAITING_APPROVALS);
    });

    // ---- the buttons -------------------------------------------------------------------

    it("Approve lets the browser in once: one of many concurrent completions wins", async () => {
      const { user, chatId, token, message, press, approve } = await askedChat();
      expect((await press(chatId, approve, message.messageId)).status).toBe(200);
      expect(edits()).toEqual(["Approved — the browser is signing in."]);
      expect(fake.messages(chatId)[0]?.replyMarkup).toBeUndefined();
      expect(answers()).toEqual([
        expect.objectContaining({ text: "Approved — the browser is signing in." }),
      ]);
      const now = new Date();
      await expect(approvalStatus(prisma(), token, now)).resolves.toBe("approved");
      // Nothing is recorded on approval: the sign-in's own event comes with the session.
      expect(
        await prisma().securityEvent.count({ where: { userId: user.id, type: "SIGN_IN_DENIED" } }),
      ).toBe(0);

      const results = await Promise.all(
        Array.from({ length: 10 }, () => completeApprovedSignIn(prisma(), token, now)),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toEqual([
        expect.objectContaining({ userId: user.id, method: "password", returnTo: "/account" }),
      ]);
      await expect(completeApprovedSignIn(prisma(), token, now)).resolves.toBeNull();
      await expect(approvalStatus(prisma(), token, now)).resolves.toBe("gone");
    });

    it("Deny refuses the sign-in, records SIGN_IN_DENIED and alerts the chat", async () => {
      const { user, chatId, token, message, press, deny } = await askedChat();
      await press(chatId, deny, message.messageId);
      expect(edits()).toEqual(["Denied — that sign-in was refused."]);
      expect(answers()).toEqual([
        expect.objectContaining({ text: "Denied — that sign-in was refused." }),
      ]);
      const now = new Date();
      await expect(approvalStatus(prisma(), token, now)).resolves.toBe("denied");
      await expect(completeApprovedSignIn(prisma(), token, now)).resolves.toBeNull();

      const events = await prisma().securityEvent.findMany({
        where: { userId: user.id, type: "SIGN_IN_DENIED" },
      });
      expect(events.map((e) => [e.method, e.ip, e.userAgent, e.detail])).toEqual([
        ["password", "203.0.113.5", CHROME_ANDROID, "refused from the Telegram chat"],
      ]);
      expect(deliveries).toBeGreaterThanOrEqual(2);
      const { delivery } = rig();
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 1, failed: 0, deferred: 0 });
      const [, alert] = fake.messages(chatId);
      expect(alert?.text).toMatch(
        /^A sign-in to your account with email and password was refused from this chat\. .*change your password/,
      );
      expect(alert?.text).toContain("Device: Chrome on Android");
      expect((alert?.replyMarkup as Keyboard).inline_keyboard[0]?.map((b) => b.text)).toEqual([
        "It was me",
        "Not me — sign out everywhere",
      ]);
    });

    it("the answer stands and is told even when the question can no longer be edited", async () => {
      const { chatId, token, message, press, deny } = await askedChat();
      // The person deleted the question (Telegram then refuses the edit): the press still
      // counts, and its toast still says so.
      fake.reset();
      markCalls();
      await press(chatId, deny, message.messageId);
      expect(answers()).toEqual([
        expect.objectContaining({ text: "Denied — that sign-in was refused." }),
      ]);
      await expect(approvalStatus(prisma(), token, new Date())).resolves.toBe("denied");
    });

    it("a button works once: pressed twice, or the other one after it", async () => {
      const { user, chatId, token, message, press, approve, deny } = await askedChat();
      await press(chatId, approve, message.messageId);
      await press(chatId, approve, message.messageId);
      await press(chatId, deny, message.messageId);
      // The message keeps saying what was answered: a later press only gets a toast.
      expect(edits()).toEqual(["Approved — the browser is signing in."]);
      expect(answers().map((a) => a.text)).toEqual([
        "Approved — the browser is signing in.",
        "Already answered.",
        "Already answered.",
      ]);
      await expect(approvalStatus(prisma(), token, new Date())).resolves.toBe("approved");
      expect(
        await prisma().securityEvent.count({ where: { userId: user.id, type: "SIGN_IN_DENIED" } }),
      ).toBe(0);

      // Ten presses at once, on a fresh request: exactly one answers it.
      const again = await askedChat();
      const [pending] = await prisma().pendingSignIn.findMany({
        where: { userId: again.user.id },
      });
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          answerApproval(prisma(), {
            approvalId: pending?.approvalId ?? "",
            chatId: again.chatId,
            answer: i % 2 === 0 ? "deny" : "approve",
            now: new Date(),
          }),
        ),
      );
      expect(results.filter((r) => r === "approved" || r === "denied")).toHaveLength(1);
      expect(results.filter((r) => r === "already-answered")).toHaveLength(9);
    });

    it("a button from another chat changes nothing, nor from the right chat once the link moved", async () => {
      const stranger = await approvingUser();
      const { user, chatId, token, message, press, approve, deny } = await askedChat();
      const notForThisChat = { text: "This button is not for this chat.", show_alert: true };

      await press(stranger.chatId, approve, message.messageId);
      await press(newChatId(), deny, message.messageId);
      expect(edits()).toEqual([]);
      expect(answers()).toEqual([
        expect.objectContaining(notForThisChat),
        expect.objectContaining(notForThisChat),
      ]);
      await expect(approvalStatus(prisma(), token, new Date())).resolves.toBe("waiting");

      // The account's alerts move to another chat: neither the old chat (no longer the
      // account's) nor the new one (not the one asked) can answer.
      const moved = newChatId();
      await linkChat(user.id, moved);
      markCalls();
      await press(chatId, approve, message.messageId);
      await press(moved, approve, message.messageId);
      expect(edits()).toEqual([]);
      expect(answers()).toEqual([
        expect.objectContaining(notForThisChat),
        expect.objectContaining(notForThisChat),
      ]);
      await expect(approvalStatus(prisma(), token, new Date())).resolves.toBe("waiting");
      expect(fake.messages(chatId)[0]?.text).toBe(message.text);
    });

    it("an expired request: its buttons say so, the browser sees it, completion refuses", async () => {
      const { chatId, token, message, approve } = await askedChat();
      const later = new Date(Date.now() + (TTL + 1) * 1000);
      const { press } = rig(() => later);
      await press(chatId, approve, message.messageId);
      expect(edits()).toEqual(["This sign-in request has expired."]);
      expect(answers().map((a) => a.text)).toEqual(["This sign-in request has expired."]);
      await expect(approvalStatus(prisma(), token, later)).resolves.toBe("expired");
      await expect(completeApprovedSignIn(prisma(), token, later)).resolves.toBeNull();
      // Approved in time, then the browser comes back too late: still refused.
      const late = await askedChat();
      await late.press(late.chatId, late.approve, late.message.messageId);
      await expect(approvalStatus(prisma(), late.token, later)).resolves.toBe("expired");
      await expect(completeApprovedSignIn(prisma(), late.token, later)).resolves.toBeNull();
    });

    it("malformed callback data is ignored safely", async () => {
      const { chatId, token, message, press, approve } = await askedChat();
      const id = approve.slice("approve:".length);
      const malformed = [
        "approve:",
        "approve",
        `approve:${id}x`,
        `approve:${id.slice(1)}`,
        `approve:${id}:extra`,
        `APPROVE:${id}`,
        ` approve:${id}`,
        `approve:${id.slice(0, 21)}+`,
        `accept:${id}`,
        "deny:../../../etc/passwd",
      ];
      for (const data of malformed) {
        expect((await press(chatId, data, message.messageId)).status).toBe(200);
      }
      expect(edits()).toEqual([]);
      expect(answers()).toHaveLength(malformed.length);
      expect(answers().every((a) => a.text === undefined)).toBe(true);
      await expect(approvalStatus(prisma(), token, new Date())).resolves.toBe("waiting");
      await expect(
        answerApproval(prisma(), {
          approvalId: "x".repeat(22),
          chatId,
          answer: "approve",
          now: new Date(),
        }),
      ).resolves.toBe("unknown");
      await expect(approvalStatus(prisma(), "not-a-token", new Date())).resolves.toBe("gone");
      await expect(completeApprovedSignIn(prisma(), "not-a-token", new Date())).resolves.toBeNull();
    });

    it("signing out everywhere ends a waiting or approved request", async () => {
      const { user, chatId, token, message, press, approve } = await askedChat();
      await press(chatId, approve, message.messageId);
      await revokeAllSessions(prisma(), { userId: user.id, now: new Date() });
      await expect(approvalStatus(prisma(), token, new Date())).resolves.toBe("gone");
      await expect(completeApprovedSignIn(prisma(), token, new Date())).resolves.toBeNull();
      markCalls();
      await press(chatId, approve, message.messageId);
      expect(edits()).toEqual([]);
      expect(answers().map((a) => a.text)).toEqual(["This sign-in request no longer exists."]);
    });
  });
});
