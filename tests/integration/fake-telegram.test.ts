// The fake Bot API itself, driven by a real grammY Bot (client.apiRoot = fake.url), so what
// the bot's tests rely on is shown to hold through grammY's own client: answers in Telegram's
// shapes, Telegram's error texts surfacing as GrammyError, scripted outages (429 with
// retry_after, 5xx, a dropped connection → HttpError, a slow answer), long polling with
// offsets and the webhook conflict, and waitForCall's waiting and its timeout message.
import { Bot, GrammyError, HttpError } from "grammy";
import type { ReactionTypeEmoji } from "grammy/types";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import {
  ALLOWED_REACTIONS,
  startFakeTelegram,
  type FakeTelegram,
} from "@/tests/support/fake-telegram";

let fake: FakeTelegram;
let bot: Bot;
beforeAll(async () => {
  fake = await startFakeTelegram();
  bot = new Bot(fake.token, { client: { apiRoot: fake.url }, botInfo: fake.botInfo });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

const ALICE = 101;
const BOB = 202;
const keyboard = (data: string) => ({
  inline_keyboard: [[{ text: "Yes", callback_data: data }]],
});

/** The GrammyError a Bot API call fails with (fails the test if it succeeds or fails otherwise). */
async function grammyError(call: Promise<unknown>): Promise<GrammyError> {
  const error = await call.then(
    () => new Error("the call succeeded"),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

function textUpdate(chatId: number, text: string, updateId?: number) {
  return {
    ...(updateId === undefined ? {} : { update_id: updateId }),
    message: {
      message_id: 7,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private", first_name: "Ada" },
      from: { id: chatId, is_bot: false, first_name: "Ada" },
      text,
    },
  };
}

describe("messages", () => {
  it("sendMessage answers a Message numbered per chat; messages() shows it with edits applied", async () => {
    const sent = await bot.api.sendMessage(ALICE, "Hello", { reply_markup: keyboard("a") });
    expect(sent).toEqual({
      message_id: 1,
      from: {
        id: fake.botInfo.id,
        is_bot: true,
        first_name: fake.botInfo.first_name,
        username: "gatehouse_test_bot",
      },
      chat: { id: ALICE, type: "private", first_name: expect.any(String) as string },
      date: expect.any(Number) as number,
      text: "Hello",
      reply_markup: keyboard("a"),
    });
    expect(Math.abs(sent.date - Date.now() / 1000)).toBeLessThan(5);
    expect((await bot.api.sendMessage(ALICE, "Second")).message_id).toBe(2);
    expect((await bot.api.sendMessage(BOB, "Other chat")).message_id).toBe(1);

    // As on Telegram, an edit without reply_markup removes the keyboard.
    const edited = await bot.api.editMessageText(ALICE, 1, "Hello, edited");
    expect(edited).toMatchObject({ message_id: 1, text: "Hello, edited" });
    expect(edited).not.toHaveProperty("reply_markup");
    expect(typeof (edited as { edit_date?: number }).edit_date).toBe("number");

    expect(fake.messages(ALICE)).toEqual([
      {
        chatId: ALICE,
        messageId: 1,
        text: "Hello, edited",
        editedAt: expect.any(Number) as number,
      },
      { chatId: ALICE, messageId: 2, text: "Second" },
    ]);
    expect(fake.messages()).toHaveLength(3);
    expect(fake.calls().map((call) => call.method)).toEqual([
      "sendMessage",
      "sendMessage",
      "sendMessage",
      "editMessageText",
    ]);
    expect(fake.calls("sendMessage")[0]?.params).toEqual({
      chat_id: ALICE,
      text: "Hello",
      reply_markup: keyboard("a"),
    });
  });

  it("an edit that changes nothing is 'message is not modified'; editMessageReplyMarkup swaps the keyboard", async () => {
    await bot.api.sendMessage(ALICE, "Alert", { reply_markup: keyboard("a") });
    const same = await grammyError(
      bot.api.editMessageText(ALICE, 1, "Alert", { reply_markup: keyboard("a") }),
    );
    expect(same.error_code).toBe(400);
    expect(same.description).toBe(
      "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    );
    expect(
      (await grammyError(bot.api.editMessageReplyMarkup(ALICE, 1, { reply_markup: keyboard("a") })))
        .description,
    ).toMatch(/^Bad Request: message is not modified: /);

    await bot.api.editMessageReplyMarkup(ALICE, 1, { reply_markup: keyboard("b") });
    expect(fake.messages(ALICE)[0]).toMatchObject({ text: "Alert", replyMarkup: keyboard("b") });
  });

  it("editing a message the bot never sent is 'message to edit not found'", async () => {
    await bot.api.sendMessage(ALICE, "Mine");
    for (const [chat, id] of [
      [ALICE, 99],
      [BOB, 1],
    ] as const) {
      const error = await grammyError(bot.api.editMessageText(chat, id, "Changed"));
      expect(error.error_code).toBe(400);
      expect(error.description).toBe("Bad Request: message to edit not found");
    }
    expect(fake.messages(ALICE)[0]?.text).toBe("Mine");
  });

  it("deleteMessage is recorded and removes the message", async () => {
    await bot.api.sendMessage(ALICE, "Soon gone");
    await expect(bot.api.deleteMessage(ALICE, 1)).resolves.toBe(true);
    expect(fake.calls("deleteMessage").map((call) => call.params)).toEqual([
      { chat_id: ALICE, message_id: 1 },
    ]);
    expect(fake.messages(ALICE)).toEqual([]);
    expect((await grammyError(bot.api.deleteMessage(ALICE, 1))).description).toBe(
      "Bad Request: message to delete not found",
    );
  });

  it("refuses what Telegram refuses: empty text, oversized callback_data, unknown chats", async () => {
    const cases: [Promise<unknown>, string][] = [
      [bot.api.sendMessage(ALICE, "  "), "Bad Request: message text is empty"],
      [bot.api.sendMessage(ALICE, "x".repeat(4097)), "Bad Request: message is too long"],
      [
        bot.api.sendMessage(ALICE, "Buttons", { reply_markup: keyboard("x".repeat(65)) }),
        "Bad Request: BUTTON_DATA_INVALID",
      ],
      [bot.api.sendMessage("@nobody", "Hi"), "Bad Request: chat not found"],
    ];
    for (const [call, description] of cases) {
      expect((await grammyError(call)).description).toBe(description);
    }
    expect(fake.messages()).toEqual([]);
    expect(fake.calls("sendMessage")).toHaveLength(4);
  });

  it("answerCallbackQuery answers true, once per query", async () => {
    await expect(bot.api.answerCallbackQuery("cb-1", { text: "Done" })).resolves.toBe(true);
    expect((await grammyError(bot.api.answerCallbackQuery("cb-1"))).description).toBe(
      "Bad Request: query is too old and response timeout expired or query ID is invalid",
    );
  });
});

describe("reactions", () => {
  it("accepts every emoji of Telegram's list and refuses others with REACTION_INVALID", async () => {
    for (const emoji of ALLOWED_REACTIONS) {
      await expect(bot.api.setMessageReaction(ALICE, 5, [{ type: "emoji", emoji }])).resolves.toBe(
        true,
      );
    }
    expect(fake.calls("setMessageReaction")[0]?.params).toEqual({
      chat_id: ALICE,
      message_id: 5,
      reaction: [{ type: "emoji", emoji: "👍" }],
    });

    const dinosaur = { type: "emoji", emoji: "🦖" } as unknown as ReactionTypeEmoji;
    const invalid = await grammyError(bot.api.setMessageReaction(ALICE, 5, [dinosaur]));
    expect(invalid.error_code).toBe(400);
    expect(invalid.description).toBe("Bad Request: REACTION_INVALID");

    const two = await grammyError(
      bot.api.setMessageReaction(ALICE, 5, [
        { type: "emoji", emoji: "👍" },
        { type: "emoji", emoji: "🔥" },
      ]),
    );
    expect(two.description).toBe("Bad Request: REACTIONS_TOO_MANY");
  });
});

describe("failNext", () => {
  it("429 carries retry_after; the next call goes through", async () => {
    fake.failNext("sendMessage", { status: 429, retryAfter: 7 });
    const error = await grammyError(bot.api.sendMessage(ALICE, "Alert"));
    expect(error.error_code).toBe(429);
    expect(error.description).toBe("Too Many Requests: retry after 7");
    expect(error.parameters.retry_after).toBe(7);

    await bot.api.sendMessage(ALICE, "Alert");
    expect(fake.calls("sendMessage")).toHaveLength(2);
    expect(fake.messages(ALICE)).toHaveLength(1);
  });

  it("5xx and 4xx answer that status; '*' and `times` cover several calls of any method", async () => {
    fake.failNext("sendMessage", { status: 500 });
    const internal = await grammyError(bot.api.sendMessage(ALICE, "Alert"));
    expect([internal.error_code, internal.description]).toEqual([500, "Internal Server Error"]);

    fake.failNext("sendMessage", { status: 403 });
    fake.failNext("sendMessage", { status: 502, description: "Bad Gateway" });
    expect((await grammyError(bot.api.sendMessage(ALICE, "Alert"))).description).toBe(
      "Forbidden: bot was blocked by the user",
    );
    expect((await grammyError(bot.api.sendMessage(ALICE, "Alert"))).error_code).toBe(502);

    fake.failNext("*", { status: 500 }, 2);
    expect((await grammyError(bot.api.getMe())).error_code).toBe(500);
    expect((await grammyError(bot.api.getMyCommands())).error_code).toBe(500);
    await expect(bot.api.getMe()).resolves.toEqual(fake.botInfo);
    expect(fake.messages()).toEqual([]);
  });

  it("drop ends the connection without an answer: an HttpError, and nothing is sent", async () => {
    fake.failNext("sendMessage", { drop: true });
    await expect(bot.api.sendMessage(ALICE, "Lost")).rejects.toBeInstanceOf(HttpError);
    expect(fake.calls("sendMessage")).toHaveLength(1);
    expect(fake.messages()).toEqual([]);
    await bot.api.sendMessage(ALICE, "Found");
    expect(fake.messages(ALICE).map((m) => m.text)).toEqual(["Found"]);
  });

  it("delayMs answers normally, late: the call is seen at once, the message only then", async () => {
    fake.failNext("sendMessage", { delayMs: 200 });
    const started = Date.now();
    const sending = bot.api.sendMessage(ALICE, "Slow");
    const call = await fake.waitForCall("sendMessage");
    expect(call.at - started).toBeLessThan(150);
    expect(fake.messages()).toEqual([]);
    expect((await sending).text).toBe("Slow");
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(fake.messages(ALICE)).toHaveLength(1);
  });
});

describe("the door", () => {
  it("another token is 401 Unauthorized (and still recorded)", async () => {
    const stranger = new Bot("999:not-the-token", {
      client: { apiRoot: fake.url },
      botInfo: fake.botInfo,
    });
    const error = await grammyError(stranger.api.sendMessage(ALICE, "Hi"));
    expect([error.error_code, error.description]).toEqual([401, "Unauthorized"]);
    expect(fake.calls("sendMessage")).toHaveLength(1);
    expect(fake.messages()).toEqual([]);
  });

  it("an unknown method is 404; a multipart upload is 400", async () => {
    const post = (method: string, init: RequestInit) =>
      fetch(`${fake.url}/bot${fake.token}/${method}`, { method: "POST", ...init });
    const unknown = await post("sendTelepathy", {
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(unknown.status).toBe(404);
    await expect(unknown.json()).resolves.toEqual({
      ok: false,
      error_code: 404,
      description: "Not Found: method not found",
    });

    const form = new FormData();
    form.append("chat_id", String(ALICE));
    form.append("photo", new Blob(["not really a photo"]), "photo.jpg");
    const upload = await post("sendPhoto", { body: form });
    expect(upload.status).toBe(400);
    await expect(upload.json()).resolves.toMatchObject({
      ok: false,
      description: expect.stringContaining("not supported by the fake") as string,
    });
    expect(fake.calls().map((call) => call.method)).toEqual(["sendTelepathy", "sendPhoto"]);
  });
});

describe("long polling", () => {
  it("getUpdates waits for a pushed update; an offset confirms the ones before it", async () => {
    const started = Date.now();
    const polling = bot.api.getUpdates({ timeout: 30 });
    await fake.waitForCall("getUpdates");
    const first = fake.pushUpdate(textUpdate(ALICE, "hello", 500));
    await expect(polling).resolves.toEqual([{ update_id: 500, ...textUpdate(ALICE, "hello") }]);
    expect(Date.now() - started).toBeLessThan(900);

    // Not confirmed yet: the same update again.
    expect((await bot.api.getUpdates({ offset: first })).map((u) => u.update_id)).toEqual([500]);
    const second = fake.pushUpdate(textUpdate(ALICE, "second"));
    const third = fake.pushUpdate(textUpdate(ALICE, "third"));
    expect([second, third]).toEqual([501, 502]);
    const batch = await bot.api.getUpdates({ offset: first + 1, limit: 1 });
    expect(batch.map((u) => u.update_id)).toEqual([501]);
    expect((await bot.api.getUpdates({ offset: third + 1 })).length).toBe(0);
    expect((await bot.api.getWebhookInfo()).pending_update_count).toBe(0);
  });

  it("with nothing queued, a long poll answers [] after its timeout, capped at 1 s", async () => {
    const started = Date.now();
    await expect(bot.api.getUpdates({ timeout: 50 })).resolves.toEqual([]);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(2_000);
  });

  it("a second getUpdates ends the first with 409, as Telegram does", async () => {
    const first = bot.api.getUpdates({ timeout: 30 });
    await fake.waitForCall("getUpdates");
    await expect(bot.api.getUpdates()).resolves.toEqual([]);
    const error = await grammyError(first);
    expect(error.error_code).toBe(409);
    expect(error.description).toMatch(/^Conflict: terminated by other getUpdates request/);
  });

  it("allowed_updates: reactions are left out by default; naming types keeps only those", async () => {
    fake.pushUpdate(textUpdate(ALICE, "hi", 1));
    fake.pushUpdate({ update_id: 2, message_reaction: { chat: { id: ALICE } } });
    fake.pushUpdate({ update_id: 3, callback_query: { id: "cb", data: "x" } });
    expect((await bot.api.getUpdates()).map((u) => u.update_id)).toEqual([1, 3]);
    const onlyButtons = await bot.api.getUpdates({ allowed_updates: ["callback_query"] });
    expect(onlyButtons.map((u) => u.update_id)).toEqual([3]);
  });

  it("a grammY bot runs its polling loop against the fake", async () => {
    const poller = new Bot(fake.token, { client: { apiRoot: fake.url }, botInfo: fake.botInfo });
    poller.on("message:text", (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
    const running = poller.start();
    try {
      await fake.waitForCall("getUpdates");
      fake.pushUpdate(textUpdate(ALICE, "ping"));
      const reply = await fake.waitForCall("sendMessage", undefined, 3_000);
      expect(reply.params).toMatchObject({ chat_id: ALICE, text: "echo: ping" });
    } finally {
      await poller.stop();
      await running;
    }
    expect(fake.calls("deleteWebhook")).toHaveLength(1);
    expect(fake.messages(ALICE).map((m) => m.text)).toEqual(["echo: ping"]);
  });
});

describe("webhook and commands", () => {
  it("keeps the webhook; getUpdates is 409 while it is set; deleteWebhook lifts that", async () => {
    const url = "https://gatehouse.example/api/telegram";
    await expect(
      bot.api.setWebhook(url, {
        secret_token: "s3cret_token-1",
        allowed_updates: ["message", "callback_query"],
        drop_pending_updates: true,
      }),
    ).resolves.toBe(true);
    expect(fake.webhook()).toEqual({
      url,
      secretToken: "s3cret_token-1",
      allowedUpdates: ["message", "callback_query"],
      dropPendingUpdates: true,
      maxConnections: 40,
    });
    fake.pushUpdate(textUpdate(ALICE, "queued"));
    expect(await bot.api.getWebhookInfo()).toMatchObject({
      url,
      pending_update_count: 1,
      allowed_updates: ["message", "callback_query"],
    });

    const conflict = await grammyError(bot.api.getUpdates());
    expect(conflict.error_code).toBe(409);
    expect(conflict.description).toMatch(
      /^Conflict: can't use getUpdates method while webhook is active/,
    );

    await expect(bot.api.deleteWebhook()).resolves.toBe(true);
    expect(fake.webhook()).toBeNull();
    expect((await bot.api.getWebhookInfo()).url).toBe("");
    expect(await bot.api.getUpdates()).toHaveLength(1);
  });

  it("refuses webhooks Telegram refuses: plain http, odd ports, bad secrets", async () => {
    const cases: [string, Parameters<typeof bot.api.setWebhook>[1], string][] = [
      [
        "http://gatehouse.example/api/telegram",
        {},
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
      ],
      [
        "https://gatehouse.example:3000/api/telegram",
        {},
        "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
      ],
      [
        "https://gatehouse.example/api/telegram",
        { secret_token: "has spaces" },
        "Bad Request: secret token contains unallowed characters",
      ],
    ];
    for (const [url, other, description] of cases) {
      expect((await grammyError(bot.api.setWebhook(url, other))).description).toBe(description);
    }
    expect(fake.webhook()).toBeNull();
  });

  it("setMyCommands / getMyCommands, per scope; invalid commands are refused", async () => {
    const commands = [
      { command: "sessions", description: "Your signed-in devices" },
      { command: "help", description: "What this bot does" },
    ];
    await expect(bot.api.setMyCommands(commands)).resolves.toBe(true);
    await expect(bot.api.getMyCommands()).resolves.toEqual(commands);
    await expect(bot.api.getMyCommands({ scope: { type: "all_private_chats" } })).resolves.toEqual(
      [],
    );
    expect(
      (await grammyError(bot.api.setMyCommands([{ command: "Help", description: "Upper case" }])))
        .description,
    ).toBe("Bad Request: BOT_COMMAND_INVALID");
  });
});

describe("waitForCall", () => {
  it("resolves with a call already made, or the first matching one still to come", async () => {
    await bot.api.getMe();
    await expect(fake.waitForCall("getMe")).resolves.toMatchObject({ method: "getMe" });

    const waiting = fake.waitForCall("sendMessage", (call) => call.params.chat_id === BOB);
    await bot.api.sendMessage(ALICE, "Not this one");
    await bot.api.sendMessage(BOB, "This one");
    const call = await waiting;
    expect(call.params.text).toBe("This one");
    expect(call.at).toBeLessThanOrEqual(Date.now());
  });

  it("rejects after its timeout, naming the calls seen", async () => {
    await bot.api.sendMessage(ALICE, "Hello");
    const started = Date.now();
    const error = await fake.waitForCall("deleteMessage", undefined, 50).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `fake-telegram: no deleteMessage call within 50 ms; calls seen: 1:\n  sendMessage {"chat_id":${ALICE},"text":"Hello"}`,
    );
    await expect(
      fake.waitForCall("sendMessage", (c) => c.params.chat_id === BOB, 20),
    ).rejects.toThrow(/no sendMessage call matching the predicate within 20 ms/);
  });
});

describe("reset and close", () => {
  it("reset forgets calls, messages, failures, updates and the webhook", async () => {
    await bot.api.sendMessage(ALICE, "Before");
    fake.failNext("sendMessage", { status: 500 });
    fake.pushUpdate(textUpdate(ALICE, "queued"));
    await bot.api.setWebhook("https://gatehouse.example/api/telegram");
    fake.reset();
    expect([fake.calls(), fake.messages(), fake.webhook()]).toEqual([[], [], null]);
    expect((await bot.api.sendMessage(ALICE, "After")).message_id).toBe(1);
    expect(await bot.api.getUpdates()).toEqual([]);
  });

  it("close ends a long poll and rejects waiting tests", async () => {
    const other = await startFakeTelegram({ botInfo: { username: "other_test_bot" } });
    expect(other.botInfo.username).toBe("other_test_bot");
    const api = new Bot(other.token, { client: { apiRoot: other.url }, botInfo: other.botInfo })
      .api;
    const polling = api.getUpdates({ timeout: 30 });
    await other.waitForCall("getUpdates");
    const waiting = other.waitForCall("sendMessage");
    await other.close();
    await expect(waiting).rejects.toThrow(/closed/);
    await expect(polling).rejects.toBeInstanceOf(HttpError);
  });
});
