// Telegram alerts through the real server (`npm start`), a browser, and a local fake Bot API
// the app is pointed at (TELEGRAM_TEST_API_URL): a password sign-in sends an alert after the
// response; "Not me", posted to the real webhook route the way Telegram would, signs every
// session out (the browser's next request lands on the sign-in page) and edits the alert; a
// slow or unreachable Telegram never holds a sign-in up.
//
// PostgreSQL-backed, so the test can link a chat by writing the row the bot's /start would.
import { randomBytes, randomInt } from "node:crypto";

import pg from "pg";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";

import { createPasswordAccountByRequest } from "./support/accounts";
import { launchBrowser, openPage, type OpenedPage } from "./support/browser";
import { appForSuite, startPostgresApp, type AppServer } from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const PASSWORD = "violet tram 71 under the pier";
const SECRET = "e2e-webhook-secret-".padEnd(40, "z");
const CRON_SECRET = "e2e-cron-secret-".padEnd(40, "c");

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

function botEnv(apiRoot: string, telegram: FakeTelegram) {
  return {
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_BOT_USERNAME: telegram.botInfo.username,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_TEST_API_URL: apiRoot,
  };
}

async function signUp(app: AppServer, email: string): Promise<OpenedPage> {
  if (!browser) throw new Error("the browser did not launch");
  const opened = await openPage(browser, `${app.url}/sign-up`);
  await createPasswordAccountByRequest(opened.page, app.url, { email, password: PASSWORD });
  return opened;
}

async function signIn(opened: OpenedPage, app: AppServer, email: string): Promise<void> {
  await opened.page.goto(`${app.url}/sign-in`);
  const main = opened.page.getByRole("main");
  await main.getByLabel("Email", { exact: true }).fill(email);
  await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await main.getByRole("button", { name: "Sign in", exact: true }).click();
  await opened.page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
}

async function signOut(opened: OpenedPage): Promise<void> {
  await opened.page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await opened.page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
}

