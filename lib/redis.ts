// One small key-value interface over Redis, so services never know which Redis they talk to:
// ioredis for a self-hosted server, Upstash's REST API on Vercel, or an in-process map for
// development and tests.
//
// The surface is what the features need and no more: set-if-absent with a TTL (Telegram
// update_id deduplication), counters whose expiry starts with the first hit (rate and
// attempt counters), and plain get/set/del with TTLs (the session revocation cache).
import { Redis as UpstashRedis, errors as upstashErrors } from "@upstash/redis";
import { Redis } from "ioredis";

import { backoffDelay, retry } from "@/lib/retry";
import { TimeoutError, withTimeout } from "@/lib/timeout";

export interface RedisSetOptions {
  /** Expire the key after this many milliseconds (a positive integer). Without it the key
   *  does not expire, and — as in Redis — any TTL it had is cleared. */
  ttlMs?: number;
  /** Write only when the key does not exist yet (Redis `SET … NX`). */
  onlyIfAbsent?: boolean;
}

export interface RedisIncrOptions {
  /** TTL given to the key when this call creates it; an existing key keeps its TTL, so a
   *  counter's window starts at its first hit and is not extended by later ones. */
  ttlMs?: number;
}

export interface RedisStore {
  readonly kind: "ioredis" | "upstash" | "memory";
  /** Resolves when the store answers; rejects with `RedisUnavailableError` otherwise. */
  ping(): Promise<void>;
  get(key: string): Promise<string | null>;
  /** Returns false only when `onlyIfAbsent` is set and the key already exists. */
  set(key: string, value: string, options?: RedisSetOptions): Promise<boolean>;
  /** Returns whether a key was deleted. */
  del(key: string): Promise<boolean>;
  /** Adds one to an integer value (a missing key counts as 0) and returns the result. */
  incr(key: string, options?: RedisIncrOptions): Promise<number>;
  /** Remaining time to live in milliseconds; null when the key is missing or never expires. */
  ttlMs(key: string): Promise<number | null>;
  /** Releases the connection. Later calls reject. */
  close(): Promise<void>;
}

export interface RedisLogger {
  warn(message: string, data?: Record<string, unknown>): void;
  info?(message: string, data?: Record<string, unknown>): void;
}

/**
 * Redis could not answer: refused or dropped connection, timeout, or a reconnect in
 * progress. Callers decide what "down" means for them (the global rate limit fails open,
 * the sign-in limit fails closed), so this is a distinct class they can test for. An error
 * the server itself answered with (wrong type, not an integer) is a plain `Error` instead.
 */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

const closedStoreMessage = (command: string) => `Redis store is closed (${command})`;

/** Redis rejects `PX 0` and fractions; check up front so both stores agree. */
function assertTtl(ttlMs: number | undefined): void {
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
    throw new RangeError(`Redis TTL must be a positive integer of milliseconds, got ${ttlMs}`);
  }
}

// ---------------------------------------------------------------------------------------
// ioredis
// ---------------------------------------------------------------------------------------

export interface IoRedisStoreOptions {
  url: string;
  /** Bound on opening the TCP connection. */
  connectTimeoutMs: number;
  /** Bound on every command, including the connection handshake. */
  commandTimeoutMs: number;
  /** Background reconnects after a connection is lost, before giving up until the next command. */
  maxReconnectAttempts: number;
  /** Cap of the exponential reconnect backoff, and the pause between on-demand reconnects
   *  once the background attempts are spent. */
  maxReconnectDelayMs?: number;
  logger?: RedisLogger;
}

