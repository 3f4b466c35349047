// The pre-registration takeover, walked exactly as an attacker would through `npm start`, a
// fake identity provider and a fake Telegram Bot API (the webhook gets updates the way
// Telegram posts them):
//   1. Mallory signs up with Vera's address and a password, links her own Stack Overflow
//      identity from /account and connects her own Telegram chat;
//   2. Vera signs in with Google, which proves the address: the claim rule strips the
//      account back to Vera's Google identity (lib/auth/claim.ts);
//   3. Mallory's Stack Overflow identity no longer reaches Vera's account, her browser is
//      signed out, her chat gets no further alert, and its commands and buttons change
//      nothing for Vera.
import { randomBytes, randomInt } from "node:crypto";

import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";

import { createPasswordAccountByRequest } from "./support/accounts";
import { launchBrowser, openPage, type OpenedPage } from "./support/browser";
import { startRig, type Rig } from "./support/rig";
import { printServerOutputOnFailure } from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const PASSWORD = "violet tram 71 under the pier";
const SECRET = "e2e-claim-webhook-secret-".padEnd(40, "z");
const START_LINK = /\?start=([A-Za-z0-9_-]{43})$/;

let browser: Browser | undefined;
let fake: FakeTelegram | undefined;
let rig: Rig | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  fake = await startFakeTelegram();
  rig = await startRig({
    // PostgreSQL and redis-server when the run has them (as in production), else embedded.
    backend: databaseUrl && redisUrl ? "postgres" : "embedded",
    servers: databaseUrl && redisUrl ? { databaseUrl, redisUrl } : undefined,
    env: {
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_BOT_USERNAME: fake.botInfo.username,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_TEST_API_URL: fake.url,
      // The self-hosted sweeper every second: anything left queued would go out in the test.
      OUTBOX_SWEEP_INTERVAL_SECONDS: "1",
    },
  });
});

afterAll(async () => {
  await browser?.close();
  await rig?.stop();
  await fake?.close();
});

printServerOutputOnFailure(() => rig?.app);

function r(): Rig & { telegram: FakeTelegram } {
  if (!rig || !fake) throw new Error("the app did not start (see beforeAll)");
  return { ...rig, telegram: fake };
}

async function open(path = "/"): Promise<OpenedPage> {
  if (!browser) throw new Error("the browser did not launch");
  return openPage(browser, `${r().app.url}${path}`);
}

async function sessionUserId(page: Page): Promise<string | null> {
  const response = await page.request.get(`${r().app.url}/api/auth/session`);
  const body = (await response.json()) as { user?: { id?: string } } | null;
  return body?.user?.id ?? null;
}

async function signInWith(page: Page, providerName: string): Promise<void> {
  await page.goto(`${r().app.url}/sign-in`);
  await page.getByRole("button", { name: `Continue with ${providerName}` }).click();
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
}

function section(page: Page, name: string): Locator {
  return page.getByRole("region", { name });
}

