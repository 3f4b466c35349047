// The bot through its real webhook handler (lib/telegram/webhook.ts → grammY's
// webhookCallback → lib/telegram/bot.ts), against a local fake Bot API and freshly migrated
// databases (PostgreSQL and PGlite): the secret check, malformed bodies, repeated update_ids,
// linking, /sessions, /unlink, /help, the reaction for anything else, and alerts with their
// two buttons — delivered through the real grammY client, retried after a Bot API 429.
import { randomBytes } from "node:crypto";

import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";

import { parseSettings } from "@/lib/env";
import { recordSignIn } from "@/lib/auth/identity";
import { createSession } from "@/lib/auth/sessions";
import { createMemoryStore, type RedisStore } from "@/lib/redis";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { createRateLimiter } from "@/lib/rate-limit";
import { currentRequestId, runInRequestScope } from "@/lib/request-scope";
import { createBot } from "@/lib/telegram/bot";
import { createLinkToken } from "@/lib/telegram/link-tokens";
import { alertHook, createOutboxDelivery } from "@/lib/telegram/outbox";
import { createTelegramWebhook, SECRET_HEADER } from "@/lib/telegram/webhook";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";
import { memoryLogger } from "@/tests/support/logger";

const backends = databaseBackends(inject("databaseUrl"));
const SECRET = "webhook-secret-".padEnd(40, "x");
const APP_URL = "http://localhost:3000";
const settings = parseSettings({}, { devSecret: () => "d".repeat(43) });

let fake: FakeTelegram;
beforeAll(async () => {
  fake = await startFakeTelegram();
});
afterAll(async () => {
  await fake.close();
});

let updateId = 1_000;
let chatSeq = 9_100_000;
const newChatId = () => (chatSeq += 1);

function person(chatId: number) {
  return { id: chatId, is_bot: false, first_name: "Ada", username: `ada${chatId}` };
}

function textUpdate(chatId: number, text: string) {
  updateId += 1;
  const command = /^\/\w+/.exec(text)?.[0];
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private", first_name: "Ada" },
      from: person(chatId),
      text,
      ...(command
        ? { entities: [{ type: "bot_command", offset: 0, length: command.length }] }
        : {}),
    },
  };
}

function callbackUpdate(
  chatId: number,
  data: string,
  message: { messageId: number; text: string },
) {
  updateId += 1;
  return {
    update_id: updateId,
    callback_query: {
      id: `cb-${updateId}`,
      from: person(chatId),
      chat_instance: `instance-${chatId}`,
      data,
      message: {
        message_id: message.messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: "private", first_name: "Ada" },
        from: fake.botInfo,
        text: message.text,
      },
    },
  };
}

