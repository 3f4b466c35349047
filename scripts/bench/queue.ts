// Queue: jobs and events through RabbitMQ (docs/jobs.md), on the run's PostgreSQL (a
// database of its own), a rabbitmq-server of its own (tests/support/rabbitmq.ts), the fake
// Bot API as Telegram, and `npm run worker` as a process with its default prefetch.
//
// 1. Throughput: `rows` sign-in alerts (and their `rows` security events) are queued while no
//    worker runs; then the worker starts, and the relays (its own first sweep, and this
//    process's, as a web process's after() would) hand the rows to the broker.
//    Deliveries/s = rows ÷ the time from the worker's "worker started" to the last alert at
//    the Bot API; events/s = rows ÷ the time to the last CloudEvent at a subscriber of
//    `security.#`. Both drain at once, as they would.
// 2. Latency: with the worker idle, `samples` sign-ins recorded at `ratePerSecond`, each
//    followed by a relay run as its response's after() would start: from the event's commit
//    to its alert arriving at the Bot API, p50 / p99. (A recorded event stands for the
//    sign-in: the HTTP part is the pages and signin sections'.)
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

import { Connection } from "rabbitmq-client";

import { createLogger } from "@/lib/logger";
import { createBroker } from "@/lib/queue/broker";
import { createOutboxRelay } from "@/lib/queue/relay";
import { EVENTS_EXCHANGE } from "@/lib/queue/topology";
import { recordSecurityEvent } from "@/lib/security/events";
import { alertHook } from "@/lib/telegram/outbox";
import { createPostgresDatabase } from "@/tests/support/databases";
import { startFakeTelegram } from "@/tests/support/fake-telegram";
import { startRabbitMq } from "@/tests/support/rabbitmq";
import { startWorkerProcess } from "@/tests/support/worker-process";

import { openBenchDatabase } from "./accounts";
import { killGroup, onCleanup, trackChild } from "./cleanup";
import type { Services } from "./services";
import { distribution, ms, type Distribution } from "./stats";

export interface QueueOptions {
  root: string;
  services: Services;
  rows: number;
  samples: number;
  ratePerSecond: number;
}

