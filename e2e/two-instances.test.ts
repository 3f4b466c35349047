// Two app instances on one PostgreSQL and one redis-server, as behind a load balancer: the
// same AUTH_SECRET, so a browser signed in through one is signed in on the other, and a
// session revoked through one is refused by the other on its very next request (every page
// checks the Session row; nothing about a session is kept in an instance's memory). The
// rate limits are counted in Redis, so attempts through both add up; and both instances'
// outbox sweepers race for the same queued alerts, each of which goes out once.
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes, randomInt } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { createDatabase, type Database } from "@/lib/db";
import { recordSecurityEvent } from "@/lib/security/events";
import { alertHook } from "@/lib/telegram/outbox";
import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";

import { launchBrowser, openPage } from "./support/browser";
import { createPasswordAccountByRequest, signInWithPassword } from "./support/accounts";
import { expectWrongPasswordRedirect, postCredentials } from "./support/http";
import {
  printServerOutputOnFailure,
  startApp,
  startPostgresApp,
  type AppServer,
} from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const PASSWORD = "two doors, one gatehouse 44";
/** Sign-in attempts per address in 5 minutes, on both instances. */
const SIGN_IN_IP = 4;

/**
 * An address nobody used before, sent as the trusted proxy's X-Forwarded-For: the e2e files
 * before this one signed in from 127.0.0.1 on the same redis-server, and a rerun within the
 * window must not find its own addresses used.
 */