describe.each(backends)("Telegram bot on $name", (backend) => {
  describe.runIf(backend.available)("through the webhook handler", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    let deliveries = 0;

    /** The bot behind its webhook handler; `telegram` and `redis` default to the shared fake and a fresh store. */
    function rig(
      options: {
        telegram?: FakeTelegram;
        redis?: RedisStore;
        /** Default: long enough that every reply is sent before post() resolves. */
        ackBudgetMs?: number;
        runAfter?: (work: Promise<unknown>) => void;
      } = {},
    ) {
      const api = options.telegram ?? fake;
      const logger = memoryLogger();
      const afterRecord = alertHook({ deliverSoon: () => (deliveries += 1) });
      const bot = createBot({
        token: api.token,
        apiRoot: api.url,
        botInfo: api.botInfo,
        prisma: prisma(),
        logger,
        appUrl: APP_URL,
        afterRecord,
        deliverSoon: () => (deliveries += 1),
      });
      const webhook = createTelegramWebhook({
        bot,
        secret: SECRET,
        redis: options.redis ?? createMemoryStore(),
        limiter: createRateLimiter({
          backend: createMemoryRateLimitBackend(),
          now: Date.now,
          logger,
          settings: settings.rateLimits,
        }),
        logger,
        ackBudgetMs: options.ackBudgetMs ?? 10_000,
        ...(options.runAfter ? { runAfter: options.runAfter } : {}),
      });
      const post = (body: unknown, secret: string | null = SECRET) =>
        webhook(
          new Request(`${APP_URL}/api/telegram`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              ...(secret === null ? {} : { [SECRET_HEADER]: secret }),
            },
            body: typeof body === "string" ? body : JSON.stringify(body),
          }),
          "req-telegram-test",
        );
      const delivery = createOutboxDelivery({
        prisma: prisma(),
        sender: bot.api,
        logger,
        maxAttempts: 5,
        sleep: () => Promise.resolve(),
      });
      return { bot, post, delivery, logger, afterRecord };
    }

    beforeEach(async () => {
      fake.reset();
      deliveries = 0;
      await prisma().notificationOutbox.deleteMany({});
    });

    const newUser = () =>
      prisma().user.create({
        data: { email: `${randomBytes(5).toString("hex")}@example.com`, name: "Ada" },
      });

    async function linkedChat() {
      const { post } = rig();
      const user = await newUser();
      const chatId = newChatId();
      const { token } = await createLinkToken(prisma(), {
        userId: user.id,
        now: new Date(),
        ttlSeconds: 600,
      });
      expect((await post(textUpdate(chatId, `/start ${token}`))).status).toBe(200);
      fake.reset();
      return { user, chatId };
    }

    const replies = (chatId: number) =>
      fake
        .calls("sendMessage")
        .filter((call) => call.params.chat_id === chatId)
        .map((call) => String(call.params.text));

    // ---- the request id on the bot's lines ---------------------------------------------

    function expectEveryLine(lines: Record<string, unknown>[], requestId: string): void {
      expect(lines.map((line) => line.message)).toContain("telegram chat linked");
      for (const line of lines) expect(line).toMatchObject({ requestId });
    }

    it("a webhook update's lines carry its HTTP request's id; a long-polled one its own", async () => {
      const user = await newUser();
      const link = async () =>
        (await createLinkToken(prisma(), { userId: user.id, now: new Date(), ttlSeconds: 600 }))
          .token;

      const viaWebhook = rig();
      const response = await runInRequestScope("req_webhook_1234", async () =>
        viaWebhook.post(textUpdate(newChatId(), `/start ${await link()}`)),
      );
      expect(response.status).toBe(200);
      expectEveryLine(viaWebhook.logger.lines, "req_webhook_1234");

      // npm run bot:dev: grammY's polling loop hands the update over, outside any request.
      const polled = rig();
      const update = textUpdate(newChatId(), `/start ${await link()}`);
      await polled.bot.handleUpdate(update as Parameters<typeof polled.bot.handleUpdate>[0]);
      expectEveryLine(polled.logger.lines, `telegram-update-${update.update_id}`);
      expect(currentRequestId()).toBeUndefined();
    });

    // ---- the door --------------------------------------------------------------------

    it("a missing or wrong secret is 401 and nothing is processed", async () => {
      const { post } = rig();
      const chatId = newChatId();
      for (const secret of [null, "wrong-secret", `${SECRET}x`]) {
        const response = await post(textUpdate(chatId, "/help"), secret);
        expect(response.status).toBe(401);
        await expect(response.json()).resolves.toMatchObject({ error: "unauthorized" });
      }
      expect(fake.calls()).toEqual([]);
    });

    it("a body that is not an update is 400", async () => {
      const { post } = rig();
      for (const body of ["{not json", "[]", JSON.stringify({ message: {} }), '{"update_id":-1}']) {
        const response = await post(body);
        expect(response.status).toBe(400);
        await expect(response.json()).resolves.toMatchObject({ error: "malformed_update" });
      }
      expect(fake.calls()).toEqual([]);
    });

    it("an update_id is handled once, however often Telegram sends it", async () => {
      const { post } = rig();
      const chatId = newChatId();
      const update = textUpdate(chatId, "/help");
      expect((await post(update)).status).toBe(200);
      const again = await post(update);
      expect(again.status).toBe(200);
      await expect(again.json()).resolves.toEqual({ ok: true, duplicate: true });
      expect(replies(chatId)).toHaveLength(1);
    });

    it("update_ids count per bot: another bot's update with the same id is not a repeat", async () => {
      const other = await startFakeTelegram({ token: `515151:${"G".repeat(35)}` });
      try {
        // One Redis, two bots (a development and a production bot, say).
        const redis = createMemoryStore();
        const chatId = newChatId();
        const update = textUpdate(chatId, "/help");
        expect((await rig({ redis }).post(update)).status).toBe(200);
        const response = await rig({ redis, telegram: other }).post(update);
        expect(response.status).toBe(200);
        expect(await response.text()).not.toContain("duplicate");
        expect(replies(chatId)).toHaveLength(1);
        expect(other.calls("sendMessage").map((call) => call.params.chat_id)).toEqual([chatId]);
      } finally {
        await other.close();
      }
    });

    it("a slow Bot API does not hold the answer up: the reply finishes after it", async () => {
      const background: Promise<unknown>[] = [];
      const { post } = rig({ ackBudgetMs: 50, runAfter: (work) => background.push(work) });
      const chatId = newChatId();
      fake.failNext("sendMessage", { delayMs: 1_000 });

      const response = await post(textUpdate(chatId, "/help"));
      expect(response.status).toBe(200);
      // Answered while the reply was still on its way to Telegram.
      expect(background).toHaveLength(1);
      expect(fake.messages(chatId)).toEqual([]);

      await Promise.all(background);
      expect(fake.messages(chatId)).toHaveLength(1);
      expect(fake.messages(chatId)[0]?.text).toMatch(/\/sessions/);
    });

    // ---- linking ----------------------------------------------------------------------

    it("/start <token> links the chat, names the account and reacts to the message", async () => {
      const { post } = rig();
      const user = await newUser();
      const chatId = newChatId();
      const { token } = await createLinkToken(prisma(), {
        userId: user.id,
        now: new Date(),
        ttlSeconds: 600,
      });
      const update = textUpdate(chatId, `/start ${token}`);
      expect((await post(update)).status).toBe(200);
      expect(replies(chatId)).toEqual([
        `Connected to ${user.email}. You'll get a message here for every sign-in, with a button to sign out everywhere if it wasn't you.\n\n/help shows what else I can do.`,
      ]);
      expect(fake.calls("setMessageReaction").map((c) => c.params)).toEqual([
        expect.objectContaining({
          chat_id: chatId,
          message_id: update.message.message_id,
          reaction: [{ type: "emoji", emoji: "👍" }],
        }),
      ]);
      const link = await prisma().telegramLink.findUnique({ where: { userId: user.id } });
      expect(Number(link?.chatId)).toBe(chatId);
      expect(link?.username).toBe(`ada${chatId}`);

      // The same link again: already used.
      await post(textUpdate(newChatId(), `/start ${token}`));
      expect(fake.calls("sendMessage").at(-1)?.params.text).toMatch(
        /^That link was already used\./,
      );
    });

    it("expired, used and unknown links get a friendly reply; /start alone explains how to link", async () => {
      const { post } = rig();
      const user = await newUser();
      const chatId = newChatId();
      const { token } = await createLinkToken(prisma(), {
        userId: user.id,
        now: new Date(Date.now() - 3_600_000),
        ttlSeconds: 600,
      });
      await post(textUpdate(chatId, `/start ${token}`));
      await post(textUpdate(chatId, "/start thisisnotatoken"));
      await post(textUpdate(chatId, "/start"));
      expect(replies(chatId)).toEqual([
        `That link has expired. Open your account page and press "Connect Telegram" for a new one: ${APP_URL}/account`,
        `That link is not valid. Open your account page and press "Connect Telegram" for a new one: ${APP_URL}/account`,
        `To get sign-in alerts here, open your account page, press "Connect Telegram" and follow the link: ${APP_URL}/account`,
      ]);
      expect(await prisma().telegramLink.count({ where: { userId: user.id } })).toBe(0);

      // A link someone else already pressed: this chat is not linked instead.
      const other = await newUser();
      const fresh = await createLinkToken(prisma(), {
        userId: other.id,
        now: new Date(),
        ttlSeconds: 600,
      });
      const firstChat = newChatId();
      await post(textUpdate(firstChat, `/start ${fresh.token}`));
      await post(textUpdate(chatId, `/start ${fresh.token}`));
      expect(replies(chatId).at(-1)).toBe(
        `That link was already used. Open your account page and press "Connect Telegram" for a new one: ${APP_URL}/account`,
      );
      const link = await prisma().telegramLink.findUnique({ where: { userId: other.id } });
      expect(Number(link?.chatId)).toBe(firstChat);
    });

    it("/sessions lists the account's devices; /unlink disconnects the chat", async () => {
      const { user, chatId } = await linkedChat();
      await createSession(prisma(), {
        userId: user.id,
        method: "github",
        ip: "203.0.113.9",
        userAgent:
          "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        maxAgeSeconds: 3_600,
        now: new Date(),
      });
      const { post } = rig();
      await post(textUpdate(chatId, "/sessions"));
      expect(replies(chatId).at(-1)).toMatch(
        new RegExp(
          `^1 signed-in device for ${user.email}:\\n\\n• Chrome on Android — 203\\.0\\.113\\.9 — last seen`,
        ),
      );
      await post(textUpdate(chatId, "/unlink"));
      expect(replies(chatId).at(-1)).toMatch(/^Disconnected from /);
      expect(await prisma().telegramLink.count({ where: { userId: user.id } })).toBe(0);
      await post(textUpdate(chatId, "/sessions"));
      expect(replies(chatId).at(-1)).toMatch(/^This chat isn't connected\./);
    });

    it("/help explains; anything else gets a reaction and a one-line hint; nothing is deleted", async () => {
      const { post } = rig();
      const chatId = newChatId();
      await post(textUpdate(chatId, "/help"));
      const hello = textUpdate(chatId, "hello there");
      await post(hello);
      expect(replies(chatId)[0]).toContain("/sessions — your signed-in devices");
      expect(replies(chatId)[1]).toBe("I only understand /sessions, /unlink and /help.");
      expect(fake.calls("setMessageReaction").map((c) => c.params)).toEqual([
        expect.objectContaining({
          message_id: hello.message.message_id,
          reaction: [{ type: "emoji", emoji: "🤔" }],
        }),
      ]);
      expect(fake.calls("deleteMessage")).toEqual([]);
    });

    it("stays silent in groups", async () => {
      const { post } = rig();
      const update = textUpdate(newChatId(), "/sessions");
      update.message.chat = { ...update.message.chat, type: "group" };
      expect((await post(update)).status).toBe(200);
      expect(fake.calls()).toEqual([]);
    });

    // ---- alerts ------------------------------------------------------------------------

    async function alertedSignIn() {
      const linked = await linkedChat();
      const { afterRecord, delivery } = rig();
      const sessions = await Promise.all(
        ["laptop", "phone"].map((device) =>
          createSession(prisma(), {
            userId: linked.user.id,
            method: "password",
            ip: "198.51.100.4",
            userAgent: device,
            maxAgeSeconds: 3_600,
            now: new Date(),
          }),
        ),
      );
      await recordSignIn(
        prisma(),
        { userId: linked.user.id, method: "github", ip: "203.0.113.50", userAgent: "Firefox/140" },
        { afterRecord },
      );
      expect(deliveries).toBe(1);
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 1, failed: 0, deferred: 0 });
      const [message] = fake.messages(linked.chatId);
      if (!message) throw new Error("no alert was sent");
      return { ...linked, message, sessions };
    }

    it("a sign-in sends an alert with its details and the two buttons", async () => {
      const { chatId, message } = await alertedSignIn();
      expect(message.text).toMatch(
        /^New sign-in to your account with GitHub\.\n\nWhen: .+ UTC\nIP address: 203\.0\.113\.50\nDevice: Firefox\n\nWas this you\?$/,
      );
      expect(message.replyMarkup).toEqual({
        inline_keyboard: [
          [
            expect.objectContaining({ text: "It was me" }),
            expect.objectContaining({ text: "Not me — sign out everywhere" }),
          ],
        ],
      });
      expect(fake.messages(chatId)).toHaveLength(1);
    });

    it("'Not me' signs out every session of the user, edits the alert and answers the button", async () => {
      const { user, chatId, message } = await alertedSignIn();
      const { post } = rig();
      const revoke = (message.replyMarkup as { inline_keyboard: { callback_data: string }[][] })
        .inline_keyboard[0]?.[1]?.callback_data;
      expect((await post(callbackUpdate(chatId, revoke ?? "", message))).status).toBe(200);

      const active = await prisma().session.count({ where: { userId: user.id, revokedAt: null } });
      expect(active).toBe(0);
      const [edited] = fake.messages(chatId);
      expect(edited?.text).toContain("🚫 Signed out everywhere (2 sessions).");
      expect(edited?.text).not.toContain("Was this you?");
      expect(edited?.replyMarkup).toBeUndefined();
      expect(fake.calls("answerCallbackQuery").map((c) => c.params.text)).toEqual([
        "Signed out everywhere.",
      ]);
      const events = await prisma().securityEvent.findMany({
        where: { userId: user.id, type: "SESSION_REVOKED" },
      });
      expect(events.map((e) => e.detail)).toEqual([
        "signed out everywhere from Telegram (“Not me”) (2 sessions)",
      ]);
    });

    it("'It was me' only edits the alert", async () => {
      const { user, chatId, message } = await alertedSignIn();
      const { post } = rig();
      const ok = (message.replyMarkup as { inline_keyboard: { callback_data: string }[][] })
        .inline_keyboard[0]?.[0]?.callback_data;
      await post(callbackUpdate(chatId, ok ?? "", message));
      expect(fake.messages(chatId)[0]?.text).toContain("✅ You confirmed this was you.");
      expect(await prisma().session.count({ where: { userId: user.id, revokedAt: null } })).toBe(2);
    });

    it("a button pressed from a chat not linked to the alert's user changes nothing", async () => {
      // Linked first: linkedChat() starts from a clean fake.
      const stranger = await linkedChat();
      const { user, chatId, message } = await alertedSignIn();
      const { post } = rig();
      const revoke = (message.replyMarkup as { inline_keyboard: { callback_data: string }[][] })
        .inline_keyboard[0]?.[1]?.callback_data;
      await post(callbackUpdate(stranger.chatId, revoke ?? "", message));
      await post(callbackUpdate(newChatId(), revoke ?? "", message));
      expect(await prisma().session.count({ where: { userId: user.id, revokedAt: null } })).toBe(2);
      expect(fake.calls("editMessageText")).toEqual([]);
      expect(fake.messages(chatId)[0]?.text).toBe(message.text);
      expect(fake.calls("answerCallbackQuery").map((c) => c.params.show_alert)).toEqual([
        true,
        true,
      ]);
    });

    it("a Bot API 429 is retried after retry_after and the alert arrives once", async () => {
      const linked = await linkedChat();
      const { afterRecord, delivery } = rig();
      fake.failNext("sendMessage", { status: 429, retryAfter: 1 });
      await recordSignIn(prisma(), { userId: linked.user.id, method: "password" }, { afterRecord });
      await expect(delivery.deliverDue()).resolves.toEqual({ sent: 1, failed: 0, deferred: 0 });
      expect(fake.calls("sendMessage")).toHaveLength(2);
      expect(fake.messages(linked.chatId)).toHaveLength(1);
    });

    it("an unreachable Bot API defers the alert; it is delivered once Telegram is back", async () => {
      const linked = await linkedChat();
      const { afterRecord } = rig();
      const logger = memoryLogger();
      const down = createBot({
        token: fake.token,
        apiRoot: "http://127.0.0.1:1",
        botInfo: fake.botInfo,
        prisma: prisma(),
        logger,
        appUrl: APP_URL,
        deliverSoon: () => undefined,
      });
      await recordSignIn(prisma(), { userId: linked.user.id, method: "password" }, { afterRecord });
      const offline = createOutboxDelivery({
        prisma: prisma(),
        sender: down.api,
        logger,
        maxAttempts: 5,
        maxInlineWaitMs: 0,
      });
      await expect(offline.deliverDue()).resolves.toEqual({ sent: 0, failed: 0, deferred: 1 });
      const row = await prisma().notificationOutbox.findFirstOrThrow({
        where: { userId: linked.user.id },
      });
      expect(row).toMatchObject({ status: "PENDING", attempts: 1 });
      // Due again: a later sweep with Telegram back sends it.
      await prisma().notificationOutbox.update({
        where: { id: row.id },
        data: { nextAttemptAt: new Date(Date.now() - 1_000) },
      });
      await expect(rig().delivery.deliverDue()).resolves.toEqual({
        sent: 1,
        failed: 0,
        deferred: 0,
      });
      expect(fake.messages(linked.chatId)).toHaveLength(1);
    });
  });
});
