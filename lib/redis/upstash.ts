// The store on Upstash Redis through its REST API (@upstash/redis), for deployments such as
// Vercel where a function cannot hold a TCP connection to Redis. Same semantics as the
// ioredis store; every call is one HTTPS request, so there is no connection to manage and
// `close` only stops the store from being used.
//
// Errors, so callers can fail open or closed as they mean to:
// - no answer (refused, reset, timed out) or a failing service (5xx, a gateway's HTML page):
//   `RedisUnavailableError`, after a few quick retries;
// - a token Upstash rejects: a plain `Error` naming the token. It is a configuration error,
//   not an outage — retrying cannot fix it — so it is not reported as "unavailable";
// - Redis refusing the command (not an integer…): a plain `Error`, as the other stores do.
import { Redis as UpstashRedis, errors as upstashErrors } from "@upstash/redis";

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
import { backoffDelay, retry } from "@/lib/retry";

/** settings.redis for Upstash (lib/env.ts), and what only tests tune. */
export type UpstashStoreOptions = Omit<Extract<RedisSettings, { kind: "upstash" }>, "kind"> & {
  /** Further attempts after a failed one: few, since a rate-limit decision waits on them. */
  maxRetries?: number;
  logger?: RedisLogger;
};

export interface UpstashStore extends RedisStore {
  readonly kind: "upstash";
  /**
   * The underlying client, for @upstash/ratelimit, which needs commands beyond this
   * interface (EVALSHA, pipelines). Configured as the store is: no telemetry, a timeout on
   * every request, few retries, and values returned as stored (no JSON parsing).
   */
  readonly client: UpstashRedis;
}

const DEFAULT_UPSTASH_MAX_RETRIES = 2;
const UPSTASH_RETRY_BASE_DELAY_MS = 25;

/** The client's text for a non-2xx answer ends with the whole command, values included. */
const UPSTASH_COMMAND_SUFFIX = ", command was: ";
/** Redis error replies start with an upper-case code: ERR, WRONGTYPE, EXECABORT, NOSCRIPT… */
const REDIS_ERROR_REPLY = /^[A-Z][A-Z_]+(\s|$)/;
/** …and these say the token is wrong or may not run the command. */
const REDIS_AUTH_ERROR = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

export function createUpstashStore(options: UpstashStoreOptions): UpstashStore {
  const { commandTimeoutMs, maxRetries = DEFAULT_UPSTASH_MAX_RETRIES } = options;
  const logger = options.logger ?? consoleLogger;
  const failures = upstashFailures(describeRedisUrl(options.url), commandTimeoutMs);
  const client = createClient(options.url, options.token, commandTimeoutMs, maxRetries);

  let closed = false;
  // One log line per outage, as for ioredis: a dead service would otherwise log per request.
  let incidentOpen = false;

  /** Logs the start of an outage (not a blip a retry got past), then hands the error on. */
  const report = (error: Error): Error => {
    if (error instanceof RedisUnavailableError && !incidentOpen) {
      incidentOpen = true;
      logger.warn("Upstash Redis is unreachable; commands fail until it answers again", {
        target: failures.target,
        reason: error.message,
      });
    }
    return error;
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
        shouldRetry: (error) => failures.classify(command, error).retry,
      });
      if (incidentOpen) {
        incidentOpen = false;
        logger.info?.("Upstash Redis is reachable again", { target: failures.target });
      }
      return result;
    } catch (error) {
      throw report(failures.classify(command, error).error);
    }
  };

  return {
    kind: "upstash",
    client,
    ...upstashCommands(client, run, (error) => report(failures.serverError("INCR", error))),
    close() {
      // Nothing to release: each command is its own HTTP request.
      closed = true;
      return Promise.resolve();
    },
  };
}

function createClient(
  url: string,
  token: string,
  commandTimeoutMs: number,
  maxRetries: number,
): UpstashRedis {
  return new UpstashRedis({
    url,
    token,
    // The client retries only requests that got no HTTP answer at all (fetch threw); its
    // default of 5 with e^n·50 ms backoff could hold a request for seconds. That loop is the
    // library's own, inside its fetch, and it is the only retry for the requests
    // @upstash/ratelimit sends on this client (they never pass through the store's `run`),
    // so it stays — bounded as ours and with lib/retry.ts's backoff (exponential, with
    // jitter, so instances that saw the same blip do not retry in lockstep).
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
}

/** What a failed request means, as the errors at the top of this file. */
function upstashFailures(target: string, commandTimeoutMs: number) {
  const unavailable = (command: string, detail: string, cause?: unknown) =>
    new RedisUnavailableError(`Upstash Redis is unreachable at ${target} (${command}: ${detail})`, {
      cause,
    });

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

  /** The error to report for a failed request. `retry`: a new attempt may well succeed. */
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

  return { target, classify, serverError };
}

/** The RedisStore commands on @upstash/redis, each sent through `run`. `incrFailed` turns
 *  the error of INCR inside its transaction into the error to throw. */
function upstashCommands(
  client: UpstashRedis,
  run: <T>(command: string, send: () => Promise<T>) => Promise<T>,
  incrFailed: (reply: string) => Error,
): Pick<RedisStore, "ping" | "get" | "set" | "del" | "incr" | "ttlMs"> {
  return {
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
      if (error !== undefined) throw incrFailed(error);
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
  };
}
