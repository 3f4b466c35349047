// RabbitMQ through `rabbitmq-client` (docs/jobs.md says why that library): one connection
// per process, which reconnects by itself with exponential backoff and full jitter
// (`retryLow` steps up to `retryHigh`), and re-declares the topology (./topology.ts) on every
// new channel, so a broker that restarts empty is set up again without anyone's help.
//
// - Publishing waits for the broker's confirm (persistent messages, durable queues), within
//   `publishTimeoutMs`: while the broker is away a publish fails after that long instead of
//   waiting for it, and the outbox row waits in PostgreSQL (./relay.ts).
// - The consumer takes `prefetch` messages at a time and answers each after the worker's
//   verdict: ack, or reject without requeue (dead-lettered). A handler that throws (the
//   database away) gets the message requeued.
// - `state()` says whether the connection is up right now, for /api/health ("degraded"
//   while it is not: the outbox keeps the work).
import { Connection, ConsumerStatus, type AsyncMessage } from "rabbitmq-client";

import type { Logger } from "@/lib/logger";
import type { DeliveryPublisher } from "@/lib/queue/relay";
import type { RetryPublisher, Verdict } from "@/lib/queue/worker";
import { withTimeout } from "@/lib/timeout";
import {
  DELIVERY_EXCHANGE,
  DELIVERY_QUEUE,
  DELIVERY_ROUTING_KEY,
  retryQueueName,
  TOPOLOGY,
} from "@/lib/queue/topology";

export interface BrokerOptions {
  url: string;
  logger: Logger;
  /** Shown in the broker's management UI: "gatehouse-web", "gatehouse-worker". */
  connectionName: string;
  /** How long a publish may wait for a channel and the broker's confirm. */
  publishTimeoutMs?: number;
  /** Reconnect backoff: steps of `retryLowMs`, up to `retryHighMs` between attempts. */
  retryLowMs?: number;
  retryHighMs?: number;
}

export interface Consuming {
  close(): Promise<void>;
}

export interface Broker extends DeliveryPublisher, RetryPublisher {
  /** Publishes a JSON body to `exchange` with `routingKey`, persistent, confirmed. */
  publish(exchange: string, routingKey: string, body: unknown, messageId?: string): Promise<void>;
  /** Declares every exchange, queue and binding (./topology.ts); waits for the broker. */
  declareTopology(): Promise<void>;
  /**
   * Declares the topology, then feeds the delivery queue's messages to `handle`, `prefetch`
   * at a time.
   */
  consumeDeliveries(
    handle: (body: unknown) => Promise<Verdict>,
    prefetch: number,
  ): Promise<Consuming>;
  /** "up" while connected; "down" while it reconnects. */
  state(): "up" | "down";
  close(): Promise<void>;
}

export function createBroker(options: BrokerOptions): Broker {
  const log = options.logger.child({ feature: "amqp" });
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const connection = new Connection({
    url: options.url,
    connectionName: options.connectionName,
    retryLow: options.retryLowMs ?? 1_000,
    // At most 10 s between attempts: a broker back from a restart is used within seconds,
    // and an attempt every few seconds costs it nothing.
    retryHigh: options.retryHighMs ?? 10_000,
    // A publish waits this long for a channel while the connection is down, not 20 s.
    acquireTimeout: publishTimeoutMs,
    connectionTimeout: 10_000,
  });
  let up = false;
  let reportedDown = false;
  connection.on("connection", () => {
    up = true;
    if (reportedDown) log.info("connected to RabbitMQ again");
    reportedDown = false;
  });
  connection.on("error", (error: unknown) => {
    up = false;
    // Every failed reconnect emits an error: say it once per outage.
    if (!reportedDown) log.warn("RabbitMQ connection lost; reconnecting", { error });
    reportedDown = true;
  });

  const publisher = connection.createPublisher({
    confirm: true,
    exchanges: TOPOLOGY.exchanges,
    queues: TOPOLOGY.queues,
    queueBindings: TOPOLOGY.queueBindings,
  });

  const publish = (exchange: string, routingKey: string, body: unknown, messageId?: string) =>
    withTimeout(
      publisher.send(
        {
          exchange,
          routingKey,
          durable: true,
          contentType: "application/json",
          ...(messageId ? { messageId } : {}),
        },
        body,
      ),
      publishTimeoutMs,
      { what: "RabbitMQ publish" },
    );

  const declareTopology = async () => {
    for (const exchange of TOPOLOGY.exchanges) await connection.exchangeDeclare(exchange);
    for (const queue of TOPOLOGY.queues) await connection.queueDeclare(queue);
    for (const binding of TOPOLOGY.queueBindings) await connection.queueBind(binding);
  };

  return {
    publish,
    declareTopology,
    publishDelivery: (id) => publish(DELIVERY_EXCHANGE, DELIVERY_ROUTING_KEY, { id }, id),
    // Straight into the delay queue (default exchange): it dead-letters back when due.
    publishRetry: (id, delayMs) => publish("", retryQueueName(delayMs), { id }, id),
    async consumeDeliveries(handle, prefetch) {
      // The dead-letter queue must exist before the first message is rejected.
      await declareTopology();
      const consumer = connection.createConsumer(
        {
          queue: DELIVERY_QUEUE,
          // Declared again by the consumer itself on every reconnect.
          queueOptions: TOPOLOGY.queues.find((queue) => queue.queue === DELIVERY_QUEUE),
          exchanges: TOPOLOGY.exchanges,
          queueBindings: TOPOLOGY.queueBindings.filter((bind) => bind.queue === DELIVERY_QUEUE),
          qos: { prefetchCount: prefetch },
          concurrency: prefetch,
          // A handler that throws (the database away): back to the queue, tried again.
          requeue: true,
        },
        async (message: AsyncMessage) => {
          const verdict = await handle(message.body);
          return verdict === "ack" ? ConsumerStatus.ACK : ConsumerStatus.DROP;
        },
      );
      consumer.on("error", (error: unknown) => log.warn("delivery consumer error", { error }));
      return { close: () => consumer.close() };
    },
    state: () => (up ? "up" : "down"),
    async close() {
      await publisher.close();
      await connection.close();
    },
  };
}