export interface QueueResult {
  rows: number;
  deliveriesPerSecond: number;
  eventsPerSecond: number;
  latency: Distribution;
  /** From a sign-in's commit to its CloudEvent at a subscriber of `gatehouse.events`. */
  eventLatency: Distribution;
  samples: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export async function benchQueue(options: QueueOptions): Promise<QueueResult> {
  const logger = createLogger({ level: "warn" });
  const [pg, rabbit, fake] = await Promise.all([
    createPostgresDatabase(options.services.databaseUrl),
    startRabbitMq(),
    startFakeTelegram(),
  ]);
  onCleanup("stop the queue section's broker", async () => {
    await rabbit.stop();
    rmSync(rabbit.dir, { recursive: true, force: true });
  });
  onCleanup("stop the queue section's Bot API", () => fake.close());
  onCleanup("drop the queue section's database", () => pg.drop());
  const database = await openBenchDatabase(pg.url);
  onCleanup("close the queue section's database", () => database.close());
  const prisma = database.prisma;
  const broker = createBroker({ url: rabbit.url, logger, connectionName: "bench-web" });
  onCleanup("close the queue section's broker connection", () => broker.close());
  await broker.declareTopology();
  const relay = createOutboxRelay({ prisma, publisher: broker, logger, channels: ["TELEGRAM"] });

  // A subscriber of every event, as another service would be.
  const subscriber = new Connection({ url: rabbit.url });
  subscriber.on("error", () => {});
  let eventsReceived = 0;
  let lastEventAt = 0;
  /** When each event (by its id, the message id) reached this subscriber. */
  const eventArrivedAt = new Map<string, number>();
  const consumer = subscriber.createConsumer(
    {
      queue: "bench-audit",
      queueOptions: { exclusive: true },
      queueBindings: [{ exchange: EVENTS_EXCHANGE, routingKey: "security.#" }],
    },
    (message) => {
      eventsReceived += 1;
      lastEventAt = Date.now();
      if (typeof message.messageId === "string") eventArrivedAt.set(message.messageId, lastEventAt);
    },
  );
  onCleanup("close the queue section's subscriber", async () => {
    await consumer.close();
    await subscriber.close();
  });
  await new Promise<void>((resolve) => consumer.once("ready", () => resolve()));

  let chats = 8_000_000;
  const linkedUser = async () => {
    const chatId = ++chats;
    const user = await prisma.user.create({
      data: {
        email: `queue-${randomBytes(5).toString("hex")}@example.com`,
        telegramLink: { create: { chatId, telegramUserId: chatId } },
      },
    });
    return { userId: user.id, chatId };
  };
  const signIn = (userId: string) =>
    recordSecurityEvent(
      prisma,
      { userId, type: "SIGN_IN", method: "password", ip: "203.0.113.50", requestId: "bench" },
      { afterRecord: alertHook({ deliverSoon: () => {} }) },
    );

  // 1. Throughput: queue everything first, then start the worker and the relay.
  const users = await Promise.all(Array.from({ length: 20 }, linkedUser));
  for (let row = 0; row < options.rows; row += 1) {
    await signIn(users[row % users.length]?.userId ?? "");
  }
  const dataDir = mkdtempSync(join(tmpdir(), "gatehouse-bench-worker-"));
  onCleanup("remove the worker's data folder", () =>
    rmSync(dataDir, { recursive: true, force: true }),
  );
  const worker = await startWorkerProcess({
    env: {
      APP_URL: "http://localhost:3999",
      AUTH_SECRET: randomBytes(32).toString("base64"),
      GATEHOUSE_DATA_DIR: dataDir,
      DATABASE_URL: pg.url,
      AMQP_URL: rabbit.url,
      OUTBOX_SWEEP_INTERVAL_SECONDS: "0",
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_BOT_USERNAME: fake.botInfo.username,
      TELEGRAM_WEBHOOK_SECRET: "q".repeat(32),
      TELEGRAM_TEST_API_URL: fake.url,
    },
    detached: true,
  });
  trackChild(worker.child);
  onCleanup("stop the worker", () => killGroup(worker.child, "SIGTERM"));
  // From here both drain at once: the worker's own first sweep and this relay hand the rows
  // over, and its event loop publishes the events.
  const t0 = Date.now();
  for (;;) {
    const { published } = await relay.relayDue();
    if (published === 0) break;
  }
  await until("every alert", () => fake.calls("sendMessage").length >= options.rows, 300_000);
  const alertsDoneMs = Math.max(...fake.calls("sendMessage").map((call) => call.at)) - t0;
  await until("every event", () => eventsReceived >= options.rows, 300_000);
  const eventsDoneMs = lastEventAt - t0;
  console.log(
    `  throughput: ${options.rows} alerts and ${options.rows} events queued, then the worker ` +
      `started: alerts done after ${(alertsDoneMs / 1_000).toFixed(2)} s, events after ` +
      `${(eventsDoneMs / 1_000).toFixed(2)} s (from the worker's "worker started")`,
  );

  // 2. Latency, the worker idle: one sign-in at a time at ratePerSecond.
  fake.reset();
  const sampled = await Promise.all(Array.from({ length: options.samples }, linkedUser));
  const recordedAt = new Map<number, number>();
  const eventRecordedAt = new Map<string, number>();
  const runs: Promise<unknown>[] = [];
  for (const { userId, chatId } of sampled) {
    const eventId = await signIn(userId);
    recordedAt.set(chatId, Date.now());
    eventRecordedAt.set(eventId, Date.now());
    // As the response's after() would: not awaited by the "request".
    runs.push(relay.relayDue());
    await sleep(1_000 / options.ratePerSecond);
  }
  await Promise.all(runs);
  await until(
    "every sampled alert",
    () => fake.calls("sendMessage").length >= sampled.length,
    60_000,
  );
  const latencies = fake
    .calls("sendMessage")
    .map((call) => call.at - (recordedAt.get(Number(call.params.chat_id)) ?? Number.NaN))
    .filter((value) => Number.isFinite(value));
  const latency = distribution(latencies);
  console.log(
    `  latency: ${latencies.length} sign-ins at ${options.ratePerSecond}/s, commit → alert at ` +
      `the Bot API: p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)}`,
  );
  // The events go out through the worker's own loop (it looks every 250 ms), not the relay.
  await until(
    "every sampled event",
    () => [...eventRecordedAt.keys()].every((id) => eventArrivedAt.has(id)),
    60_000,
  );
  const eventLatencies = [...eventRecordedAt].map(
    ([id, at]) => (eventArrivedAt.get(id) ?? Number.NaN) - at,
  );
  const eventLatency = distribution(eventLatencies);
  console.log(
    `  events: commit → CloudEvent at a subscriber: p50 ${ms(eventLatency.p50)}, ` +
      `p99 ${ms(eventLatency.p99)}, max ${ms(eventLatency.max)}`,
  );

  killGroup(worker.child, "SIGTERM");
  return {
    rows: options.rows,
    deliveriesPerSecond: options.rows / (alertsDoneMs / 1_000),
    eventsPerSecond: options.rows / (eventsDoneMs / 1_000),
    latency,
    eventLatency,
    samples: latencies.length,
  };
}