/** Runs `work` with a connection to the app's database. */
async function withDatabase<T>(
  app: AppServer,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: app.databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A new account with a Telegram chat linked (as the bot's /start would), signed out again in
 * its browser page: the next sign-in is the one that alerts.
 */
async function linkedAccount(
  app: AppServer,
  label: string,
): Promise<{ email: string; chatId: number; opened: OpenedPage }> {
  const email = `${label}-${randomBytes(4).toString("hex")}@example.com`;
  const chatId = randomInt(5_500_000, 6_000_000);
  const opened = await signUp(app, email);
  try {
    await linkChat(app, email, chatId);
    await signOut(opened);
  } catch (error) {
    await opened.close();
    throw error;
  }
  return { email, chatId, opened };
}

interface OutboxRow {
  status: string;
  attempts: number;
}

/**
 * The account's sign-in alert row once `ready` holds (after() and the sweepers run after the
 * response, so the test polls), or as it is after `timeoutMs`.
 */
async function waitForOutbox(
  app: AppServer,
  email: string,
  ready: (row: OutboxRow) => boolean,
  timeoutMs = 10_000,
): Promise<OutboxRow | undefined> {
  return withDatabase(app, async (client) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await client.query<OutboxRow>(
        `SELECT o.status, o.attempts FROM "NotificationOutbox" o JOIN "User" u ON u.id = o."userId"
         WHERE u.email = $1 AND o.kind = 'SIGN_IN'`,
        [email],
      );
      const found = result.rows[0];
      if ((found && ready(found)) || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
}

/** Links `chatId` to the account with `email`, as the bot's /start <token> would. */
async function linkChat(app: AppServer, email: string, chatId: number): Promise<void> {
  const inserted = await withDatabase(app, (client) =>
    client.query(
      `INSERT INTO "TelegramLink" (id, "userId", "chatId", "telegramUserId", username)
       SELECT $1, id, $2, $2, 'e2e' FROM "User" WHERE email = $3`,
      [`tl${randomBytes(8).toString("hex")}`, chatId, email],
    ),
  );
  expect(inserted.rowCount).toBe(1);
}

describe.runIf(databaseUrl !== null && redisUrl !== null)("Telegram sign-in alerts", () => {
  // The self-hosted sweeper every second, so a deferred alert goes out within the test.
  const running = appForSuite(() =>
    startPostgresApp(
      { databaseUrl: databaseUrl ?? "", redisUrl: redisUrl ?? "" },
      { ...botEnv(telegram().url, telegram()), OUTBOX_SWEEP_INTERVAL_SECONDS: "1" },
    ),
  );

  test("a sign-in sends an alert; 'Not me' signs every session out and edits the alert", async () => {
    const app = running();
    const fake = telegram();
    const { email, chatId, opened } = await linkedAccount(app, "alerted");
    try {
      fake.reset();
      await signIn(opened, app, email);

      const sent = await fake.waitForCall("sendMessage", (c) => c.params.chat_id === chatId);
      expect(String(sent.params.text)).toMatch(
        /^New sign-in to your account with email and password\.\n\nWhen: .+ UTC\nIP address: 127\.0\.0\.1\nDevice: Chrome on Linux\n\nWas this you\?$/,
      );
      const [alert] = fake.messages(chatId);
      if (!alert) throw new Error("no alert in the chat");
      const buttons = (alert.replyMarkup as { inline_keyboard: { callback_data: string }[][] })
        .inline_keyboard[0];
      const notMe = buttons?.[1]?.callback_data ?? "";
      expect(notMe).toMatch(/^alert:revoke:/);

      // Telegram posts the button press to the webhook.
      const response = await fetch(`${app.url}/api/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify({
          // Random: the webhook remembers update_ids in Redis for a day, across test runs too.
          update_id: randomInt(1_000_000, 2_000_000_000),
          callback_query: {
            id: "cb-e2e",
            from: { id: chatId, is_bot: false, first_name: "Ada" },
            chat_instance: "e2e",
            data: notMe,
            message: {
              message_id: alert.messageId,
              date: Math.floor(Date.now() / 1000),
              chat: { id: chatId, type: "private" },
              text: alert.text,
            },
          },
        }),
      });
      expect(response.status).toBe(200);
      // The bot may finish after its answer to Telegram (TELEGRAM_WEBHOOK_ACK_BUDGET_MS): the
      // button's answer comes last, once the sessions are revoked and the alert edited.
      const answer = await fake.waitForCall(
        "answerCallbackQuery",
        (c) => c.params.callback_query_id === "cb-e2e",
      );
      expect(answer.params.text).toBe("Signed out everywhere.");
      expect(fake.messages(chatId)[0]?.text).toContain("🚫 Signed out everywhere");

      // The browser's next request is signed out.
      await opened.page.goto(`${app.url}/account`);
      await opened.page.waitForURL(/\/sign-in\?callbackUrl=/);
    } finally {
      await opened.close();
    }
  });

  test("a slow Telegram does not hold the sign-in up: the page is there before Telegram answers", async () => {
    const app = running();
    const fake = telegram();
    const { email, chatId, opened } = await linkedAccount(app, "patient");
    try {
      fake.reset();
      const DELAY_MS = 8_000;
      fake.failNext("sendMessage", { delayMs: DELAY_MS });
      await signIn(opened, app, email);
      // Signed in, and Telegram has not answered the alert yet.
      const call = await fake.waitForCall("sendMessage", (c) => c.params.chat_id === chatId);
      expect(Date.now() - call.at).toBeLessThan(DELAY_MS);
      expect(fake.messages(chatId)).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("a Bot API 429 waits its retry_after; the self-hosted sweeper then delivers the alert once", async () => {
    const app = running();
    const fake = telegram();
    const { email, chatId, opened } = await linkedAccount(app, "throttled");
    try {
      fake.reset();
      // Longer than the 5 s a delivery waits inline: after() defers it to the sweeper.
      fake.failNext("sendMessage", { status: 429, retryAfter: 6 });
      await signIn(opened, app, email);

      const first = await fake.waitForCall("sendMessage", (c) => c.params.chat_id === chatId);
      const delivered = await waitForOutbox(app, email, (row) => row.status === "SENT", 20_000);
      expect(delivered).toEqual({ status: "SENT", attempts: 2 });
      const tries = fake.calls("sendMessage").filter((c) => c.params.chat_id === chatId);
      expect(tries).toHaveLength(2);
      // Not before Telegram said it could take it again.
      expect((tries[1]?.at ?? 0) - first.at).toBeGreaterThanOrEqual(6_000);
      expect(fake.messages(chatId)).toHaveLength(1);
      expect(fake.messages(chatId)[0]?.text).toMatch(/^New sign-in to your account/);
    } finally {
      await opened.close();
    }
  });
});

describe.runIf(databaseUrl !== null && redisUrl !== null)("with Telegram unreachable", () => {
  // Nothing listens on port 9: every Bot API call fails at once. No interval sweeper: only
  // the cron route retries here.
  const running = appForSuite(() =>
    startPostgresApp(
      { databaseUrl: databaseUrl ?? "", redisUrl: redisUrl ?? "" },
      {
        ...botEnv("http://127.0.0.1:9", telegram()),
        CRON_SECRET: CRON_SECRET,
        OUTBOX_SWEEP_INTERVAL_SECONDS: "0",
      },
    ),
  );

  test("sign-in completes, and the alert waits in the outbox for a later sweep", async () => {
    const app = running();
    const { email, opened } = await linkedAccount(app, "offline");
    try {
      await signIn(opened, app, email);
      // after() runs once the response has gone; give it a moment to record the failure.
      const row = await waitForOutbox(app, email, (found) => found.attempts > 0);
      expect(row).toMatchObject({ status: "PENDING" });
      expect(row?.attempts).toBeGreaterThanOrEqual(1);
    } finally {
      await opened.close();
    }
  });

  test("the cron sweep route wants CRON_SECRET, then tries due alerts again", async () => {
    const app = running();
    const sweepUrl = `${app.url}/api/outbox/sweep`;
    const refused = await fetch(sweepUrl);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: "unauthorized" });
    const wrong = await fetch(sweepUrl, { headers: { authorization: `Bearer ${"x".repeat(40)}` } });
    expect(wrong.status).toBe(401);

    const { email, opened } = await linkedAccount(app, "swept");
    try {
      await signIn(opened, app, email);
    } finally {
      await opened.close();
    }
    // after() retries a refused connection twice inline (about 2 s, then 4 s) and defers
    // the third failure's longer backoff to a sweeper: wait until it has let go of the row.
    const deferred = await waitForOutbox(app, email, (row) => row.attempts >= 3, 30_000);
    expect(deferred).toEqual({ status: "PENDING", attempts: 3 });
    // Time passes: the row is due.
    await withDatabase(app, (client) =>
      client.query(
        `UPDATE "NotificationOutbox" SET "nextAttemptAt" = (now() AT TIME ZONE 'UTC') - interval '1 second'
         WHERE "userId" = (SELECT id FROM "User" WHERE email = $1)`,
        [email],
      ),
    );

    const swept = await fetch(sweepUrl, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(swept.status).toBe(200);
    // At least ours: the earlier test's alert may be due again too.
    const result = (await swept.json()) as { sent: number; failed: number; deferred: number };
    expect(result).toMatchObject({ sent: 0, failed: 0 });
    expect(result.deferred).toBeGreaterThanOrEqual(1);
    expect(await waitForOutbox(app, email, () => true)).toEqual({ status: "PENDING", attempts: 4 });
  });
});
