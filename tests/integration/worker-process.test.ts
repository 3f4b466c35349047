// `npm run worker` as a process (scripts/worker.ts), the way it runs next to `npm start`:
// PostgreSQL (the worker needs a shared database: DATABASE_URL), a rabbitmq-server of this
// file's own, and the fake Bot API as its Telegram.
// - it relays rows nobody handed over yet (its own sweep) and delivers them;
// - it delivers what a web process hands to the broker;
// - SIGTERM stops it cleanly (exit code 0), and messages published while no worker runs are
//   delivered once the next one starts, each once;
// - it publishes each security event to `gatehouse.events` as it is recorded: a subscriber
//   bound to `security.#` gets a sign-in's CloudEvent. (How soon is the bench's to measure:
//   the worker looks every 250 ms.)
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Connection, type AsyncMessage } from "rabbitmq-client";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";

import { createDatabase, type Database } from "@/lib/db";
import { applyMigrations } from "@/lib/migrations/runner";
import { createBroker, type Broker } from "@/lib/queue/broker";
import { createOutboxRelay } from "@/lib/queue/relay";
import { DELIVERY_QUEUE, EVENTS_EXCHANGE } from "@/lib/queue/topology";
import { recordSecurityEvent } from "@/lib/security/events";
import { alertHook } from "@/lib/telegram/outbox";
import { migrationsDir } from "@/tests/support/backends";
import { createPostgresDatabase, type TestPostgresDatabase } from "@/tests/support/databases";
import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";
import { memoryLogger } from "@/tests/support/logger";
import { rabbitMqInstalled, startRabbitMq, type RabbitMq } from "@/tests/support/rabbitmq";
import { startTcpProxy } from "@/tests/support/tcp-proxy";
import { startWorkerProcess, type WorkerProcess } from "@/tests/support/worker-process";

const serverUrl = inject("databaseUrl");
const required = process.env.GATEHOUSE_TEST_SERVICES === "required";

