// Delivery through RabbitMQ (lib/queue): the outbox relay hands due rows to the broker and
// the worker sends them, on both database backends, against the fake Bot API:
// - the worker's decisions, message by message: a row is sent once however many messages
//   name it (a worker that died before acknowledging), unreadable messages are
//   dead-lettered, a row another worker holds is looked at again after the hold, Telegram's
//   429 retry_after is honoured through a delay queue at least that long, used-up attempts
//   end FAILED and dead-lettered, a refusal for good ends FAILED;
// - the relay marks a row only once the broker has confirmed it, and a failed publish leaves
//   the row for the next run;
// - and with a real rabbitmq-server of this file's own (tests/support/rabbitmq.ts):
//   relay → broker → worker → Bot API; a poison message in the dead-letter queue; a retry
//   that waits in the delay queue and comes back; the broker stopped while alerts are
//   queued, then everything delivered once it is back, none twice; a message whose handler
//   failed after sending is redelivered and sends nothing.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";

import { Bot } from "grammy";
import { Connection } from "rabbitmq-client";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";

import type { PrismaClient } from "@/lib/generated/prisma/client";
import { createBroker, type Broker } from "@/lib/queue/broker";
import { createOutboxRelay, HANDED_OVER_MS } from "@/lib/queue/relay";
import {
  DEAD_LETTER_QUEUE,
  DELIVERY_EXCHANGE,
  DELIVERY_QUEUE,
  DELIVERY_ROUTING_KEY,
  RETRY_DELAYS_MS,
  retryQueueName,
} from "@/lib/queue/topology";
import {
  createDeliveryWorker,
  type DeliveryWorker,
  type RetryPublisher,
  type Verdict,
} from "@/lib/queue/worker";
import { recordSecurityEvent } from "@/lib/security/events";
import { alertHook, telegramChannel } from "@/lib/telegram/outbox";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";
import { memoryLogger } from "@/tests/support/logger";
import { rabbitMqInstalled, startRabbitMq, type RabbitMq } from "@/tests/support/rabbitmq";

const backends = databaseBackends(inject("databaseUrl"));
const required = process.env.GATEHOUSE_TEST_SERVICES === "required";

let fake: FakeTelegram;
beforeAll(async () => {
  fake = await startFakeTelegram();
});
afterAll(async () => {
  await fake.close();
});

let chatIds = 770_000_000;

/** The delay queue a retry went to, and the row it names. */
interface RetryCall {
  id: string;
  delayMs: number;
}

