// Security events to RabbitMQ's `gatehouse.events` (lib/queue/events.ts), on both database
// backends:
// - the trigger queues every recorded event (with or without hooks, with or without a
//   user) in the event's transaction; a rolled-back event queues nothing;
// - each becomes a CloudEvents 1.0 message whose type is its routing key, with the row's
//   fields as data and nothing else;
// - the relay publishes in the order they happened and deletes a row only after the
//   broker's confirm; a failed publish leaves the rows for the next run;
// - without a broker the sweep empties the queue;
// - and through a real rabbitmq-server of this file's own, a subscriber bound to
//   `security.sign_in.*` receives a sign-in and not a password change.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";

import { Connection, type AsyncMessage } from "rabbitmq-client";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";

import type { PrismaClient } from "@/lib/generated/prisma/client";
import { createNotifications } from "@/lib/notifications/service";
import { createBroker, type Broker } from "@/lib/queue/broker";
import {
  createEventRelay,
  discardUnpublishedEvents,
  EVENT_TYPES,
  UNPUBLISHED_EVENTS_KEPT_MS,
  type CloudEvent,
} from "@/lib/queue/events";
import { EVENTS_EXCHANGE } from "@/lib/queue/topology";
import { recordSecurityEvent } from "@/lib/security/events";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { rabbitMqInstalled, startRabbitMq, type RabbitMq } from "@/tests/support/rabbitmq";

const SOURCE = "https://auth.example.com";
const required = process.env.GATEHOUSE_TEST_SERVICES === "required";

describe("event types", () => {
  it("give every security event type its own security.<what>.<how> routing key", () => {
    const keys = Object.values(EVENT_TYPES);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^security\.[a-z_]+\.[a-z_]+$/);
    expect(EVENT_TYPES.SIGN_IN).toBe("security.sign_in.succeeded");
  });
});