describe.runIf(serverUrl !== null && (rabbitMqInstalled || required))("npm run worker", () => {
  let pg: TestPostgresDatabase | undefined;
  let database: Database | undefined;
  let rabbit: RabbitMq | undefined;
  let broker: Broker | undefined;
  let fake: FakeTelegram | undefined;
  let dataDir = "";
  let chatIds = 660_000_000;

  beforeAll(async () => {
    if (!serverUrl) throw new Error("no PostgreSQL server for this run");
    dataDir = mkdtempSync(join(tmpdir(), "gatehouse-worker-"));
    [pg, rabbit, fake] = await Promise.all([
      createPostgresDatabase(serverUrl),
      startRabbitMq(),
      startFakeTelegram(),
    ]);
    database = createDatabase({
      kind: "postgres",
      url: pg.url,
      poolMax: 4,
      connectionTimeoutMs: 5_000,
      idleTimeoutMs: 10_000,
      statementTimeoutMs: 10_000,
    });
    await applyMigrations({ connection: database.sql, migrationsDir });
    broker = createBroker({
      url: rabbit.url,
      logger: memoryLogger(),
      connectionName: "gatehouse-test-web",
      retryLowMs: 100,
      retryHighMs: 500,
    });
  }, 120_000);
  afterAll(async () => {
    await broker?.close();
    await database?.close();
    await pg?.drop();
    await fake?.close();
    await rabbit?.stop();
    if (rabbit) rmSync(rabbit.dir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => fake?.reset());

  const the = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("not started (see beforeAll)");
    return value;
  };

  /** Starts `npm run worker` against this file's database, fake Bot API and `amqpUrl`. */
  function startWorker(amqpUrl = the(rabbit).url, sweepSeconds = "1"): Promise<WorkerProcess> {
    const telegram = the(fake);
    return startWorkerProcess({
      env: {
        APP_URL: "http://localhost:3999",
        AUTH_SECRET: randomBytes(32).toString("base64"),
        GATEHOUSE_DATA_DIR: dataDir,
        DATABASE_URL: the(pg).url,
        AMQP_URL: amqpUrl,
        OUTBOX_SWEEP_INTERVAL_SECONDS: sweepSeconds,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_BOT_USERNAME: telegram.botInfo.username,
        TELEGRAM_WEBHOOK_SECRET: "w".repeat(32),
        TELEGRAM_TEST_API_URL: telegram.url,
      },
    });
  }

  /** A user with a linked chat and a sign-in alert queued in the outbox. */
  async function queuedAlert(): Promise<{ id: string; chatId: number }> {
    const prisma = the(database).prisma;
    const chatId = ++chatIds;
    const user = await prisma.user.create({
      data: { email: `${randomBytes(5).toString("hex")}@example.com`, name: "Ada" },
    });
    await prisma.telegramLink.create({
      data: { userId: user.id, chatId: BigInt(chatId), telegramUserId: BigInt(chatId) },
    });
    await recordSecurityEvent(
      prisma,
      { userId: user.id, type: "SIGN_IN", method: "password" },
      { afterRecord: alertHook({ deliverSoon: () => {} }) },
    );
    const row = await prisma.notificationOutbox.findFirstOrThrow({ where: { userId: user.id } });
    return { id: row.id, chatId };
  }

  const statusOf = async (id: string) =>
    (await the(database).prisma.notificationOutbox.findUniqueOrThrow({ where: { id } })).status;

  it("relays and delivers; stops on SIGTERM; what comes while it is down goes out after", async () => {
    const telegram = the(fake);
    const first = await startWorker();
    let exitCode: number | null = null;
    try {
      // Queued with nobody to hand it over: the worker's own sweep relays it.
      const swept = await queuedAlert();
      await telegram.waitForCall(
        "sendMessage",
        (call) => call.params.chat_id === swept.chatId,
        15_000,
      );
      await expect.poll(() => statusOf(swept.id), { timeout: 10_000 }).toBe("SENT");

      // Handed over by a web process's relay.
      const handed = await queuedAlert();
      const relay = createOutboxRelay({
        prisma: the(database).prisma,
        publisher: the(broker),
        logger: memoryLogger(),
        channels: ["TELEGRAM"],
      });
      await relay.relayDue();
      await expect.poll(() => statusOf(handed.id), { timeout: 10_000 }).toBe("SENT");
    } finally {
      exitCode = await first.stop();
    }
    expect(exitCode).toBe(0);
    expect(first.output()).toContain('"message":"worker stopping"');

    // No worker: the web process hands two alerts to the broker; they wait there.
    const waiting = [await queuedAlert(), await queuedAlert()];
    const published = await createOutboxRelay({
      prisma: the(database).prisma,
      publisher: the(broker),
      logger: memoryLogger(),
      channels: ["TELEGRAM"],
    }).relayDue();
    expect(published).toEqual({ published: 2, failed: 0 });
    expect(telegram.calls("sendMessage")).toHaveLength(2);

    const second = await startWorker();
    try {
      for (const alert of waiting) {
        await expect.poll(() => statusOf(alert.id), { timeout: 15_000 }).toBe("SENT");
        expect(telegram.messages(alert.chatId)).toHaveLength(1);
      }
      expect(telegram.calls("sendMessage")).toHaveLength(4);
    } finally {
      exitCode = await second.stop();
    }
    expect(exitCode).toBe(0);
  }, 120_000);

  it("publishes a security event as it is recorded, for any service that subscribes", async () => {
    const subscriber = new Connection(the(rabbit).url);
    const received: AsyncMessage[] = [];
    const consumer = subscriber.createConsumer(
      {
        queue: `audit-${randomBytes(4).toString("hex")}`,
        queueOptions: { exclusive: true },
        queueBindings: [{ exchange: EVENTS_EXCHANGE, routingKey: "security.#" }],
      },
      (message) => {
        received.push(message);
      },
    );
    await new Promise<void>((resolve) => consumer.once("ready", () => resolve()));
    const worker = await startWorker();
    let exitCode: number | null = null;
    try {
      const user = await the(database).prisma.user.create({
        data: { email: `${randomBytes(5).toString("hex")}@example.com`, name: "Ada" },
      });
      const id = await recordSecurityEvent(the(database).prisma, {
        userId: user.id,
        type: "SIGN_IN",
        method: "google",
        requestId: "req-worker-event",
      });
      await expect
        .poll(() => received.find((message) => message.messageId === id), { timeout: 10_000 })
        .toBeDefined();
      const message = received.find((candidate) => candidate.messageId === id);
      expect(message?.routingKey).toBe("security.sign_in.succeeded");
      expect(message?.body).toMatchObject({
        specversion: "1.0",
        id,
        source: "http://localhost:3999",
        type: "security.sign_in.succeeded",
        subject: user.id,
        data: { method: "google", requestId: "req-worker-event" },
      });
      // Published once, and no longer queued.
      await expect
        .poll(() => the(database).prisma.eventOutbox.count({ where: { securityEventId: id } }))
        .toBe(0);
      expect(received.filter((candidate) => candidate.messageId === id)).toHaveLength(1);
    } finally {
      exitCode = await worker.stop();
      await consumer.close();
      await subscriber.close();
    }
    expect(exitCode).toBe(0);
  }, 120_000);

  it("a worker killed after sending and before its ack reached the broker: redelivered, not sent again", async () => {
    const telegram = the(fake);
    // The worker talks to the broker through a proxy the test can cut: its ack can be lost
    // on the way while the worker goes on as if it had arrived, so it can be killed exactly
    // there (sent, recorded, acknowledged as far as it knows; unacknowledged for the broker).
    const proxy = await startTcpProxy({ port: the(rabbit).port });
    const observer = new Connection(the(rabbit).url);
    let second: WorkerProcess | undefined;
    try {
      const doomed = await startWorker(`amqp://guest:guest@127.0.0.1:${proxy.port}`, "0");
      const alert = await queuedAlert();
      let answer = () => {};
      telegram.failNext("sendMessage", {
        until: new Promise<void>((resolve) => (answer = resolve)),
      });
      const relay = createOutboxRelay({
        prisma: the(database).prisma,
        publisher: the(broker),
        logger: memoryLogger(),
        channels: ["TELEGRAM"],
      });
      expect(await relay.relayDue()).toEqual({ published: 1, failed: 0 });

      // The worker has the message and is sending it; from here its bytes go nowhere.
      await telegram.waitForCall("sendMessage", (call) => call.params.chat_id === alert.chatId);
      proxy.dropClientBytes();
      answer();
      await expect.poll(() => statusOf(alert.id), { timeout: 15_000 }).toBe("SENT");
      await doomed.stop("SIGKILL");

      // The broker never saw the ack: the message is back in the queue.
      await expect
        .poll(
          async () =>
            (await observer.queueDeclare({ queue: DELIVERY_QUEUE, passive: true })).messageCount,
          { timeout: 15_000 },
        )
        .toBe(1);

      // The next worker gets it, finds the row SENT, and sends nothing.
      second = await startWorker(the(rabbit).url, "0");
      await expect
        .poll(() => second?.output() ?? "", { timeout: 15_000 })
        .toContain("already done: nothing sent");
      expect(second.output()).toContain(`"notificationId":"${alert.id}"`);
      await expect
        .poll(
          async () =>
            (await observer.queueDeclare({ queue: DELIVERY_QUEUE, passive: true })).messageCount,
        )
        .toBe(0);
      expect(telegram.messages(alert.chatId)).toHaveLength(1);
      expect(
        telegram.calls("sendMessage").filter((call) => call.params.chat_id === alert.chatId),
      ).toHaveLength(1);
    } finally {
      await second?.stop();
      await observer.close();
      await proxy.close();
    }
  }, 120_000);
});
