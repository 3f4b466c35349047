// Sign in with Telegram (OpenID Connect) in Chromium, through `npm start`, the fake identity
// provider speaking Telegram's login (discovery, PKCE, the `id` claim, no email) and the fake
// Bot API the alerts go to. One click gives sign-in and alerts when the person lets the bot
// write to them; linking Telegram to a password account does the same; unlinking it asks
// whether to keep the alerts.
//
// PostgreSQL-backed, so the test can read the rows the flows leave.
import { randomBytes, randomInt } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";

import { createPasswordAccountByRequest } from "./support/accounts";
import { launchBrowser, openPage, screenshot, screenshotDir } from "./support/browser";
import { startRig, type Rig } from "./support/rig";
import { printServerOutputOnFailure } from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const PASSWORD = "violet tram 71 under the pier";
const BOT_NAME = "Gatehouse Bot";

let browser: Browser | undefined;
let telegram: FakeTelegram | undefined;
let rig: Rig | undefined;

describe.runIf(databaseUrl !== null && redisUrl !== null)("Sign in with Telegram", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
    telegram = await startFakeTelegram();
    rig = await startRig({
      backend: "postgres",
      servers: { databaseUrl: databaseUrl ?? "", redisUrl: redisUrl ?? "" },
      env: {
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_BOT_USERNAME: telegram.botInfo.username,
        TELEGRAM_WEBHOOK_SECRET: "e2e-webhook-secret-".padEnd(40, "z"),
        TELEGRAM_TEST_API_URL: telegram.url,
      },
    });
  });
  afterAll(async () => {
    await rig?.stop();
    await telegram?.close();
    await browser?.close();
  });
  printServerOutputOnFailure(() => rig?.app);

  const r = () => {
    if (!rig || !telegram) throw new Error("the app did not start (see beforeAll)");
    return { app: rig.app, idp: rig.idp, bot: telegram };
  };

  async function open(path: string, viewport: "phone" | "desktop" = "desktop") {
    if (!browser) throw new Error("the browser did not launch");
    return openPage(browser, `${r().app.url}${path}`, { viewport });
  }

  /** A Telegram person the fake will sign in as, with a fresh user id. */
  function telegramPerson(name: string, username: string) {
    const id = randomInt(7_000_000_000, 7_900_000_000);
    r().idp.setIdentity("telegram", { id, name, preferred_username: username });
    return id;
  }

  async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[]) {
    const client = new pg.Client({ connectionString: r().app.databaseUrl });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  const chatOf = (telegramUserId: number) =>
    query<{ userId: string }>(`SELECT "userId" FROM "TelegramLink" WHERE "chatId" = $1`, [
      telegramUserId,
    ]);

  async function sessionUser(page: Page): Promise<{ id?: string; name?: string } | undefined> {
    const response = await page.request.get(`${r().app.url}/api/auth/session`);
    return ((await response.json()) as { user?: { id?: string; name?: string } } | null)?.user;
  }

  /** At Telegram's consent screen: the messages box as asked, then Authorize. */
  async function authorizeAtTelegram(page: Page, allowMessages: boolean) {
    const box = page.getByLabel(`Allow ${BOT_NAME} to send you messages`);
    await box.waitFor();
    // Checked unless the person switches it off.
    expect(await box.isChecked()).toBe(true);
    if (!allowMessages) await box.uncheck();
    await page.getByRole("button", { name: "Authorize" }).click();
    await page.waitForURL((url) => url.origin === r().app.url && !url.pathname.startsWith("/api/"));
  }

  const section = (page: Page, name: string) => page.getByRole("region", { name });

  /** A new password account in its own page, with Telegram linked from the account page. */
  async function passwordAccountLinkedToTelegram(
    person: { name: string; username: string },
    viewport: "phone" | "desktop" = "desktop",
  ) {
    const id = telegramPerson(person.name, person.username);
    const email = `tg-link-${randomBytes(4).toString("hex")}@example.com`;
    const opened = await open("/sign-up", viewport);
    try {
      const { page } = opened;
      await createPasswordAccountByRequest(
        page,
        r().app.url,
        { email, password: PASSWORD },
        { landOn: "/account" },
      );
      const methods = section(page, "Sign-in methods");
      await methods.getByRole("button", { name: "Link Telegram" }).click();
      await authorizeAtTelegram(page, true);
      expect(new URL(page.url()).pathname).toBe("/account");
      await expect.poll(() => methods.textContent()).toContain("Telegram is now linked.");
      return { id, opened, methods };
    } catch (error) {
      await opened.close();
      throw error;
    }
  }

  test("one click: a new account signed in with Telegram, its alerts connected", async () => {
    const { bot, idp } = r();
    const id = telegramPerson("Ada Telegram", "ada_tg");
    const opened = await open("/sign-in");
    try {
      const { page } = opened;
      await screenshot(page, "telegram-sign-in-desktop");
      await page.getByRole("button", { name: "Continue with Telegram" }).click();
      await authorizeAtTelegram(page, true);
      expect((await sessionUser(page))?.name).toBe("Ada Telegram");

      // The protocol as Telegram's: PKCE S256, the scopes, the secret in HTTP Basic.
      const authorize = idp.callsTo("telegram", "authorize").at(-1);
      expect(authorize?.query.code_challenge_method).toBe("S256");
      expect(authorize?.query.scope?.split(" ").sort()).toEqual([
        "openid",
        "profile",
        "telegram:bot_access",
      ]);
      expect(idp.callsTo("telegram", "token").at(-1)?.headers.authorization).toMatch(/^Basic /);

      // The chat is the person's Telegram user id; it is told at once.
      // The chat also gets the sign-in's own alert; the two may arrive in either order.
      await bot.waitForCall(
        "sendMessage",
        (call) =>
          call.params.chat_id === id &&
          String(call.params.text).startsWith("Connected to Ada Telegram. "),
        15_000,
      );
      const [link] = await chatOf(id);
      expect(link?.userId).toBe((await sessionUser(page))?.id);

      await page.goto(`${r().app.url}/account`);
      const alerts = section(page, "Telegram alerts");
      expect(await alerts.textContent()).toContain("Connected to @ada_tg");
      const methods = section(page, "Sign-in methods");
      expect(await methods.textContent()).toContain("@ada_tg");
      expect(opened.consoleErrors.filter((line) => !line.endsWith("/favicon.ico)"))).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("with the bot's messages switched off: signed in, no alerts connected", async () => {
    const { bot } = r();
    const id = telegramPerson("Quiet Person", "quiet_tg");
    const opened = await open("/sign-in", "phone");
    try {
      const { page } = opened;
      await screenshot(page, "telegram-sign-in-phone");
      await page.getByRole("button", { name: "Continue with Telegram" }).click();
      await authorizeAtTelegram(page, false);
      expect((await sessionUser(page))?.name).toBe("Quiet Person");
      expect(await chatOf(id)).toEqual([]);
      expect(bot.calls("sendMessage").filter((call) => call.params.chat_id === id)).toEqual([]);
      await page.goto(`${r().app.url}/account`);
      expect(
        await section(page, "Telegram alerts")
          .getByRole("button", { name: "Connect Telegram" })
          .isVisible(),
      ).toBe(true);
    } finally {
      await opened.close();
    }
  });

  for (const viewport of ["desktop", "phone"] as const) {
    test(`Telegram linked to a password account, then unlinked with its alerts (${viewport})`, async () => {
      const { bot } = r();
      const username = `grace_${viewport}`;
      const { id, opened, methods } = await passwordAccountLinkedToTelegram(
        { name: "Grace Linker", username },
        viewport,
      );
      try {
        const { page } = opened;
        expect(await methods.textContent()).toContain(`@${username}`);
        await bot.waitForCall("sendMessage", (call) => call.params.chat_id === id, 15_000);
        expect(await chatOf(id)).toHaveLength(1);

        // Unlinking asks about the alerts; keeping them is the default.
        const row = methods.getByRole("listitem").filter({ hasText: "Telegram" });
        await row.getByRole("button", { name: "Unlink" }).click();
        const keep = methods.getByLabel("Keep sending sign-in alerts to this Telegram chat");
        expect(await keep.isChecked()).toBe(true);
        // The section alone: the whole account page is too tall to read at this size.
        mkdirSync(screenshotDir, { recursive: true });
        await methods.screenshot({
          path: join(screenshotDir, `telegram-unlink-confirm-${viewport}.png`),
        });
        await keep.uncheck();
        await methods.getByRole("button", { name: "Unlink Telegram" }).click();
        await expect.poll(() => methods.textContent()).not.toContain(`@${username}`);
        expect(await chatOf(id)).toEqual([]);
        const activity = section(page, "Security activity");
        await expect.poll(() => activity.textContent()).toContain("Unlinked Telegram");
        expect(await activity.textContent()).toContain("Telegram disconnected");
        expect(opened.consoleErrors.filter((line) => !line.endsWith("/favicon.ico)"))).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  }

  test("unlinking Telegram keeps its alerts unless asked", async () => {
    const { id, opened, methods } = await passwordAccountLinkedToTelegram({
      name: "Keeper",
      username: "keeper_tg",
    });
    try {
      const { page } = opened;
      const row = methods.getByRole("listitem").filter({ hasText: "Telegram" });
      await row.getByRole("button", { name: "Unlink" }).click();
      await methods.getByRole("button", { name: "Unlink Telegram" }).click();
      await expect.poll(() => methods.textContent()).not.toContain("@keeper_tg");
      expect(await chatOf(id)).toHaveLength(1);
      expect(await section(page, "Telegram alerts").textContent()).toContain(
        "Connected to @keeper_tg",
      );
    } finally {
      await opened.close();
    }
  });
});
