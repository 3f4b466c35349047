// Jobs and events on RabbitMQ through the real server (`npm start` with AMQP_URL), a real
// rabbitmq-server of this file's own, `npm run worker` (scripts/worker.ts) as a process, the
// fake Bot API, and Chromium (docs/jobs.md):
// - a password sign-in in the browser: its alert goes web → broker → worker → Telegram, and
//   its CloudEvent reaches a service subscribed to `security.sign_in.*`;
// - the broker stopped for 20 s while people sign in: sign-ins work, /api/health answers 200
//   with the broker "unreachable", and once it is back every alert is delivered, none twice.
//
// PostgreSQL only: the worker shares the web process's database (AMQP_URL requires
// DATABASE_URL).
import { randomBytes, randomInt } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";

import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { Connection, type AsyncMessage, type Consumer } from "rabbitmq-client";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { EVENTS_EXCHANGE } from "@/lib/queue/topology";
import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";
import { rabbitMqInstalled, startRabbitMq, type RabbitMq } from "@/tests/support/rabbitmq";
import { startWorkerProcess, type WorkerProcess } from "@/tests/support/worker-process";

import { createPasswordAccountByRequest } from "./support/accounts";
import { launchBrowser, openPage } from "./support/browser";
import { appForSuite, startPostgresApp, type AppServer } from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const required = process.env.GATEHOUSE_TEST_SERVICES === "required";
const PASSWORD = "violet tram 71 under the pier";
const AUTH_SECRET = randomBytes(32).toString("base64");
const WEBHOOK_SECRET = "e2e-jobs-webhook-secret-".padEnd(40, "j");