const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe.runIf(databaseUrl !== null && redisUrl !== null)(
  "two instances on one PostgreSQL and one Redis",
  () => {
    let browser: Browser | undefined;
    let first: AppServer | undefined;
    let second: AppServer | undefined;
    let telegram: FakeTelegram | undefined;
    let database: Database | undefined;
    const secondDataDir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-data-"));

    beforeAll(async () => {
      if (!databaseUrl || !redisUrl) throw new Error("no test servers");
      [browser, telegram] = await Promise.all([launchBrowser(), startFakeTelegram()]);
      // The same settings for both, as one deployment's instances have.
      const shared = {
        AUTH_SECRET: randomBytes(32).toString("base64"),
        TRUSTED_PROXIES: "127.0.0.1",
        RATE_LIMIT_SIGN_IN_IP: `${SIGN_IN_IP}/5m`,
        OUTBOX_SWEEP_INTERVAL_SECONDS: "1",
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_BOT_USERNAME: telegram.botInfo.username,
        TELEGRAM_WEBHOOK_SECRET: "t".repeat(32),
        TELEGRAM_TEST_API_URL: telegram.url,
      };
      first = await startPostgresApp({ databaseUrl, redisUrl }, shared);
      if (!first.databaseUrl) throw new Error("the first instance has no database");
      second = await startApp({
        name: "postgres (second instance)",
        env: {
          ...shared,
          DATABASE_URL: first.databaseUrl,
          REDIS_URL: redisUrl,
          GATEHOUSE_DATA_DIR: secondDataDir,
        },
      });
      database = createDatabase({
        kind: "postgres",
        url: first.databaseUrl,
        poolMax: 2,
        connectionTimeoutMs: 5_000,
        idleTimeoutMs: 10_000,
        statementTimeoutMs: 10_000,
      });
    });
    afterAll(async () => {
      await second?.stop();
      await first?.stop();
      await database?.close();
      await telegram?.close();
      await browser?.close();
      rmSync(secondDataDir, { recursive: true, force: true });
    });
    printServerOutputOnFailure(() => first);
    printServerOutputOnFailure(() => second);

    function servers(): { one: AppServer; two: AppServer; chromium: Browser } {
      if (!first || !second || !browser) throw new Error("not started (see beforeAll)");
      return { one: first, two: second, chromium: browser };
    }

    async function signedInAs(page: Page): Promise<string | null> {
      const link = page.getByRole("banner").getByRole("link", { name: "Account" });
      if ((await link.count()) === 0) return null;
      return page.getByRole("banner").locator("p").first().textContent();
    }

    test("a session revoked through one instance is refused by the other on its next request", async () => {
      const { one, two, chromium } = servers();
      const email = `two-instances-${randomBytes(4).toString("hex")}@example.com`;
      // Cookies belong to a host, not a port: both instances see the same cookie jar.
      // Each from an address of its own, as two devices behind the load balancer would be.
      const laptop = await openPage(chromium, `${one.url}/`, {
        headers: { "x-forwarded-for": freshIp() },
      });
      const phone = await openPage(chromium, `${two.url}/`, {
        headers: { "x-forwarded-for": freshIp() },
      });
      try {
        await createPasswordAccountByRequest(laptop.page, one.url, { email, password: PASSWORD });
        await signInWithPassword(phone.page, two.url, { email, password: PASSWORD });

        // The laptop signed in through the first instance is signed in on the second.
        await laptop.page.goto(`${two.url}/account`);
        await laptop.page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
        const devices = laptop.page.getByRole("region", { name: "Devices" });
        expect(await devices.getByRole("listitem").count()).toBe(2);

        // The phone, through the second instance, signs the laptop out.
        await phone.page.goto(`${two.url}/account`);
        const phoneDevices = phone.page.getByRole("region", { name: "Devices" });
        await phoneDevices
          .getByRole("listitem")
          .filter({ hasNotText: "This device" })
          .getByRole("button", { name: "Sign out" })
          .click();
        await expect.poll(() => phoneDevices.getByRole("listitem").count()).toBe(1);

        // The laptop's next request, to the first instance: signed out everywhere.
        await laptop.page.goto(`${one.url}/`);
        expect(await signedInAs(laptop.page)).toBeNull();
        await laptop.page.goto(`${one.url}/account`);
        expect(new URL(laptop.page.url()).pathname).toBe("/sign-in");
        await laptop.page.goto(`${two.url}/account`);
        expect(new URL(laptop.page.url()).pathname).toBe("/sign-in");

        // The phone is still signed in on both.
        for (const server of [one, two]) {
          await phone.page.goto(`${server.url}/`);
          expect(await signedInAs(phone.page)).toContain(email);
        }
      } finally {
        await laptop.close();
        await phone.close();
      }
    });

    test("rate limits are shared: attempts through both instances add up", async () => {
      const { one, two } = servers();
      const ip = freshIp();
      const guess = (server: AppServer, n: number) =>
        postCredentials(server, {
          ip,
          email: `spray-${n}-${randomBytes(3).toString("hex")}@example.com`,
          password: PASSWORD,
        });
      // Half the address's allowance through each instance…
      for (let n = 0; n < SIGN_IN_IP; n += 1) {
        expectWrongPasswordRedirect(await guess(n % 2 === 0 ? one : two, n));
      }
      // …and both refuse the next one: they count in the same place.
      for (const server of [one, two]) {
        const refused = await guess(server, SIGN_IN_IP);
        expect(refused.status).toBe(429);
        expect(refused.headers.get("ratelimit-limit")).toBe(String(SIGN_IN_IP));
        await refused.body?.cancel();
      }
    });

    test("both instances sweep the outbox: every queued alert goes out once", async () => {
      const fake = telegram;
      const prisma = database?.prisma;
      if (!fake || !prisma) throw new Error("not started (see beforeAll)");
      // Ten accounts with a chat linked, each with a sign-in alert queued and not delivered
      // (as if its response's after() never ran): the sweepers of both instances, every
      // second, claim from the same table.
      const chats: { id: string; chatId: number }[] = [];
      for (let n = 0; n < 10; n += 1) {
        const chatId = 880_000_000 + Number.parseInt(randomBytes(3).toString("hex"), 16);
        const user = await prisma.user.create({
          data: {
            email: `swept-${randomBytes(4).toString("hex")}@example.com`,
            telegramLink: { create: { chatId, telegramUserId: chatId } },
          },
        });
        await recordSecurityEvent(
          prisma,
          { userId: user.id, type: "SIGN_IN", method: "password", ip: "203.0.113.4" },
          { afterRecord: alertHook({ deliverSoon: () => {} }) },
        );
        const row = await prisma.notificationOutbox.findFirstOrThrow({
          where: { userId: user.id },
        });
        chats.push({ id: row.id, chatId });
      }
      const ids = chats.map((chat) => chat.id);
      await expect
        .poll(
          () => prisma.notificationOutbox.count({ where: { id: { in: ids }, status: "SENT" } }),
          { timeout: 30_000 },
        )
        .toBe(ids.length);
      // A SENT row is never claimed again, so what was sent is all there will be.
      for (const { chatId } of chats) {
        expect(
          fake.calls("sendMessage").filter((call) => call.params.chat_id === chatId),
        ).toHaveLength(1);
      }
    });
  },
);