describe.each(backends)("delivery through RabbitMQ on $name", (backend) => {
  describe.runIf(backend.available)("worker and relay", () => {
    const db = migratedDatabase(backend);
    const prisma = (): PrismaClient => db().prisma;
    const bot = () => new Bot(fake.token, { botInfo: fake.botInfo, client: { apiRoot: fake.url } });

    beforeEach(async () => {
      fake.reset();
      await prisma().notificationOutbox.deleteMany({});
    });

    /** A user with a linked chat and one sign-in alert queued; returns the row's id. */
    async function queuedAlert(): Promise<{ id: string; chatId: number; userId: string }> {
      const chatId = ++chatIds;
      const user = await prisma().user.create({
        data: { email: `${randomBytes(5).toString("hex")}@example.com`, name: "Ada" },
      });
      await prisma().telegramLink.create({
        data: { userId: user.id, chatId: BigInt(chatId), telegramUserId: BigInt(chatId) },
      });
      await recordSecurityEvent(
        prisma(),
        { userId: user.id, type: "SIGN_IN", method: "password", ip: "203.0.113.9" },
        { afterRecord: alertHook({ deliverSoon: () => {} }) },
      );
      const row = await prisma().notificationOutbox.findFirstOrThrow({
        where: { userId: user.id, channel: "TELEGRAM" },
      });
      return { id: row.id, chatId, userId: user.id };
    }

    /** A worker on the fake Bot API; its retries are recorded unless `retries` is given. */
    function worker(
      options: { maxAttempts?: number; now?: () => Date; retries?: RetryPublisher } = {},
    ) {
      const retries: RetryCall[] = [];
      const logger = memoryLogger();
      const handler = createDeliveryWorker({
        prisma: prisma(),
        channels: { TELEGRAM: telegramChannel(prisma(), bot().api) },
        logger,
        maxAttempts: options.maxAttempts ?? 5,
        retries: options.retries ?? {
          publishRetry: (id, delayMs) => {
            retries.push({ id, delayMs });
            return Promise.resolve();
          },
        },
        ...(options.now ? { now: options.now } : {}),
      });
      return { handler, retries, logger };
    }

    const rowOf = (id: string) => prisma().notificationOutbox.findUniqueOrThrow({ where: { id } });

    it("sends a row once, however many messages name it (a worker that died before acking)", async () => {
      const { id, chatId } = await queuedAlert();
      const { handler } = worker();
      await expect(handler.handle({ id })).resolves.toBe("ack");
      expect(fake.messages(chatId)).toHaveLength(1);
      expect(fake.messages(chatId)[0]?.text).toContain("New sign-in");
      const sent = await rowOf(id);
      expect(sent).toMatchObject({ status: "SENT", attempts: 1 });
      expect(sent.externalId).toBe(String(fake.messages(chatId)[0]?.messageId));

      // The same message again, as the broker redelivers it after a worker died unacked.
      await expect(handler.handle({ id })).resolves.toBe("ack");
      await expect(worker().handler.handle({ id })).resolves.toBe("ack");
      expect(fake.calls("sendMessage")).toHaveLength(1);
    });

    it("ten messages for one row at once: one send, the others wait for the hold", async () => {
      const { id, chatId } = await queuedAlert();
      const { handler, retries } = worker();
      const verdicts = await Promise.all(Array.from({ length: 10 }, () => handler.handle({ id })));
      expect(verdicts).toEqual(Array.from({ length: 10 }, () => "ack"));
      expect(fake.messages(chatId)).toHaveLength(1);
      expect(await rowOf(id)).toMatchObject({ status: "SENT", attempts: 1 });
      // Those that found it held look again later (and will find it SENT); none sent it.
      for (const retry of retries) expect(retry).toEqual({ id, delayMs: 60_000 });
    });

    it("dead-letters unreadable messages and sends nothing", async () => {
      const { id } = await queuedAlert();
      const { handler, logger } = worker();
      const bodies: unknown[] = [
        "not json",
        Buffer.from([0, 1, 2]),
        null,
        {},
        { id: 5 },
        { id: "" },
        { id: "x".repeat(65) },
        { id: "a\u0000b" },
        { id, extra: true },
      ];
      for (const body of bodies) await expect(handler.handle(body)).resolves.toBe("dead");
      expect(fake.calls("sendMessage")).toEqual([]);
      expect(await rowOf(id)).toMatchObject({ status: "PENDING", attempts: 0, sendingUntil: null });
      expect(
        logger.lines.filter(
          (line) => line.message === "unreadable delivery message: dead-lettered",
        ),
      ).toHaveLength(bodies.length);
    });

    it("acknowledges a message whose row is gone with its account", async () => {
      const { id, userId } = await queuedAlert();
      await prisma().user.delete({ where: { id: userId } });
      await expect(worker().handler.handle({ id })).resolves.toBe("ack");
      expect(fake.calls("sendMessage")).toEqual([]);
    });

    it("leaves a row another worker holds, and looks again once the hold has run out", async () => {
      const { id } = await queuedAlert();
      const now = new Date();
      const heldUntil = new Date(now.getTime() + 20_000);
      await prisma().notificationOutbox.update({
        where: { id },
        data: { sendingUntil: heldUntil },
      });
      const { handler, retries } = worker({ now: () => now });
      await expect(handler.handle({ id })).resolves.toBe("ack");
      expect(fake.calls("sendMessage")).toEqual([]);
      // 20 s held: the shortest delay queue at least that long.
      expect(retries).toEqual([{ id, delayMs: 60_000 }]);

      // A hold left by a worker that died runs out: the next look sends it.
      const later = new Date(heldUntil.getTime() + 1);
      await expect(worker({ now: () => later }).handler.handle({ id })).resolves.toBe("ack");
      expect(fake.calls("sendMessage")).toHaveLength(1);
    });

    it("honours Telegram's 429 retry_after through a delay queue at least that long", async () => {
      const { id, chatId } = await queuedAlert();
      fake.failNext("sendMessage", { status: 429, retryAfter: 3 });
      const now = new Date();
      const { handler, retries } = worker({ now: () => now });
      await expect(handler.handle({ id })).resolves.toBe("ack");
      expect(retries).toEqual([{ id, delayMs: 5_000 }]);
      const waiting = await rowOf(id);
      expect(waiting).toMatchObject({ status: "PENDING", attempts: 1, sendingUntil: null });
      expect(waiting.lastError).toBe("Too Many Requests: retry after 3");
      // The relay leaves it alone while the message waits in the broker.
      expect(waiting.nextAttemptAt.getTime()).toBe(now.getTime() + 5_000 + HANDED_OVER_MS);
      expect(fake.messages(chatId)).toEqual([]);

      // Back from the delay queue.
      await expect(handler.handle({ id })).resolves.toBe("ack");
      expect(fake.messages(chatId)).toHaveLength(1);
      expect(await rowOf(id)).toMatchObject({ status: "SENT", attempts: 2 });
    });

    it("ends a row whose attempts are used up as FAILED, and dead-letters its message", async () => {
      const { id } = await queuedAlert();
      await prisma().notificationOutbox.update({ where: { id }, data: { attempts: 2 } });
      fake.failNext("sendMessage", { status: 502 });
      await expect(worker({ maxAttempts: 3 }).handler.handle({ id })).resolves.toBe("dead");
      expect(await rowOf(id)).toMatchObject({ status: "FAILED", attempts: 3 });
    });

    it("ends a row Telegram refuses for good (bot blocked) as FAILED and acknowledges it", async () => {
      const { id } = await queuedAlert();
      fake.failNext("sendMessage", { status: 403, description: "Forbidden: bot was blocked" });
      const { handler, retries } = worker();
      await expect(handler.handle({ id })).resolves.toBe("ack");
      expect(retries).toEqual([]);
      expect(await rowOf(id)).toMatchObject({ status: "FAILED", attempts: 1 });
    });

    it("relay: marks a row handed over only once the broker has confirmed it", async () => {
      const { id } = await queuedAlert();
      const at = new Date(Date.now() + 1_000);
      let confirm: () => void = () => {};
      const published: string[] = [];
      const relay = createOutboxRelay({
        prisma: prisma(),
        logger: memoryLogger(),
        channels: ["TELEGRAM"],
        now: () => at,
        publisher: {
          publishDelivery: (rowId) => {
            published.push(rowId);
            return new Promise<void>((resolve) => (confirm = resolve));
          },
        },
      });
      const run = relay.relayDue();
      await expect.poll(() => published).toEqual([id]);
      // Claimed with the lease, not yet handed over.
      expect((await rowOf(id)).nextAttemptAt.getTime()).toBe(at.getTime() + 60_000);
      confirm();
      await expect(run).resolves.toEqual({ published: 1, failed: 0 });
      expect((await rowOf(id)).nextAttemptAt.getTime()).toBe(at.getTime() + HANDED_OVER_MS);
    });

    it("relay: a failed publish leaves the rows due a few seconds later, and a row already sent alone", async () => {
      const first = await queuedAlert();
      const second = await queuedAlert();
      let clock = new Date(Date.now() + 1_000);
      let brokerUp = false;
      const published: string[] = [];
      const relay = createOutboxRelay({
        prisma: prisma(),
        logger: memoryLogger(),
        channels: ["TELEGRAM"],
        now: () => clock,
        publisher: {
          publishDelivery: async (rowId) => {
            if (!brokerUp) throw new Error("connection refused");
            published.push(rowId);
            // A worker sends it before the relay hears the confirm.
            if (rowId === first.id) {
              await prisma().notificationOutbox.update({
                where: { id: rowId },
                data: { status: "SENT", sentAt: clock },
              });
            }
          },
        },
      });
      await expect(relay.relayDue()).resolves.toEqual({ published: 0, failed: 2 });
      // Due again a few seconds later, not after the whole lease.
      for (const { id } of [first, second]) {
        expect((await rowOf(id)).nextAttemptAt.getTime()).toBe(clock.getTime() + 5_000);
      }
      await expect(relay.relayDue()).resolves.toEqual({ published: 0, failed: 0 });

      brokerUp = true;
      clock = new Date(clock.getTime() + 5_001);
      await expect(relay.relayDue()).resolves.toEqual({ published: 2, failed: 0 });
      expect(published.sort()).toEqual([first.id, second.id].sort());
      expect(await rowOf(first.id)).toMatchObject({ status: "SENT" });
      const handedOver = await rowOf(second.id);
      expect(handedOver.status).toBe("PENDING");
      expect(handedOver.nextAttemptAt.getTime()).toBe(clock.getTime() + HANDED_OVER_MS);
    });

    describe.runIf(rabbitMqInstalled || required)("with a real rabbitmq-server", () => {
      let rabbit: RabbitMq | undefined;
      let broker: Broker | undefined;
      let peek: Connection | undefined;
      const consumers: { close(): Promise<void> }[] = [];

      beforeAll(async () => {
        rabbit = await startRabbitMq();
        broker = createBroker({
          url: rabbit.url,
          logger: memoryLogger(),
          connectionName: "gatehouse-test",
          publishTimeoutMs: 2_000,
          retryLowMs: 100,
          retryHighMs: 500,
        });
        await broker.declareTopology();
        peek = new Connection({ url: rabbit.url, retryLow: 100, retryHigh: 500 });
        // It reconnects by itself when the broker comes back; losing it is expected here.
        peek.on("error", () => {});
      }, 120_000);
      afterAll(async () => {
        for (const consumer of consumers) await consumer.close();
        await peek?.close();
        await broker?.close();
        await rabbit?.stop();
        if (rabbit) rmSync(rabbit.dir, { recursive: true, force: true });
      });
      beforeEach(async () => {
        for (const consumer of consumers.splice(0)) await consumer.close();
        for (const queue of [
          DELIVERY_QUEUE,
          DEAD_LETTER_QUEUE,
          ...RETRY_DELAYS_MS.map(retryQueueName),
        ]) {
          await peek?.queuePurge(queue);
        }
      });

      const the = <T>(value: T | undefined): T => {
        if (value === undefined) throw new Error("not started (see beforeAll)");
        return value;
      };

      const handleWith = (handler: DeliveryWorker) => (body: unknown) => handler.handle(body);

      async function consumeWith(handle: (body: unknown) => Promise<Verdict>) {
        consumers.push(await the(broker).consumeDeliveries(handle, 4));
      }

      const relay = () =>
        createOutboxRelay({
          prisma: prisma(),
          logger: memoryLogger(),
          channels: ["TELEGRAM"],
          publisher: the(broker),
        });

      it("relay → broker → worker delivers an alert to the Bot API", async () => {
        const { id, chatId } = await queuedAlert();
        await consumeWith(handleWith(worker().handler));
        await expect(relay().relayDue()).resolves.toEqual({ published: 1, failed: 0 });
        await fake.waitForCall("sendMessage", (call) => call.params.chat_id === chatId);
        await expect.poll(async () => (await rowOf(id)).status).toBe("SENT");
        expect(fake.calls("sendMessage")).toHaveLength(1);
      });

      it("puts a poison message in the dead-letter queue", async () => {
        await consumeWith(handleWith(worker().handler));
        await the(broker).publish(DELIVERY_EXCHANGE, DELIVERY_ROUTING_KEY, { id: 42 });
        await expect
          .poll(async () => (await the(peek).basicGet(DEAD_LETTER_QUEUE))?.body as unknown, {
            timeout: 10_000,
          })
          .toEqual({ id: 42 });
        expect(fake.calls("sendMessage")).toEqual([]);
      });

      it("a retry waits in its delay queue and comes back", async () => {
        const { id, chatId } = await queuedAlert();
        fake.failNext("sendMessage", { status: 429, retryAfter: 1 });
        await consumeWith(handleWith(worker({ retries: the(broker) }).handler));
        await relay().relayDue();
        await fake.waitForCall("sendMessage", (call) => call.params.chat_id === chatId);
        await expect.poll(() => fake.messages(chatId), { timeout: 10_000 }).toHaveLength(1);
        const [refused, sent] = fake.calls("sendMessage");
        // retry_after 1 s: the 1 s queue, never sooner.
        expect((sent?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(1_000);
        expect(await rowOf(id)).toMatchObject({ status: "SENT", attempts: 2 });
      });

      it("a handler that fails after sending gets the message again, which sends nothing", async () => {
        const { id } = await queuedAlert();
        const { handler } = worker();
        let handled = 0;
        await consumeWith(async (body) => {
          handled += 1;
          const verdict = await handler.handle(body);
          // As if the worker died before its ack: the broker requeues the message.
          if (handled === 1) throw new Error("killed before the ack");
          return verdict;
        });
        await relay().relayDue();
        await expect.poll(() => handled, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
        expect(await rowOf(id)).toMatchObject({ status: "SENT", attempts: 1 });
        expect(fake.calls("sendMessage")).toHaveLength(1);
      });

      it("with the broker away the rows wait; once it is back each is delivered once", async () => {
        const alerts = [await queuedAlert(), await queuedAlert(), await queuedAlert()];
        await consumeWith(handleWith(worker().handler));
        await the(rabbit).stop();
        try {
          const started = Date.now();
          const away = await relay().relayDue();
          expect(away).toEqual({ published: 0, failed: 3 });
          // Bounded by the publish timeout, not by the outage.
          expect(Date.now() - started).toBeLessThan(10_000);
        } finally {
          await the(rabbit).restart();
        }
        // The lease of the failed run runs out; the next run (a sweep) publishes them.
        await prisma().notificationOutbox.updateMany({
          where: { id: { in: alerts.map((alert) => alert.id) } },
          data: { nextAttemptAt: new Date(Date.now() - 1_000) },
        });
        await expect
          .poll(async () => (await relay().relayDue()).published, {
            timeout: 30_000,
            interval: 500,
          })
          .toBe(3);
        for (const alert of alerts) {
          await expect
            .poll(async () => (await rowOf(alert.id)).status, { timeout: 15_000 })
            .toBe("SENT");
          expect(fake.messages(alert.chatId)).toHaveLength(1);
        }
        expect(fake.calls("sendMessage")).toHaveLength(3);
      });
    });
  });
});