/** Posts an update to the app's webhook as Telegram would. */
async function postUpdate(update: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${r().app.url}/api/telegram`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    // Random: the webhook remembers update_ids in Redis for a day, across test runs too.
    body: JSON.stringify({ update_id: randomInt(1_000_000, 2_000_000_000), ...update }),
  });
  expect(response.status).toBe(200);
}

function message(chatId: number, text: string) {
  return {
    message: {
      message_id: randomInt(1, 1_000_000),
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private", first_name: "E2E" },
      from: { id: chatId, is_bot: false, first_name: "E2E" },
      text,
      ...(text.startsWith("/")
        ? { entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0]?.length }] }
        : {}),
    },
  };
}

/** Connect Telegram on /account, then /start <token> from `chatId`, as the bot's link does. */
async function connectTelegram(page: Page, chatId: number): Promise<void> {
  await page.goto(`${r().app.url}/account`);
  const telegram = section(page, "Telegram alerts");
  await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).click();
  const link = telegram.getByRole("link", { name: /^Open Telegram/ });
  const token = START_LINK.exec((await link.getAttribute("href")) ?? "")?.[1];
  if (!token) throw new Error("no start link on the account page");
  await postUpdate(message(chatId, `/start ${token}`));
  await r().telegram.waitForCall(
    "sendMessage",
    (call) => call.params.chat_id === chatId && String(call.params.text).startsWith("Connected"),
    15_000,
  );
}

/** The latest message the bot sent to `chatId` whose text matches, with its "Not me" data. */
async function alertIn(chatId: number, text: RegExp) {
  const call = await r().telegram.waitForCall(
    "sendMessage",
    (c) => c.params.chat_id === chatId && text.test(String(c.params.text)),
    15_000,
  );
  const sent = r()
    .telegram.messages(chatId)
    .find((m) => m.text === call.params.text);
  if (!sent) throw new Error("the alert is not in the chat");
  const keyboard = sent.replyMarkup as { inline_keyboard: { callback_data: string }[][] };
  return { messageId: sent.messageId, text: sent.text, notMe: keyboard.inline_keyboard[0]?.[1] };
}

describe("pre-registration takeover: the claimant keeps the account, the squatter keeps nothing", () => {
  test("Stack Overflow and Telegram set up by the squatter are gone once the owner signs in with Google", async () => {
    const { idp, telegram } = r();
    const email = `vera-${randomBytes(4).toString("hex")}@example.com`;
    const malloryChat = randomInt(6_000_000, 6_500_000);
    const veraChat = randomInt(6_500_000, 7_000_000);
    const soId = randomInt(2_000_000, 3_000_000);
    idp.setIdentity("stackoverflow", { user_id: soId, display_name: "Mallory" });
    idp.setIdentity("google", {
      sub: `vera-${randomBytes(4).toString("hex")}`,
      email,
      email_verified: true,
      name: "Vera Owner",
    });

    // 1. Mallory: sign up with Vera's address, link Stack Overflow, connect her chat.
    const mallory = await open("/sign-up");
    const malloryAgain = await open();
    const vera = await open();
    try {
      await createPasswordAccountByRequest(
        mallory.page,
        r().app.url,
        { email, password: PASSWORD },
        { landOn: "/account" },
      );
      const accountId = await sessionUserId(mallory.page);
      expect(accountId).toEqual(expect.any(String));

      const methods = section(mallory.page, "Sign-in methods");
      await methods.getByRole("button", { name: "Link Stack Overflow" }).click();
      await mallory.page.getByRole("button", { name: "Authorize" }).click();
      await methods.getByRole("button", { name: "Unlink Stack Overflow" }).waitFor();
      await connectTelegram(mallory.page, malloryChat);

      // Mallory's Stack Overflow reaches the account, and her chat hears about it, with a
      // "Not me" button she could press later.
      await signInWith(malloryAgain.page, "Stack Overflow");
      expect(await sessionUserId(malloryAgain.page)).toBe(accountId);
      const oldAlert = await alertIn(
        malloryChat,
        /^New sign-in to your account with Stack Overflow/,
      );
      expect(oldAlert.notMe?.callback_data).toMatch(/^alert:revoke:/);
      const malloryMessages = telegram.messages(malloryChat).length;

      // 2. Vera signs in with Google: the same account, now hers alone.
      await signInWith(vera.page, "Google");
      expect(await sessionUserId(vera.page)).toBe(accountId);
      await vera.page.goto(`${r().app.url}/account`);
      const veraMethods = section(vera.page, "Sign-in methods");
      expect(await veraMethods.textContent()).toContain("Google");
      // Only Google is linked: Stack Overflow is on offer again, not listed as a method.
      expect(await veraMethods.getByRole("button", { name: /^Unlink / }).allTextContents()).toEqual(
        ["Unlink Google"],
      );
      expect(
        await veraMethods.getByRole("button", { name: "Link Stack Overflow" }).isVisible(),
      ).toBe(true);
      await section(vera.page, "Telegram alerts")
        .getByRole("button", { name: "Connect Telegram", exact: true })
        .waitFor();
      const activity = await section(vera.page, "Security activity").textContent();
      expect(activity).toContain("Unlinked Stack Overflow when you claimed your email");
      expect(activity).toContain("Telegram disconnected when you claimed your email");
      expect(activity).toContain("Password removed when you claimed your email");

      // 3a. Mallory's browsers are signed out on their next request.
      for (const page of [mallory.page, malloryAgain.page]) {
        await page.goto(`${r().app.url}/account`);
        await page.waitForURL(/\/sign-in\?callbackUrl=/);
        expect(await sessionUserId(page)).toBeNull();
      }

      // 3b. Her Stack Overflow identity now starts an account of its own.
      await signInWith(malloryAgain.page, "Stack Overflow");
      const strangerId = await sessionUserId(malloryAgain.page);
      expect(strangerId).toEqual(expect.any(String));
      expect(strangerId).not.toBe(accountId);

      // 3c. Her chat's commands and buttons change nothing for Vera.
      await postUpdate(message(malloryChat, "/sessions"));
      const sessionsReply = await telegram.waitForCall(
        "sendMessage",
        (c) =>
          c.params.chat_id === malloryChat && String(c.params.text).includes("isn't connected"),
        15_000,
      );
      expect(String(sessionsReply.params.text)).not.toContain(email);
      await postUpdate({
        callback_query: {
          id: "cb-claim-e2e",
          from: { id: malloryChat, is_bot: false, first_name: "Mallory" },
          chat_instance: "e2e",
          data: oldAlert.notMe?.callback_data,
          message: {
            message_id: oldAlert.messageId,
            date: Math.floor(Date.now() / 1000),
            chat: { id: malloryChat, type: "private" },
            text: oldAlert.text,
          },
        },
      });
      const answer = await telegram.waitForCall(
        "answerCallbackQuery",
        (c) => c.params.callback_query_id === "cb-claim-e2e",
        15_000,
      );
      expect(answer.params.text).toBe("This alert isn't for this chat, so nothing was changed.");
      expect(await sessionUserId(vera.page)).toBe(accountId);

      // 3d. Vera's own chat now gets her alerts; Mallory's got nothing since the claim. Vera's
      // alert arriving is the sign that the deliveries after her sign-ins have run.
      await connectTelegram(vera.page, veraChat);
      await vera.page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
      await vera.page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
      await signInWith(vera.page, "Google");
      await alertIn(veraChat, /^New sign-in to your account with Google/);
      const sinceClaim = telegram.messages(malloryChat).slice(malloryMessages);
      // Only the bot's answer to /sessions: no alert, nothing naming Vera's account.
      expect(sinceClaim.map((m) => m.text)).toEqual([String(sessionsReply.params.text)]);
    } finally {
      await mallory.close();
      await malloryAgain.close();
      await vera.close();
    }
  });
});