describe.runIf(databaseUrl !== null && redisUrl !== null && (rabbitMqInstalled || required))(
  "jobs and events on RabbitMQ",
  () => {
    let browser: Browser | undefined;
    let fake: FakeTelegram | undefined;
    let rabbit: RabbitMq | undefined;
    let worker: WorkerProcess | undefined;
    let subscriber: Connection | undefined;
    let consumer: Consumer | undefined;
    const events: AsyncMessage[] = [];

    const the = <T>(value: T | undefined): T => {
      if (value === undefined) throw new Error("not started (see beforeAll)");
      return value;
    };
    const botEnv = () => ({
      TELEGRAM_BOT_TOKEN: the(fake).token,
      TELEGRAM_BOT_USERNAME: the(fake).botInfo.username,
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      TELEGRAM_TEST_API_URL: the(fake).url,
    });

    // Before the app: it connects to the broker as it starts.
    beforeAll(async () => {
      [browser, fake, rabbit] = await Promise.all([
        launchBrowser(),
        startFakeTelegram(),
        startRabbitMq(),
      ]);
    }, 120_000);

    const running = appForSuite(() =>
      startPostgresApp(
        { databaseUrl: databaseUrl ?? "", redisUrl: redisUrl ?? "" },
        {
          ...botEnv(),
          AUTH_SECRET,
          AMQP_URL: the(rabbit).url,
          OUTBOX_SWEEP_INTERVAL_SECONDS: "1",
        },
      ),
    );

    // `npm run worker` beside it, with the same settings; and a service subscribed to sign-ins.
    beforeAll(async () => {
      const app = running();
      if (!app.databaseUrl) throw new Error("the app has no PostgreSQL database");
      worker = await startWorkerProcess({
        env: {
          APP_URL: app.url,
          AUTH_SECRET,
          DATABASE_URL: app.databaseUrl,
          AMQP_URL: the(rabbit).url,
          OUTBOX_SWEEP_INTERVAL_SECONDS: "1",
          GATEHOUSE_DATA_DIR: join(the(rabbit).dir, "worker-data"),
          ...botEnv(),
        },
      });

      subscriber = new Connection({ url: the(rabbit).url, retryLow: 200, retryHigh: 1_000 });
      subscriber.on("error", () => {});
      consumer = subscriber.createConsumer(
        {
          queue: "e2e-sign-in-audit",
          queueOptions: { durable: true },
          queueBindings: [{ exchange: EVENTS_EXCHANGE, routingKey: "security.sign_in.*" }],
        },
        (message) => {
          events.push(message);
        },
      );
      await new Promise<void>((resolve) => consumer?.once("ready", () => resolve()));
    }, 120_000);

    afterAll(async () => {
      await consumer?.close();
      await subscriber?.close();
      await worker?.stop();
      await browser?.close();
      await fake?.close();
      await rabbit?.stop();
      if (rabbit) rmSync(rabbit.dir, { recursive: true, force: true });
    });

    /** A new account with a chat linked (as the bot's /start would), signed out again. */
    async function linkedAccount(app: AppServer) {
      const email = `jobs-${randomBytes(4).toString("hex")}@example.com`;
      const chatId = randomInt(6_000_000, 6_500_000);
      const opened = await openPage(the(browser), `${app.url}/sign-up`);
      await createPasswordAccountByRequest(opened.page, app.url, { email, password: PASSWORD });
      const client = new pg.Client({ connectionString: app.databaseUrl });
      await client.connect();
      try {
        const linked = await client.query(
          `INSERT INTO "TelegramLink" (id, "userId", "chatId", "telegramUserId", username)
           SELECT $1, id, $2, $2, 'e2e' FROM "User" WHERE email = $3 RETURNING "userId"`,
          [`tl${randomBytes(8).toString("hex")}`, chatId, email],
        );
        const userId = String((linked.rows[0] as { userId: string }).userId);
        await opened.page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
        await opened.page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
        return { email, chatId, userId, opened };
      } finally {
        await client.end();
      }
    }

    async function signIn(page: Page, url: string, email: string) {
      await page.goto(`${url}/sign-in`);
      const main = page.getByRole("main");
      await main.getByLabel("Email", { exact: true }).fill(email);
      await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await main.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
    }

    async function outboxStatus(app: AppServer, email: string): Promise<string[]> {
      const client = new pg.Client({ connectionString: app.databaseUrl });
      await client.connect();
      try {
        const result = await client.query<{ status: string }>(
          `SELECT o.status FROM "NotificationOutbox" o JOIN "User" u ON u.id = o."userId"
           WHERE u.email = $1 AND o.kind = 'SIGN_IN' ORDER BY o."createdAt"`,
          [email],
        );
        return result.rows.map((row) => row.status);
      } finally {
        await client.end();
      }
    }

    test("a sign-in's alert goes through the broker and the worker, and its event to subscribers", async () => {
      const app = running();
      const telegram = the(fake);
      const { email, chatId, userId, opened } = await linkedAccount(app);
      try {
        telegram.reset();
        await signIn(opened.page, app.url, email);
        const sent = await telegram.waitForCall(
          "sendMessage",
          (call) => call.params.chat_id === chatId,
          20_000,
        );
        expect(String(sent.params.text)).toMatch(/^New sign-in to your account with email/);
        await expect.poll(() => outboxStatus(app, email), { timeout: 10_000 }).toEqual(["SENT"]);
        // The worker sent it, not the web process.
        expect(app.output()).not.toContain('"message":"telegram alert deferred"');

        await expect
          .poll(
            () =>
              events.find(
                (event) =>
                  event.routingKey === "security.sign_in.succeeded" &&
                  (event.body as { subject?: string }).subject === userId,
              ),
            { timeout: 10_000 },
          )
          .toBeDefined();
        const event = events.find(
          (candidate) => (candidate.body as { subject?: string }).subject === userId,
        );
        expect(event?.body).toMatchObject({
          specversion: "1.0",
          source: app.url,
          type: "security.sign_in.succeeded",
          data: { method: "password", ip: "127.0.0.1" },
        });
        expect(telegram.messages(chatId)).toHaveLength(1);
      } finally {
        await opened.close();
      }
    });

    test("the broker away for 20 s: sign-ins work, health says degraded with 200, then each alert goes out once", async () => {
      const app = running();
      const telegram = the(fake);
      const people = [await linkedAccount(app), await linkedAccount(app)];
      telegram.reset();
      const stoppedAt = Date.now();
      await the(rabbit).stop();
      try {
        for (const person of people) await signIn(person.opened.page, app.url, person.email);
        await expect
          .poll(
            async () => {
              const health = await fetch(`${app.url}/api/health`);
              return { status: health.status, body: (await health.json()) as unknown };
            },
            { timeout: 20_000, interval: 500 },
          )
          .toEqual({
            status: 200,
            body: {
              status: "degraded",
              checks: { database: "ok", redis: "ok", broker: "unreachable" },
            },
          });
        for (const person of people) {
          expect(await outboxStatus(app, person.email)).toEqual(["PENDING"]);
        }
        expect(telegram.calls("sendMessage")).toEqual([]);
        // The rest of the 20 s.
        await new Promise((resolve) => setTimeout(resolve, 20_000 - (Date.now() - stoppedAt)));
      } finally {
        await the(rabbit).restart();
      }

      for (const person of people) {
        await telegram.waitForCall(
          "sendMessage",
          (call) => call.params.chat_id === person.chatId,
          60_000,
        );
        await expect
          .poll(() => outboxStatus(app, person.email), { timeout: 10_000 })
          .toEqual(["SENT"]);
      }
      // None twice, even after a few more sweeps.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      for (const person of people) expect(telegram.messages(person.chatId)).toHaveLength(1);
      expect(telegram.calls("sendMessage")).toHaveLength(2);
      const health = await fetch(`${app.url}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", checks: { broker: "ok" } });
      for (const person of people) await person.opened.close();
    }, 180_000);
  },
);