export interface IoRedisStore extends RedisStore {
  readonly kind: "ioredis";
  /**
   * Runs commands beyond this interface on the underlying ioredis client — @upstash/ratelimit
   * needs EVALSHA and EVAL (lib/security/ioredis-ratelimit-adapter.ts) — the way the store's
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

const consoleLogger: RedisLogger = {
  warn: (message, data) => console.warn(`[redis] ${message}`, data ?? ""),
  info: (message, data) => console.info(`[redis] ${message}`, data ?? ""),
};

/** The URL without credentials, for error messages and logs. */
function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "the configured Redis URL";
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A store on a Redis server through ioredis, set up to fail fast (DESIGN.md, "Protection"):
 * when Redis is down, every call rejects within milliseconds (at most the connect or command
 * timeout) instead of waiting for a reconnect, so the caller — a rate limiter in front of
 * every request — can fail open or closed at once rather than stall the whole app.
 *
 * Constructing never connects and never throws; the first command connects.
 */
export function createIoRedisStore(options: IoRedisStoreOptions): IoRedisStore {
  const {
    url,
    connectTimeoutMs,
    commandTimeoutMs,
    maxReconnectAttempts,
    maxReconnectDelayMs = DEFAULT_MAX_RECONNECT_DELAY_MS,
    logger = consoleLogger,
  } = options;
  const target = describeRedisUrl(url);

  const client = new Redis(url, {
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
    // Bounded exponential backoff with jitter, so a fleet of instances does not reconnect in
    // lockstep and a long outage does not keep timers running forever. Returning null stops
    // the background attempts; the next command then tries once more (see `ensureReady`).
    retryStrategy: (attempt) => {
      if (attempt > maxReconnectAttempts) return null;
      const delay = Math.min(RECONNECT_BASE_DELAY_MS * 2 ** (attempt - 1), maxReconnectDelayMs);
      return delay + Math.floor(Math.random() * RECONNECT_BASE_DELAY_MS);
    },
  });

  let closed = false;
  let connecting: Promise<void> | null = null;
  let lastOnDemandFailureAt = Number.NEGATIVE_INFINITY;
  let lastConnectionError: string | null = null;
  // One log line per outage, not one per reconnect attempt: a dead Redis would otherwise
  // flood the logs at the reconnect rate.
  let incidentOpen = false;

  const openIncident = (reason: string) => {
    if (closed || incidentOpen) return;
    incidentOpen = true;
    logger.warn("Redis is unreachable; commands fail fast until it is back", {
      target,
      reason,
    });
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

  const unavailable = (command: string, detail: string, cause?: unknown) =>
    new RedisUnavailableError(
      `Redis is unreachable at ${target} (${command}: ${detail}` +
        (lastConnectionError && lastConnectionError !== detail
          ? `; last connection error: ${lastConnectionError})`
          : ")"),
      { cause },
    );

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

  const run = async <T>(command: string, send: () => Promise<T>): Promise<T> => {
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
  };

  return {
    kind: "ioredis",

    withClient: (command, send) => run(command, () => send(client)),

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

    async close() {
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

// ---------------------------------------------------------------------------------------
// In-memory
// ---------------------------------------------------------------------------------------

export interface MemoryStoreOptions {
  /** Clock in milliseconds; tests inject one they can advance. */
  now?: () => number;
}

export interface MemoryStore extends RedisStore {
  readonly kind: "memory";
  /** Keys held, including expired ones not swept yet; for tests and diagnostics. */
  size(): number;
}

interface MemoryEntry {
  value: string;
  /** Clock time at which the key stops existing; null when it never expires. */
  expiresAt: number | null;
}

// Expired keys are dropped when touched, and all at once whenever the map has doubled since
// the last sweep: memory stays within about twice the live keys, and the O(n) sweep is paid
// once per n writes.
const MIN_SWEEP_THRESHOLD = 1_024;

const INTEGER = /^-?\d+$/;

/**
 * An in-process store with Redis's semantics, for development without a Redis server and for
 * tests. State lives in this process only: with several server instances, each has its own
 * counters, which is why production uses Redis.
 */
export function createMemoryStore({ now = Date.now }: MemoryStoreOptions = {}): MemoryStore {
  const entries = new Map<string, MemoryEntry>();
  let sweepThreshold = MIN_SWEEP_THRESHOLD;
  let closed = false;

  const isExpired = (entry: MemoryEntry, at: number) =>
    entry.expiresAt !== null && entry.expiresAt <= at;

  /** The live entry for a key, dropping it if it has expired. */
  const read = (key: string): MemoryEntry | undefined => {
    const entry = entries.get(key);
    if (entry && isExpired(entry, now())) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const write = (key: string, entry: MemoryEntry) => {
    entries.set(key, entry);
    if (entries.size >= sweepThreshold) {
      const at = now();
      for (const [candidate, existing] of entries) {
        if (isExpired(existing, at)) entries.delete(candidate);
      }
      sweepThreshold = Math.max(MIN_SWEEP_THRESHOLD, entries.size * 2);
    }
  };

  // Every method answers with a promise, and misuse (a bad TTL, a closed store) rejects it as
  // the ioredis store does, rather than throwing synchronously.
  const answer = <T>(command: string, compute: () => T): Promise<T> => {
    try {
      if (closed) throw new Error(closedStoreMessage(command));
      return Promise.resolve(compute());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };

  return {
    kind: "memory",

    ping: () => answer("PING", () => undefined),

    get: (key) => answer("GET", () => read(key)?.value ?? null),

    set: (key, value, { ttlMs, onlyIfAbsent = false } = {}) =>
      answer("SET", () => {
        assertTtl(ttlMs);
        if (onlyIfAbsent && read(key)) return false;
        write(key, { value, expiresAt: ttlMs === undefined ? null : now() + ttlMs });
        return true;
      }),

    del: (key) =>
      answer("DEL", () => {
        const existed = read(key) !== undefined;
        entries.delete(key);
        return existed;
      }),

    incr: (key, { ttlMs } = {}) =>
      answer("INCR", () => {
        assertTtl(ttlMs);
        const entry = read(key);
        const current = entry ? Number(entry.value) : 0;
        if (entry && !(INTEGER.test(entry.value) && Number.isSafeInteger(current))) {
          // Same words as Redis, so callers and tests see one message whatever the store.
          throw new Error("Redis INCR failed: ERR value is not an integer or out of range");
        }
        const next = current + 1;
        if (!Number.isSafeInteger(next)) {
          throw new Error("Redis INCR failed: ERR increment or decrement would overflow");
        }
        const expiresAt = entry ? entry.expiresAt : ttlMs === undefined ? null : now() + ttlMs;
        write(key, { value: String(next), expiresAt });
        return next;
      }),

    ttlMs: (key) =>
      answer("PTTL", () => {
        const entry = read(key);
        return entry?.expiresAt != null ? entry.expiresAt - now() : null;
      }),

    close: () => {
      closed = true;
      entries.clear();
      return Promise.resolve();
    },

    size: () => entries.size,
  };
}

// ---------------------------------------------------------------------------------------
// Upstash (Redis over HTTPS, for Vercel)
// ---------------------------------------------------------------------------------------

export interface UpstashStoreOptions {
  /** The database's REST URL (UPSTASH_REDIS_REST_URL). */
  url: string;
  /** Its REST token (UPSTASH_REDIS_REST_TOKEN). */
  token: string;
  /** Bound on each HTTP request, including the client's own retries of it. */
  commandTimeoutMs: number;
  /** Further attempts after a failed one: few, since a rate-limit decision waits on them. */
  maxRetries?: number;
  logger?: RedisLogger;
}

export interface UpstashStore extends RedisStore {
  readonly kind: "upstash";
  /**
   * The underlying client, for @upstash/ratelimit, which needs commands beyond this
   * interface (EVALSHA, pipelines). Configured as the store is: no telemetry, a timeout on
   * every request, few retries, and values returned as stored (no JSON parsing).
   */
  readonly client: UpstashRedis;
}

export const DEFAULT_UPSTASH_COMMAND_TIMEOUT_MS = 1_000;
const DEFAULT_UPSTASH_MAX_RETRIES = 2;
const UPSTASH_RETRY_BASE_DELAY_MS = 25;

/** The client's text for a non-2xx answer ends with the whole command, values included. */
const UPSTASH_COMMAND_SUFFIX = ", command was: ";
/** Redis error replies start with an upper-case code: ERR, WRONGTYPE, EXECABORT, NOSCRIPT… */
const REDIS_ERROR_REPLY = /^[A-Z][A-Z_]+(\s|$)/;
/** …and these say the token is wrong or may not run the command. */
const REDIS_AUTH_ERROR = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

/**
 * A store on Upstash Redis through its REST API (@upstash/redis), for deployments such as
 * Vercel where a function cannot hold a TCP connection to Redis. Same semantics as the
 * ioredis store; every call is one HTTPS request, so there is no connection to manage and
 * `close` only stops the store from being used.
 *
 * Errors, so callers can fail open or closed as they mean to:
 * - no answer (refused, reset, timed out) or a failing service (5xx, a gateway's HTML page):
 *   `RedisUnavailableError`, after a few quick retries;
 * - a token Upstash rejects: a plain `Error` naming the token. It is a configuration error,
 *   not an outage — retrying cannot fix it — so it is not reported as "unavailable";
 * - Redis refusing the command (not an integer…): a plain `Error`, as the other stores do.
 */
export function createUpstashStore(options: UpstashStoreOptions): UpstashStore {
  const {
    url,
    token,
    commandTimeoutMs,
    maxRetries = DEFAULT_UPSTASH_MAX_RETRIES,
    logger = consoleLogger,
  } = options;
  const target = describeRedisUrl(url);

  const client = new UpstashRedis({
    url,
    token,
    // The client retries only requests that got no HTTP answer at all (fetch threw); its
    // default of 5 with e^n·50 ms backoff could hold a request for seconds. That loop is the
    // library's own, inside its fetch, and it is the only retry for the requests
    // @upstash/ratelimit sends on this client (they never pass through `run` below), so it
    // stays — bounded as ours and with lib/retry.ts's backoff (exponential, with jitter, so
    // instances that saw the same blip do not retry in lockstep).
    retry: {
      retries: maxRetries,
      backoff: (retryCount) => backoffDelay(retryCount + 1, UPSTASH_RETRY_BASE_DELAY_MS),
    },
    // A function, not a signal: called once per request, so each request gets its own
    // deadline (covering the client's retries of it). With a plain AbortSignal the client
    // turns an abort into a *successful* answer whose result is the abort reason, and
    // `get` would resolve with garbage instead of failing.
    signal: () => AbortSignal.timeout(commandTimeoutMs),
    // Telemetry only adds headers describing the runtime; nothing of ours needs them.
    enableTelemetry: false,
    // Values come back as stored: by default the client JSON-parses them, so "41" would
    // come back as the number 41 and '{"a":1}' as an object.
    automaticDeserialization: false,
    // One request per command (the default batches a tick's commands into one pipeline):
    // each call gets its own timeout and retries, and an error belongs to its command.
    enableAutoPipelining: false,
  });

  let closed = false;
  // One log line per outage, as for ioredis: a dead service would otherwise log per request.
  let incidentOpen = false;

  const unavailable = (command: string, detail: string, cause?: unknown) =>
    new RedisUnavailableError(`Upstash Redis is unreachable at ${target} (${command}: ${detail})`, {
      cause,
    });

  /** Logs the start of an outage (not a blip a retry got past), then hands the error on. */
  const report = (error: Error): Error => {
    if (error instanceof RedisUnavailableError && !incidentOpen) {
      incidentOpen = true;
      logger.warn("Upstash Redis is unreachable; commands fail until it answers again", {
        target,
        reason: error.message,
      });
    }
    return error;
  };

  /** What a failed request means. `retry`: a new attempt may well succeed. */
  const classify = (command: string, error: unknown): { error: Error; retry: boolean } => {
    if (error instanceof upstashErrors.UpstashJSONParseError) {
      // A body that is not JSON: a proxy's or gateway's error page, not Upstash answering.
      return { error: unavailable(command, "the answer was not JSON"), retry: true };
    }
    if (error instanceof upstashErrors.UpstashError) {
      // The client keeps no status code, only the server's `error` text; cut the command
      // it appends, which would put keys and values in logs.
      const end = error.message.indexOf(UPSTASH_COMMAND_SUFFIX);
      const reply = end === -1 ? error.message : error.message.slice(0, end);
      return { error: serverError(command, reply), retry: !REDIS_ERROR_REPLY.test(reply) };
    }
    if (error instanceof Error && error.name === "TimeoutError") {
      return {
        error: unavailable(command, `no answer within ${commandTimeoutMs} ms`, error),
        retry: false, // a service that hangs would hang again, and the caller has waited enough
      };
    }
    // fetch failed (refused, reset, DNS) and the client's own retries are spent.
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : undefined;
    const detail =
      cause === undefined ? messageOf(error) : `${messageOf(error)}: ${messageOf(cause)}`;
    return { error: unavailable(command, detail, error), retry: false };
  };

  /** An `error` the service answered with: Redis's reply, a refused token, or a 5xx. */
  const serverError = (command: string, reply: string): Error => {
    if (REDIS_AUTH_ERROR.test(reply)) {
      return new Error(
        `Upstash rejected the REST token for ${target} (${command}: ${reply}); ` +
          "check UPSTASH_REDIS_REST_TOKEN",
      );
    }
    if (REDIS_ERROR_REPLY.test(reply)) return new Error(`Redis ${command} failed: ${reply}`);
    return unavailable(command, `the service failed: ${reply}`);
  };

  const run = async <T>(command: string, send: () => Promise<T>): Promise<T> => {
    if (closed) throw new Error(closedStoreMessage(command));
    try {
      // The client retries only when no HTTP answer came; a 5xx it hands straight back, so
      // those are retried here, as few times (so at most (1 + maxRetries)² requests when
      // both kinds of failure mix). A retry is not at-most-once: a write that ran before
      // its answer was lost runs again. For a counter that is one extra hit (the safe side
      // for a rate limit); a SET NX finds its own key and reports it present — the price
      // of not failing on every blip, paid only when an answer is lost after the write.
      const result = await retry(send, {
        attempts: 1 + maxRetries,
        baseDelayMs: UPSTASH_RETRY_BASE_DELAY_MS,
        shouldRetry: (error) => classify(command, error).retry,
      });
      if (incidentOpen) {
        incidentOpen = false;
        logger.info?.("Upstash Redis is reachable again", { target });
      }
      return result;
    } catch (error) {
      throw report(classify(command, error).error);
    }
  };

  return {
    kind: "upstash",
    client,

    async ping() {
      await run("PING", () => client.ping());
    },

    get: (key) => run("GET", () => client.get<string>(key)),

    async set(key, value, { ttlMs, onlyIfAbsent = false } = {}) {
      assertTtl(ttlMs);
      const reply = await run("SET", () => {
        if (ttlMs !== undefined) {
          return onlyIfAbsent
            ? client.set(key, value, { px: ttlMs, nx: true })
            : client.set(key, value, { px: ttlMs });
        }
        return onlyIfAbsent ? client.set(key, value, { nx: true }) : client.set(key, value);
      });
      // SET answers OK when written, and null when NX found the key.
      return reply === "OK";
    },

    async del(key) {
      return (await run("DEL", () => client.del(key))) > 0;
    },

    async incr(key, { ttlMs } = {}) {
      assertTtl(ttlMs);
      if (ttlMs === undefined) return run("INCR", () => client.incr(key));
      // `multi()` is POST /multi-exec, a MULTI/EXEC transaction (`pipeline()` is not atomic):
      // SET NX creates the key at 0 with its TTL only when it is missing, then INCR counts.
      const replies = await run("INCR", () =>
        client.multi().set(key, "0", { px: ttlMs, nx: true }).incr(key).exec({ keepErrors: true }),
      );
      const { result, error } = replies[1];
      if (error !== undefined) throw report(serverError("INCR", error));
      if (typeof result !== "number") {
        throw new Error(`Redis INCR failed: unexpected reply ${String(result)}`);
      }
      return result;
    },

    async ttlMs(key) {
      const ttl = await run("PTTL", () => client.pttl(key));
      // -2: no such key; -1: the key never expires.
      return ttl >= 0 ? ttl : null;
    },

    close() {
      // Nothing to release: each command is its own HTTP request.
      closed = true;
      return Promise.resolve();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Choosing one
// ---------------------------------------------------------------------------------------

export type RedisStoreConfig =
  | {
      kind: "ioredis";
      url: string;
      connectTimeoutMs: number;
      commandTimeoutMs: number;
      maxReconnectAttempts: number;
      maxReconnectDelayMs?: number;
    }
  | {
      kind: "upstash";
      url: string;
      token: string;
      /** Default: DEFAULT_UPSTASH_COMMAND_TIMEOUT_MS. */
      commandTimeoutMs?: number;
    }
  | { kind: "memory" };

export interface RedisStoreDependencies {
  logger?: RedisLogger;
  now?: () => number;
}

/** The store the settings ask for: a Redis server or Upstash when configured, memory otherwise. */
export function createRedisStore(
  config: RedisStoreConfig,
  { logger, now }: RedisStoreDependencies = {},
): RedisStore {
  switch (config.kind) {
    case "ioredis":
      return createIoRedisStore({
        url: config.url,
        connectTimeoutMs: config.connectTimeoutMs,
        commandTimeoutMs: config.commandTimeoutMs,
        maxReconnectAttempts: config.maxReconnectAttempts,
        maxReconnectDelayMs: config.maxReconnectDelayMs,
        logger,
      });
    case "upstash":
      return createUpstashStore({
        url: config.url,
        token: config.token,
        commandTimeoutMs: config.commandTimeoutMs ?? DEFAULT_UPSTASH_COMMAND_TIMEOUT_MS,
        logger,
      });
    case "memory":
      return createMemoryStore({ now });
  }
}
