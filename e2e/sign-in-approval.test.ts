// Approving sign-ins from the Telegram chat, in Chromium against `npm start` and the fake Bot
// API. An account whose alerts go to a chat has approval on; a password sign-in from a
// browser that never signed in to it waits on /sign-in/approve, and the chat is asked
// ("Approve" / "Deny"). The buttons are pressed the way Telegram delivers them: a
// callback_query posted to the real webhook route. The waiting page changes by itself (it is
// never reloaded here):
// - Approve → signed in, to where the sign-in was headed; a second press says "Already
//   answered"; a press from another chat changes nothing; the same browser next time is not
//   asked again;
// - Deny → refused, the chat gets the "secure your account" alert with its buttons;
// - no answer → expired; with an authenticator app, its code finishes the sign-in instead.
// Screenshots of the waiting page at 360 px and 1280 px; nothing scrolls sideways.
//
// PostgreSQL-backed, so the test links the chat by writing the row the bot's /start would,
// and moves a request's expiry into the past instead of waiting two minutes.
import { randomBytes, randomInt } from "node:crypto";

import { Secret, TOTP } from "otpauth";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";

import { createPasswordAccountByRequest } from "./support/accounts";
import {
  assertNoHorizontalOverflow,
  launchBrowser,
  openPage,
  screenshot,
  type OpenedPage,
  type ViewportName,
} from "./support/browser";
import { startRig, type Rig } from "./support/rig";
import { appForSuite } from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const PASSWORD = "amber lantern 42 by the quay";
const SECRET = "e2e-webhook-secret-".padEnd(40, "q");

let browser: Browser | undefined;
let fake: FakeTelegram | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
  fake = await startFakeTelegram();
});
afterAll(async () => {
  await browser?.close();
  await fake?.close();
});

function telegram(): FakeTelegram {
  if (!fake) throw new Error("the fake Bot API did not start");
  return fake;
}

interface Keyboard {
  inline_keyboard: { text: string; callback_data: string }[][];
}