describe.each(databaseBackends(inject("databaseUrl")))("security events on $name", (backend) => {
  describe.runIf(backend.available)("queued, published, discarded", () => {
    const db = migratedDatabase(backend);
    const prisma = (): PrismaClient => db().prisma;

    beforeEach(async () => {
      await prisma().eventOutbox.deleteMany({});
    });

    const newUser = () =>
      prisma().user.create({
        data: { email: `${randomBytes(5).toString("hex")}@example.com`, name: "Ada" },
      });
    const queued = async () =>
      (await prisma().eventOutbox.findMany({ orderBy: { securityEventId: "asc" } })).map(
        (row) => row.securityEventId,
      );

    it("queues every recorded event in its transaction, and nothing for a rolled-back one", async () => {
      const user = await newUser();
      const plain = await recordSecurityEvent(prisma(), { userId: user.id, type: "SIGN_OUT" });
      const hooked = await recordSecurityEvent(
        prisma(),
        { userId: user.id, type: "SIGN_IN", method: "password" },
        { afterRecord: () => Promise.resolve() },
      );
      // A failure that names no known user is an event too.
      const anonymous = await recordSecurityEvent(prisma(), {
        userId: null,
        type: "SIGN_IN_FAILED",
        method: "password",
      });
      await expect(
        recordSecurityEvent(
          prisma(),
          { userId: user.id, type: "PASSWORD_CHANGED" },
          { afterRecord: () => Promise.reject(new Error("the hook failed")) },
        ),
      ).rejects.toThrow("the hook failed");
      expect(await queued()).toEqual([plain, hooked, anonymous].sort());
      // And they leave with their user.
      await prisma().user.delete({ where: { id: user.id } });
      expect(await queued()).toEqual([anonymous]);
    });

    it("publishes each as a CloudEvent in the order they happened, deleting it after the confirm", async () => {
      const user = await newUser();
      const first = await recordSecurityEvent(prisma(), {
        userId: user.id,
        type: "SIGN_IN",
        method: "github",
        ip: "203.0.113.7",
        userAgent: "Firefox/140",
        requestId: "req-1",
      });
      const second = await recordSecurityEvent(prisma(), {
        userId: null,
        type: "SIGN_IN_FAILED",
        method: "password",
      });
      const published: { exchange: string; routingKey: string; body: CloudEvent; id?: string }[] =
        [];
      let rowsAtConfirm: string[] = [];
      const relay = createEventRelay({
        prisma: prisma(),
        source: SOURCE,
        logger: memoryLogger(),
        publisher: {
          publish: async (exchange, routingKey, body, id) => {
            rowsAtConfirm = await queued();
            published.push({
              exchange,
              routingKey,
              body: body as CloudEvent,
              ...(id ? { id } : {}),
            });
          },
        },
      });
      await expect(relay.relayDue()).resolves.toEqual({ published: 2, failed: 0 });
      const event = await prisma().securityEvent.findUniqueOrThrow({ where: { id: first } });
      expect(published[0]).toEqual({
        exchange: EVENTS_EXCHANGE,
        routingKey: "security.sign_in.succeeded",
        id: first,
        body: {
          specversion: "1.0",
          id: first,
          source: SOURCE,
          type: "security.sign_in.succeeded",
          time: event.createdAt.toISOString(),
          subject: user.id,
          datacontenttype: "application/json",
          data: {
            method: "github",
            ip: "203.0.113.7",
            userAgent: "Firefox/140",
            detail: null,
            requestId: "req-1",
          },
        },
      });
      // No user, no subject.
      expect(published[1]?.body).not.toHaveProperty("subject");
      expect(published[1]?.routingKey).toBe("security.sign_in.failed");
      // The second was still queued while the first was being confirmed.
      expect(rowsAtConfirm).toContain(second);
      expect(await queued()).toEqual([]);
    });

    it("leaves the events queued when a publish fails, due again a few seconds later", async () => {
      const user = await newUser();
      const id = await recordSecurityEvent(prisma(), { userId: user.id, type: "PASSKEY_ADDED" });
      let clock = new Date(Date.now() + 1_000);
      let up = false;
      const logger = memoryLogger();
      const relay = createEventRelay({
        prisma: prisma(),
        source: SOURCE,
        logger,
        now: () => clock,
        publisher: {
          publish: () => (up ? Promise.resolve() : Promise.reject(new Error("ECONNREFUSED"))),
        },
      });
      await expect(relay.relayDue()).resolves.toEqual({ published: 0, failed: 1 });
      expect(await queued()).toEqual([id]);
      expect(logger.lines).toEqual([
        expect.objectContaining({
          level: "warn",
          message: "event relay: publish failed; the events wait for the next run",
          securityEventId: id,
        }),
      ]);
      // Due again a few seconds later, not after the whole lease.
      const row = await prisma().eventOutbox.findUniqueOrThrow({ where: { securityEventId: id } });
      expect(row.nextAttemptAt.getTime()).toBe(clock.getTime() + 5_000);
      up = true;
      await expect(relay.relayDue()).resolves.toEqual({ published: 0, failed: 0 });
      clock = new Date(clock.getTime() + 5_001);
      await expect(relay.relayDue()).resolves.toEqual({ published: 1, failed: 0 });
      expect(await queued()).toEqual([]);
    });

    it("without a broker, the sweep drops queued events older than an hour, and only those", async () => {
      const user = await newUser();
      const old = await recordSecurityEvent(prisma(), { userId: user.id, type: "SIGN_IN" });
      const fresh = await recordSecurityEvent(prisma(), { userId: user.id, type: "SIGN_OUT" });
      await prisma().eventOutbox.update({
        where: { securityEventId: old },
        data: { nextAttemptAt: new Date(Date.now() - UNPUBLISHED_EVENTS_KEPT_MS - 60_000) },
      });
      const anHourAgo = new Date(Date.now() - UNPUBLISHED_EVENTS_KEPT_MS);
      await expect(discardUnpublishedEvents(prisma(), anHourAgo)).resolves.toBe(1);
      // The fresh one stays for an instance with a broker to publish (a fleet mid-rollout).
      expect(await queued()).toEqual([fresh]);
      // The log itself is untouched.
      expect(await prisma().securityEvent.count({ where: { userId: user.id } })).toBe(2);
    });

    it("the sweep drops them, a response's after() does not", async () => {
      let discards = 0;
      const notifications = createNotifications({
        prisma: prisma(),
        logger: memoryLogger(),
        maxAttempts: 3,
        channels: () => ({}),
        runAfter: () => {
          throw new Error("outside a request");
        },
        discardEvents: () => Promise.resolve((discards += 1)),
      });
      const delivered = await notifications.delivery.deliverDue();
      expect(delivered).not.toHaveProperty("eventsDiscarded");
      expect(discards).toBe(0);
      await expect(notifications.sweep.deliverDue()).resolves.toMatchObject({
        eventsDiscarded: 1,
      });
      expect(discards).toBe(1);
    });

    describe.runIf(rabbitMqInstalled || required)("through a real rabbitmq-server", () => {
      let rabbit: RabbitMq | undefined;
      let broker: Broker | undefined;
      let subscriber: Connection | undefined;

      beforeAll(async () => {
        rabbit = await startRabbitMq();
        broker = createBroker({ url: rabbit.url, logger: memoryLogger(), connectionName: "test" });
        await broker.declareTopology();
        subscriber = new Connection(rabbit.url);
      }, 120_000);
      afterAll(async () => {
        await subscriber?.close();
        await broker?.close();
        await rabbit?.stop();
        if (rabbit) rmSync(rabbit.dir, { recursive: true, force: true });
      });

      it("a subscriber bound to security.sign_in.* gets a sign-in, not a password change", async () => {
        if (!subscriber || !broker) throw new Error("not started (see beforeAll)");
        const received: AsyncMessage[] = [];
        // A service's own queue, bound as the docs say.
        const consumer = subscriber.createConsumer(
          {
            queue: `audit-${randomBytes(4).toString("hex")}`,
            queueOptions: { exclusive: true },
            queueBindings: [{ exchange: EVENTS_EXCHANGE, routingKey: "security.sign_in.*" }],
          },
          (message) => {
            received.push(message);
          },
        );
        await new Promise<void>((resolve) => consumer.once("ready", () => resolve()));
        try {
          const user = await newUser();
          await recordSecurityEvent(prisma(), { userId: user.id, type: "PASSWORD_CHANGED" });
          const signIn = await recordSecurityEvent(prisma(), {
            userId: user.id,
            type: "SIGN_IN",
            method: "passkey",
          });
          const relay = createEventRelay({
            prisma: prisma(),
            source: SOURCE,
            logger: memoryLogger(),
            publisher: broker,
          });
          await expect(relay.relayDue()).resolves.toEqual({ published: 2, failed: 0 });
          await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
          const [message] = received;
          expect(message?.routingKey).toBe("security.sign_in.succeeded");
          expect(message?.contentType).toBe("application/json");
          expect(message?.durable).toBe(true);
          expect(message?.messageId).toBe(signIn);
          expect(message?.body).toMatchObject({
            specversion: "1.0",
            id: signIn,
            type: "security.sign_in.succeeded",
            subject: user.id,
            data: { method: "passkey" },
          });
        } finally {
          await consumer.close();
        }
      });
    });
  });
});
