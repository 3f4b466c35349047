// The RabbitMQ test rig does what the product's broker tests will rely on, checked with the
// client the product uses (rabbitmq-client):
// - a broker of the file's own (tests/support/rabbitmq.ts; not the shared one, since this
//   stops it) keeps a durable queue and its persistent messages across stop() and
//   restart(), refuses connections while stopped, and a publish meanwhile fails after the
//   client's acquire timeout instead of waiting for ever;
// - the run's shared broker (tests/support/global-setup.ts, inject("amqpUrl")) answers.
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import net from "node:net";

import { Connection } from "rabbitmq-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { rabbitMqInstalled, startRabbitMq, type RabbitMq } from "@/tests/support/rabbitmq";

const amqpUrl = inject("amqpUrl");

/** The error a TCP connection to the port ends with (null when it connects). */
function connectError(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(null);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe.runIf(rabbitMqInstalled)("a broker of the file's own (startRabbitMq)", () => {
  let broker: RabbitMq | undefined;
  beforeAll(async () => {
    broker = await startRabbitMq();
  });
  afterAll(async () => {
    await broker?.stop();
    if (broker) rmSync(broker.dir, { recursive: true, force: true });
  });

  it("keeps a durable queue's persistent message across stop() and restart()", async () => {
    if (!broker) throw new Error("no broker (see beforeAll)");
    const queue = `rig-${randomUUID()}`;
    // Quick retries, so the client is back soon after the restart; a short acquire timeout
    // bounds how long a publish waits for a channel while the broker is down.
    const connection = new Connection({
      url: broker.url,
      retryLow: 100,
      retryHigh: 500,
      connectionTimeout: 2_000,
      acquireTimeout: 2_000,
    });
    const errors: unknown[] = [];
    connection.on("error", (error) => errors.push(error));
    const publisher = connection.createPublisher({ confirm: true });
    const received: unknown[] = [];
    const consumer = connection.createConsumer(
      { queue, queueOptions: { durable: true }, lazy: true },
      (message) => {
        received.push(message.body);
      },
    );
    try {
      await connection.queueDeclare({ queue, durable: true });
      // With confirms, send() resolves once the broker has the message on disk.
      await publisher.send({ routingKey: queue, durable: true }, { n: 1 });

      await broker.stop();
      expect(broker.running).toBe(false);
      expect(await connectError(broker.port)).toBe("ECONNREFUSED");
      // The client was told, as by a real broker that is stopped, and a publish now gives up
      // after the acquire timeout.
      await expect
        .poll(() => errors)
        .toContainEqual(expect.objectContaining({ code: "CONNECTION_FORCED" }));
      await expect(
        publisher.send({ routingKey: queue, durable: true }, { n: 2 }),
      ).rejects.toMatchObject({ code: "TIMEOUT" });

      await broker.restart();
      expect(broker.running).toBe(true);
      await connection.onConnect(10_000);
      const declared = await connection.queueDeclare({ queue, durable: true, passive: true });
      expect(declared.messageCount).toBe(1);
      consumer.start();
      await expect.poll(() => received, { timeout: 5_000 }).toEqual([{ n: 1 }]);
    } finally {
      await consumer.close();
      await publisher.close();
      await connection.close();
    }
  });
});

describe("the run's shared broker (inject('amqpUrl'))", () => {
  it("answers: a message goes through a queue of its own", async ({ skip }) => {
    skip(
      amqpUrl === null,
      "no RabbitMQ for this run (install rabbitmq-server or set TEST_AMQP_URL)",
    );
    const connection = new Connection(amqpUrl ?? "");
    try {
      const { queue } = await connection.queueDeclare({ exclusive: true });
      const publisher = connection.createPublisher({ confirm: true });
      await publisher.send(queue, "ping");
      await publisher.close();
      const message = await connection.basicGet({ queue, noAck: true });
      expect(message?.body).toBe("ping");
    } finally {
      await connection.close();
    }
  });
});
