// What Gatehouse declares on RabbitMQ (docs/jobs.md), in one place so that the relay, the
// worker, the event tail and the tests agree on every name.
//
// Delivery (notifications: Telegram alerts, mail):
// - exchange `gatehouse.delivery` (direct) → queue `gatehouse.delivery`, routing key
//   `deliver`: one message per outbox row due, `{ "id": <row id> }`, persistent;
// - a retry waits in `gatehouse.delivery.retry.<delay>`, a queue nobody consumes whose
//   messages expire after <delay> and are dead-lettered back to `gatehouse.delivery`. One
//   queue per delay, because RabbitMQ only expires messages at the head of a queue: a queue
//   whose messages all wait as long is never held up by a longer wait in front;
// - a message the worker cannot handle (unreadable, or its row gone) or a row that used up
//   its attempts is rejected, and the delivery queue dead-letters it to `gatehouse.dead`
//   (fanout) → queue `gatehouse.delivery.dead`, for a person to look at.
//
// Events: `gatehouse.events` (topic), routing key = the CloudEvents type, e.g.
// `security.sign_in.succeeded`. Gatehouse declares no queue for them: each subscriber binds
// its own.
//
// Everything is durable and every message persistent: a broker restart loses nothing.

export const DELIVERY_EXCHANGE = "gatehouse.delivery";
export const DELIVERY_QUEUE = "gatehouse.delivery";
export const DELIVERY_ROUTING_KEY = "deliver";
export const DEAD_LETTER_EXCHANGE = "gatehouse.dead";
export const DEAD_LETTER_QUEUE = "gatehouse.delivery.dead";
export const EVENTS_EXCHANGE = "gatehouse.events";

/**
 * The waits a retry can take, shortest first. A retry waits in the shortest one at least as
 * long as asked (Telegram's retry_after, the mail's backoff), never less.
 */
export const RETRY_DELAYS_MS = [
  1_000,
  5_000,
  15_000,
  60_000,
  5 * 60_000,
  15 * 60_000,
  30 * 60_000,
] as const;

/** `gatehouse.delivery.retry.5s`, `….1m`: the queue of one retry delay. */
export function retryQueueName(delayMs: number): string {
  const name = delayMs % 60_000 === 0 ? `${delayMs / 60_000}m` : `${Math.ceil(delayMs / 1_000)}s`;
  return `${DELIVERY_QUEUE}.retry.${name}`;
}

/** The delay queue a retry after `retryAfterMs` waits in: the shortest long enough. */
export function retryDelayFor(retryAfterMs: number): number {
  return RETRY_DELAYS_MS.find((delay) => delay >= retryAfterMs) ?? RETRY_DELAYS_MS.at(-1)!;
}

interface ExchangeDeclaration {
  exchange: string;
  type: "direct" | "fanout" | "topic";
  durable: true;
}

interface QueueDeclaration {
  queue: string;
  durable: true;
  arguments?: Record<string, string | number>;
}

interface Binding {
  exchange: string;
  queue: string;
  routingKey: string;
}

export interface Topology {
  exchanges: ExchangeDeclaration[];
  queues: QueueDeclaration[];
  queueBindings: Binding[];
}

/**
 * Every exchange, queue and binding, declared by whoever connects first (declaring is
 * idempotent while the arguments stay the same; changing a queue's arguments needs the
 * queue deleted first, which a release that does so must say).
 */
export const TOPOLOGY: Topology = {
  exchanges: [
    { exchange: DELIVERY_EXCHANGE, type: "direct", durable: true },
    { exchange: DEAD_LETTER_EXCHANGE, type: "fanout", durable: true },
    { exchange: EVENTS_EXCHANGE, type: "topic", durable: true },
  ],
  queues: [
    {
      queue: DELIVERY_QUEUE,
      durable: true,
      arguments: { "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE },
    },
    { queue: DEAD_LETTER_QUEUE, durable: true },
    ...RETRY_DELAYS_MS.map((delayMs): QueueDeclaration => ({
      queue: retryQueueName(delayMs),
      durable: true,
      arguments: {
        "x-message-ttl": delayMs,
        "x-dead-letter-exchange": DELIVERY_EXCHANGE,
        "x-dead-letter-routing-key": DELIVERY_ROUTING_KEY,
      },
    })),
  ],
  queueBindings: [
    { exchange: DELIVERY_EXCHANGE, queue: DELIVERY_QUEUE, routingKey: DELIVERY_ROUTING_KEY },
    { exchange: DEAD_LETTER_EXCHANGE, queue: DEAD_LETTER_QUEUE, routingKey: "" },
  ],
};
