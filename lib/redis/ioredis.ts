// The store on a Redis server through ioredis, set up to fail fast (docs/protection.md, "When
// Redis fails or is slow"):
// when Redis is down, every call rejects within milliseconds (at most the connect or command
// timeout) instead of waiting for a reconnect, so the caller — a rate limiter in front of
// every request — can fail open or closed at once rather than stall the whole app.
//
// Three parts: the client's options (createClient), the connection it is used through —
// connect on demand, fail fast, one log line per outage (createConnection) — and the
// commands (ioredisCommands).
import { Redis } from "ioredis";

import type { RedisSettings } from "@/lib/env";
import {
  assertTtl,
  closedStoreMessage,
  consoleLogger,
  describeRedisUrl,
  messageOf,
  RedisUnavailableError,
  type RedisLogger,
  type RedisStore,
} from "@/lib/redis/store";
import { backoffDelay } from "@/lib/retry";
import { TimeoutError, withTimeout } from "@/lib/timeout";

/** settings.redis for a Redis server (lib/env.ts), and what only tests tune. */
export type IoRedisStoreOptions = Omit<Extract<RedisSettings, { kind: "ioredis" }>, "kind"> & {
  /** Cap of the exponential reconnect backoff, and the pause between on-demand reconnects
   *  once the background attempts are spent. */
  maxReconnectDelayMs?: number;
  logger?: RedisLogger;
};

export interface IoRedisStore extends RedisStore {
  readonly kind: "ioredis";
  /**
   * Runs commands beyond this interface on the underlying ioredis client — @upstash/ratelimit
   * needs EVALSHA and EVAL (lib/rate-limit/backends/ioredis-adapter.ts) — the way the store's
   * own commands run: connecting on demand, failing fast while Redis is down, rejecting with
   * `RedisUnavailableError` when it cannot answer, and with a plain `Error` that keeps Redis's
   * reply text (`NOSCRIPT …`, `ERR …`) when it answered with an error. Handing out the bare
   * client instead would skip all of that: with a lazy connection and no offline queue, its
   * first command would fail with "Stream isn't writeable".
   *
   * `command` names the call in errors and logs; `send` must issue its commands on `client`
   * and return their promise.
   */
  withClient<T>(command: string, send: (client: Redis) => Promise<T>): Promise<T>;
}

const RECONNECT_BASE_DELAY_MS = 50;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 2_000;

type ConnectionOptions = Required<Omit<IoRedisStoreOptions, "url">>;

/**
 * A store on a Redis server. Constructing never connects and never throws; the first command
 * connects.
 */
export function createIoRedisStore(options: IoRedisStoreOptions): IoRedisStore {
  const settings: ConnectionOptions = {
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs,
    maxReconnectAttempts: options.maxReconnectAttempts,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS,
    logger: options.logger ?? consoleLogger,
  };
  const client = createClient(options.url, settings);
  const connection = createConnection(client, describeRedisUrl(options.url), settings);
  return {
    kind: "ioredis",
    withClient: (command, send) => connection.run(command, () => send(client)),
    ...ioredisCommands(client, connection.run),
    close: connection.close,
  };
}

function createClient(url: string, options: ConnectionOptions): Redis {
  const { connectTimeoutMs, commandTimeoutMs, maxReconnectAttempts, maxReconnectDelayMs } = options;
  return new Redis(url, {
    // Connect on first use: building the store (at import time, in a build step) must not
    // open sockets or throw.
    lazyConnect: true,
    // No offline queue: a command sent while disconnected is rejected now instead of waiting
    // for a reconnect that may never come. Queued requests would pile up behind a dead Redis.
    // (`ensureReady` below already refuses before sending; this covers the gap between its
    // check and the send.)
    enableOfflineQueue: false,
    // A command whose connection dropped is rejected, not resent after reconnecting: a lost
    // INCR reply must not count twice (at-most-once beats a double count).
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    // After a handshake times out, ioredis ends the socket politely and waits this long for
    // the peer to close it (2 s by default); a peer that stopped answering will not.
    disconnectTimeout: commandTimeoutMs,
    // ioredis's own reconnect loop, with lib/retry.ts's bounded exponential backoff and
    // jitter, so a fleet of instances does not reconnect in lockstep and a long outage does
    // not keep timers running forever. Returning null stops the background attempts; the
    // next command then tries once more (see `ensureReady`).
    retryStrategy: (attempt) =>
      attempt > maxReconnectAttempts
        ? null
        : backoffDelay(attempt, RECONNECT_BASE_DELAY_MS, maxReconnectDelayMs),
  });
}

interface Connection {
  /** Sends once the client is ready, and says what a failure means (see IoRedisStore). */
  run: <T>(command: string, send: () => Promise<T>) => Promise<T>;
  close: () => Promise<void>;
}

type Unavailable = (command: string, detail: string, cause?: unknown) => RedisUnavailableError;

/**
 * Logs the start and the end of each outage — one line per outage, not one per reconnect
 * attempt: a dead Redis would otherwise flood the logs at the reconnect rate — and remembers
 * the last connection error for the messages of the commands that fail meanwhile.
 */