describe.runIf(databaseUrl !== null && redisUrl !== null)("Approving sign-ins in Telegram", () => {
  // With the fake identity provider too, for a provider sign-in held the same way.
  let rig: Rig | undefined;
  const running = appForSuite(async () => {
    rig = await startRig({
      backend: "postgres",
      servers: { databaseUrl: databaseUrl ?? "", redisUrl: redisUrl ?? "" },
      env: {
        TELEGRAM_BOT_TOKEN: telegram().token,
        TELEGRAM_BOT_USERNAME: telegram().botInfo.username,
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        TELEGRAM_TEST_API_URL: telegram().url,
        OUTBOX_SWEEP_INTERVAL_SECONDS: "1",
      },
    });
    const started = rig;
    return { ...started.app, stop: () => started.stop() };
  });
  const idp = () => {
    if (!rig) throw new Error("the rig did not start (see beforeAll)");
    return rig.idp;
  };

  async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[]) {
    const client = new pg.Client({ connectionString: running().databaseUrl });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  async function open(path: string, viewport: ViewportName = "desktop"): Promise<OpenedPage> {
    if (!browser) throw new Error("the browser did not launch");
    return openPage(browser, `${running().url}${path}`, { viewport });
  }

  async function signOut(page: Page) {
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
  }

  /**
   * A password account (signed up in a browser of its own, closed again), its alerts going
   * to a fresh chat with approval on; with `totp`, an authenticator app set up first.
   */
  async function approvingAccount({ totp = false } = {}) {
    const email = `approve-${randomBytes(4).toString("hex")}@example.com`;
    const chatId = randomInt(6_100_000, 6_900_000);
    const opened = await open("/sign-up");
    let key: string | null = null;
    try {
      const { page } = opened;
      await createPasswordAccountByRequest(page, running().url, { email, password: PASSWORD });
      if (totp) {
        await page.goto(`${running().url}/account#two-step`);
        const section = page.getByRole("region", { name: "Two-step verification" });
        await section.getByRole("button", { name: "Set up authenticator app" }).click();
        const keyText = section.locator("[data-totp-key]");
        await keyText.waitFor();
        key = ((await keyText.textContent()) ?? "").replace(/\s+/g, "");
        await section
          .getByLabel("6-digit code")
          .fill(TOTP.generate({ secret: Secret.fromBase32(key) }));
        await section.getByRole("button", { name: "Turn on" }).click();
        await section.getByRole("button", { name: "I have saved them" }).click();
        await section.getByText("10 of 10 recovery codes left").waitFor();
      }
      const rows = await query(
        `INSERT INTO "TelegramLink" (id, "userId", "chatId", "telegramUserId", username, "approveSignIns")
         SELECT $1, id, $2, $2, 'e2e', true FROM "User" WHERE email = $3 RETURNING id`,
        [`tl${randomBytes(8).toString("hex")}`, chatId, email],
      );
      expect(rows).toHaveLength(1);
      await signOut(page);
    } finally {
      await opened.close();
    }
    return { email, chatId, key };
  }

  /** The password step in a browser new to the account; resolves on the waiting page. */
  async function heldSignIn(email: string, viewport: ViewportName = "desktop") {
    const opened = await open("/sign-in?callbackUrl=/account", viewport);
    const { page } = opened;
    const main = page.getByRole("main");
    await main.getByLabel("Email", { exact: true }).fill(email);
    await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await main.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${running().url}/sign-in/approve`);
    await main.getByRole("heading", { name: "Approve this sign‑in in Telegram" }).waitFor();
    return { ...opened, main };
  }

  /** The chat's question: its text and the two buttons' callback data. */
  async function question(chatId: number) {
    const sent = await telegram().waitForCall(
      "sendMessage",
      (call) => call.params.chat_id === chatId && String(call.params.text).startsWith("Sign-in to"),
      15_000,
    );
    const message = telegram()
      .messages(chatId)
      .find((m) => m.text === sent.params.text);
    if (!message) throw new Error("the question is not in the chat");
    const [approve, deny] = (message.replyMarkup as Keyboard).inline_keyboard[0] ?? [];
    return {
      text: message.text,
      messageId: message.messageId,
      approve: approve?.callback_data ?? "",
      deny: deny?.callback_data ?? "",
    };
  }

  /** A button pressed in `chatId`, as Telegram posts it; resolves with the bot's toast. */
  async function press(chatId: number, data: string, messageId: number) {
    const id = `cb-${randomBytes(6).toString("hex")}`;
    const response = await fetch(`${running().url}/api/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      body: JSON.stringify({
        // Random: the webhook remembers update_ids in Redis for a day, across runs too.
        update_id: randomInt(1_000_000, 2_000_000_000),
        callback_query: {
          id,
          from: { id: chatId, is_bot: false, first_name: "Ada" },
          chat_instance: `e2e-${chatId}`,
          data,
          message: {
            message_id: messageId,
            date: Math.floor(Date.now() / 1000),
            chat: { id: chatId, type: "private" },
            text: "Sign-in to …",
          },
        },
      }),
    });
    expect(response.status).toBe(200);
    const answer = await telegram().waitForCall(
      "answerCallbackQuery",
      (call) => call.params.callback_query_id === id,
      15_000,
    );
    return answer.params;
  }

  async function sessionEmail(page: Page): Promise<string | null> {
    const response = await page.request.get(`${running().url}/api/auth/session`);
    const body = (await response.json()) as { user?: { email?: string } } | null;
    return body?.user?.email ?? null;
  }

  test("Approve signs the waiting browser in by itself; once, and only from the account's chat", async () => {
    const { email, chatId } = await approvingAccount();
    const opened = await heldSignIn(email, "phone");
    try {
      const { page, main } = opened;
      const asked = await question(chatId);
      const asks = /^Sign-in to (.+) from (.+, 127\.0\.0\.1) — is this you\?$/.exec(asked.text);
      expect(asks?.[1]).toBe(email);
      // The page names the same device, so the person can match the two.
      await main.getByText(asks?.[2] ?? "(no device in the question)", { exact: true }).waitFor();
      await main.locator('[data-approval-state="waiting"]').waitFor();
      await assertNoHorizontalOverflow(page);
      await screenshot(page, "sign-in-approval-phone-waiting");
      expect(await sessionEmail(page)).toBeNull();

      // Another chat's press: refused there, and the sign-in still waits.
      const stranger = randomInt(7_000_000, 7_100_000);
      expect(await press(stranger, asked.approve, asked.messageId)).toMatchObject({
        text: "This button is not for this chat.",
        show_alert: true,
      });
      expect(await sessionEmail(page)).toBeNull();

      // Pressed twice at once (a double tap): one press approves, the other changes nothing.
      const toasts = (
        await Promise.all([
          press(chatId, asked.approve, asked.messageId),
          press(chatId, asked.approve, asked.messageId),
        ])
      ).map((answer) => answer.text);
      expect(
        toasts.filter((text) => text === "Approved — the browser is signing in."),
      ).toHaveLength(1);
      // The other: answered already, or (once the browser has finished) spent.
      expect(["Already answered.", "This sign-in request no longer exists."]).toContain(
        toasts.find((text) => text !== "Approved — the browser is signing in."),
      );
      // No reload: the page notices and finishes the sign-in itself.
      await page.waitForURL(`${running().url}/account`, { timeout: 20_000 });
      expect(await sessionEmail(page)).toBe(email);
      expect(
        telegram()
          .messages(chatId)
          .find((m) => m.messageId === asked.messageId)?.text,
      ).toContain("Approved");

      // Deny after Approve: nothing more happens.
      expect((await press(chatId, asked.deny, asked.messageId)).text).toBe(
        "This sign-in request no longer exists.",
      );
      const sessions = await query<{ n: string }>(
        `SELECT count(*) AS n FROM "Session" s JOIN "User" u ON u.id = s."userId" WHERE u.email = $1 AND s."revokedAt" IS NULL`,
        [email],
      );
      expect(Number(sessions[0]?.n)).toBe(1);
      expect(opened.consoleErrors).toEqual([]);

      // This browser is known now: the next sign-in goes straight in, the chat not asked.
      await signOut(page);
      const questionsBefore = telegram()
        .messages(chatId)
        .filter((m) => m.text.startsWith("Sign-in to")).length;
      await page.goto(`${running().url}/sign-in?callbackUrl=/account`);
      await main.getByLabel("Email", { exact: true }).fill(email);
      await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await main.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(`${running().url}/account`);
      expect(
        telegram()
          .messages(chatId)
          .filter((m) => m.text.startsWith("Sign-in to")),
      ).toHaveLength(questionsBefore);
    } finally {
      await opened.close();
    }
  });

  test("Deny refuses the sign-in, and the chat is told to secure the account", async () => {
    const { email, chatId } = await approvingAccount();
    const opened = await heldSignIn(email);
    try {
      const { page, main } = opened;
      await screenshot(page, "sign-in-approval-desktop-waiting");
      const asked = await question(chatId);
      expect((await press(chatId, asked.deny, asked.messageId)).text).toBe(
        "Denied — that sign-in was refused.",
      );
      await main.getByRole("heading", { name: "This sign‑in was refused" }).waitFor({
        timeout: 20_000,
      });
      await screenshot(page, "sign-in-approval-desktop-denied");
      expect(await sessionEmail(page)).toBeNull();
      await page.goto(`${running().url}/account`);
      await page.waitForURL(/\/sign-in\?callbackUrl=/);

      // The SIGN_IN_DENIED alert, with the usual "Not me" button.
      const alert = await telegram().waitForCall(
        "sendMessage",
        (call) => call.params.chat_id === chatId && String(call.params.text).includes("refused"),
        15_000,
      );
      expect(String(alert.params.text)).toContain("change your password");
      const alertMessage = telegram()
        .messages(chatId)
        .find((m) => m.text === alert.params.text);
      const buttons = (alertMessage?.replyMarkup as Keyboard).inline_keyboard.flat();
      expect(buttons.map((b) => b.callback_data)).toContainEqual(
        expect.stringMatching(/^alert:revoke:/),
      );
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("no answer in time: expired; the authenticator app's code finishes instead", async () => {
    const { email, chatId, key } = await approvingAccount({ totp: true });
    const opened = await heldSignIn(email, "phone");
    try {
      const { page, main } = opened;
      const asked = await question(chatId);
      // Two minutes pass (moved, not waited): the request is over.
      await query(
        `UPDATE "PendingSignIn"
         SET "createdAt" = (now() AT TIME ZONE 'UTC') - interval '3 minutes',
             "expiresAt" = (now() AT TIME ZONE 'UTC') - interval '1 second'
         WHERE "userId" = (SELECT id FROM "User" WHERE email = $1)`,
        [email],
      );
      await main.getByRole("heading", { name: "No answer in time" }).waitFor({ timeout: 20_000 });
      await assertNoHorizontalOverflow(page);
      await screenshot(page, "sign-in-approval-phone-expired");
      // Too late for the chat.
      expect((await press(chatId, asked.approve, asked.messageId)).text).toBe(
        "This sign-in request has expired.",
      );
      expect(await sessionEmail(page)).toBeNull();

      await main.getByRole("button", { name: "Use your authenticator app instead" }).click();
      await page.waitForURL(`${running().url}/sign-in/second-factor`);
      // The next step's code: newer than the one that turned the app on (used codes are refused).
      await main
        .getByLabel("Code from your app")
        .fill(
          TOTP.generate({ secret: Secret.fromBase32(key ?? ""), timestamp: Date.now() + 30_000 }),
        );
      await main.getByRole("button", { name: "Verify" }).click();
      await page.waitForURL(`${running().url}/account`);
      expect(await sessionEmail(page)).toBe(email);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("without an authenticator app, an expired request only offers to sign in again", async () => {
    const { email } = await approvingAccount();
    const opened = await heldSignIn(email);
    try {
      const { page, main } = opened;
      await query(
        `UPDATE "PendingSignIn"
         SET "createdAt" = (now() AT TIME ZONE 'UTC') - interval '3 minutes',
             "expiresAt" = (now() AT TIME ZONE 'UTC') - interval '1 second'
         WHERE "userId" = (SELECT id FROM "User" WHERE email = $1)`,
        [email],
      );
      await main.getByRole("heading", { name: "No answer in time" }).waitFor({ timeout: 20_000 });
      await screenshot(page, "sign-in-approval-desktop-expired");
      expect(await main.getByRole("button", { name: /authenticator/ }).count()).toBe(0);
      await main.getByRole("link", { name: "Sign in again" }).click();
      await page.waitForURL(/\/sign-in$/);
    } finally {
      await opened.close();
    }
  });

  test("a provider sign-in from a new browser waits for the chat the same way", async () => {
    const email = `approve-gh-${randomBytes(4).toString("hex")}@example.com`;
    const chatId = randomInt(6_100_000, 6_900_000);
    idp().setIdentity("github", {
      id: randomInt(100_000, 900_000),
      login: "held-octo",
      name: "Held Octo",
      email: null,
      emails: [{ email, primary: true, verified: true }],
    });
    const withGitHub = async (page: Page) => {
      await page.goto(`${running().url}/sign-in?callbackUrl=/account`);
      await page.getByRole("button", { name: "Continue with GitHub" }).click();
      await page.getByRole("button", { name: "Authorize" }).click();
    };

    // The account is made by a first GitHub sign-in; then its chat is linked, approval on.
    const first = await open("/");
    try {
      await withGitHub(first.page);
      await first.page.waitForURL(`${running().url}/account`);
      const rows = await query(
        `INSERT INTO "TelegramLink" (id, "userId", "chatId", "telegramUserId", username, "approveSignIns")
         SELECT $1, id, $2, $2, 'e2e', true FROM "User" WHERE email = $3 RETURNING id`,
        [`tl${randomBytes(8).toString("hex")}`, chatId, email],
      );
      expect(rows).toHaveLength(1);
    } finally {
      await first.close();
    }

    // Another browser: GitHub says yes, and the sign-in still waits for the chat.
    const opened = await open("/");
    try {
      const { page } = opened;
      await withGitHub(page);
      await page.waitForURL(`${running().url}/sign-in/approve`);
      const main = page.getByRole("main");
      await main.getByRole("heading", { name: "Approve this sign‑in in Telegram" }).waitFor();
      expect(await sessionEmail(page)).toBeNull();
      const asked = await question(chatId);
      expect(asked.text).toMatch(new RegExp(`^Sign-in to ${email.replace(/\./g, "\\.")} from `));
      expect((await press(chatId, asked.approve, asked.messageId)).text).toBe(
        "Approved — the browser is signing in.",
      );
      await page.waitForURL(`${running().url}/account`, { timeout: 20_000 });
      expect(await sessionEmail(page)).toBe(email);
      // The sign-in it let in is GitHub's.
      const methods = await query<{ method: string }>(
        `SELECT s.method FROM "Session" s JOIN "User" u ON u.id = s."userId" WHERE u.email = $1 AND s."revokedAt" IS NULL ORDER BY s."createdAt"`,
        [email],
      );
      expect(methods.map((row) => row.method)).toEqual(["github", "github"]);
    } finally {
      await opened.close();
    }
  });
});