function watchOutages(
  client: Redis,
  target: string,
  logger: RedisLogger,
  isClosed: () => boolean,
): { unavailable: Unavailable } {
  let lastConnectionError: string | null = null;
  let incidentOpen = false;
  const openIncident = (reason: string) => {
    if (isClosed() || incidentOpen) return;
    incidentOpen = true;
    logger.warn("Redis is unreachable; commands fail fast until it is back", { target, reason });
  };
  // Without an 'error' listener ioredis prints every failed attempt to stderr; with one,
  // connection errors are ours to report (commands still reject on their own).
  client.on("error", (error: unknown) => {
    lastConnectionError = messageOf(error);
    openIncident(lastConnectionError);
  });
  client.on("close", () => openIncident("connection closed"));
  client.on("ready", () => {
    lastConnectionError = null;
    if (incidentOpen) {
      incidentOpen = false;
      logger.info?.("Redis is reachable again", { target });
    }
  });
  const unavailable: Unavailable = (command, detail, cause) =>
    new RedisUnavailableError(
      `Redis is unreachable at ${target} (${command}: ${detail}` +
        (lastConnectionError && lastConnectionError !== detail
          ? `; last connection error: ${lastConnectionError})`
          : ")"),
      { cause },
    );
  return { unavailable };
}

function createConnection(client: Redis, target: string, options: ConnectionOptions): Connection {
  const { connectTimeoutMs, commandTimeoutMs, maxReconnectDelayMs } = options;
  let closed = false;
  let connecting: Promise<void> | null = null;
  let lastOnDemandFailureAt = Number.NEGATIVE_INFINITY;
  const { unavailable } = watchOutages(client, target, options.logger, () => closed);

  /** Connects on demand, shared by concurrent callers, within a hard deadline. */
  const connect = (command: string): Promise<void> => {
    // TCP connect, then the HELLO/INFO handshake, which `commandTimeout` bounds. A late
    // rejection of the abandoned attempt is swallowed by withTimeout.
    const deadlineMs = connectTimeoutMs + commandTimeoutMs;
    return withTimeout(client.connect(), deadlineMs)
      .catch((error: unknown) => {
        lastOnDemandFailureAt = Date.now();
        throw error instanceof TimeoutError
          ? unavailable(command, `no connection within ${deadlineMs} ms`)
          : unavailable(command, messageOf(error), error);
      })
      .finally(() => {
        connecting = null;
      });
  };

  const ensureReady = async (command: string): Promise<void> => {
    if (closed) throw new Error(closedStoreMessage(command));
    if (client.status === "ready") return;
    if (connecting) return connecting;
    if (client.status === "wait" || client.status === "end") {
      // Background reconnects are spent (or never started). Try again from this command, but
      // not more often than the backoff cap: a blackholed host would otherwise cost every
      // request a full connect timeout.
      if (Date.now() - lastOnDemandFailureAt < maxReconnectDelayMs) {
        throw unavailable(command, "the last reconnect failed moments ago");
      }
      connecting = connect(command);
      return connecting;
    }
    // ioredis is reconnecting on its own schedule. Waiting for it is exactly the offline
    // queue we turned off, so fail now.
    throw unavailable(command, `connection is ${client.status}`);
  };

  return {
    run: async <T>(command: string, send: () => Promise<T>): Promise<T> => {
      await ensureReady(command);
      try {
        return await send();
      } catch (error) {
        // The server answered with an error: Redis is up, the command was wrong.
        if (error instanceof Error && error.name === "ReplyError") {
          throw new Error(`Redis ${command} failed: ${error.message}`, { cause: error });
        }
        throw unavailable(command, messageOf(error), error);
      }
    },

    close: async () => {
      if (closed) return;
      closed = true;
      if (client.status === "ready") {
        try {
          await client.quit();
          return;
        } catch {
          // QUIT failed (connection dropped meanwhile); disconnecting below is all that is left.
        }
      }
      client.disconnect();
    },
  };
}

/** The RedisStore commands on ioredis, each sent through `run`. */
function ioredisCommands(
  client: Redis,
  run: Connection["run"],
): Pick<RedisStore, "ping" | "get" | "set" | "del" | "incr" | "ttlMs"> {
  return {
    async ping() {
      await run("PING", () => client.ping());
    },

    get: (key) => run("GET", () => client.get(key)),

    async set(key, value, { ttlMs, onlyIfAbsent = false } = {}) {
      assertTtl(ttlMs);
      const reply = await run("SET", () => {
        if (ttlMs !== undefined) {
          return onlyIfAbsent
            ? client.set(key, value, "PX", ttlMs, "NX")
            : client.set(key, value, "PX", ttlMs);
        }
        return onlyIfAbsent ? client.set(key, value, "NX") : client.set(key, value);
      });
      // SET answers OK when written, and nil when NX found the key.
      return reply === "OK";
    },

    async del(key) {
      return (await run("DEL", () => client.del(key))) > 0;
    },

    async incr(key, { ttlMs } = {}) {
      assertTtl(ttlMs);
      if (ttlMs === undefined) return run("INCR", () => client.incr(key));
      // One MULTI so the TTL can never be lost between the two steps: SET NX creates the key
      // at 0 with its TTL only when it is missing, then INCR counts (and keeps the TTL).
      const replies = await run("INCR", () =>
        client.multi().set(key, "0", "PX", ttlMs, "NX").incr(key).exec(),
      );
      const incrReply = replies?.[1];
      if (!incrReply) throw new Error(`Redis INCR failed: the transaction was aborted`);
      const [error, value] = incrReply;
      if (error) throw new Error(`Redis INCR failed: ${error.message}`, { cause: error });
      if (typeof value !== "number") {
        throw new Error(`Redis INCR failed: unexpected reply ${String(value)}`);
      }
      return value;
    },

    async ttlMs(key) {
      const ttl = await run("PTTL", () => client.pttl(key));
      // -2: no such key; -1: the key never expires.
      return ttl >= 0 ? ttl : null;
    },
  };
}
