// @upstash/ratelimit on a self-hosted Redis, through ioredis.
//
// The library is written against @upstash/redis, but of that client it only ever calls a
// few methods, and with the options Gatehouse uses (single region, no analytics, no deny
// list, no dynamic limits) exactly two (node_modules/@upstash/ratelimit/dist, `safeEval`):
// - `evalsha(sha1, keys, args)`: run a script by its hash, which the library hard-codes;
// - `eval(script, keys, args)`: run it by its text, which the library does only when
//   EVALSHA failed with an error whose text contains "NOSCRIPT".
// This adapter implements those two on ioredis (which takes the number of keys, then keys and
// arguments, flat), through the store's `withClient`, so every call connects on demand, fails
// fast while Redis is down and reports "unavailable" as the store's own commands do.
//
// One rewrite is needed. Since 2.1 the library's scripts start with
// `#!lua flags=allow-key-locking`, a flag only Upstash's server knows (it lets Upstash lock
// just the script's keys instead of the whole database). Open-source Redis refuses any
// script carrying it ("ERR Unexpected flag in script shebang"), so:
// - `eval` drops that flag (and the shebang line, if nothing else is left on it: a script
//   without one runs the same on Redis 6 and 7), runs the result with EVAL — which also
//   caches it on the server — and remembers which hash the library knows it by;
// - `evalsha` translates the library's hash into the rewritten script's hash. For a hash it
//   has not seen rewritten yet it answers NOSCRIPT itself, without a round trip, and the
//   library falls back to `eval` (so the first request costs one EVAL, not a failed EVALSHA
//   and then an EVAL). A real NOSCRIPT from the server (a restart, SCRIPT FLUSH) leads the
//   library to `eval` the same way, which loads the script again.
//
// The library's config type also names `get` and `set` (used only by dynamic limits, which
// are off); they are here to satisfy that type and refuse, loudly, if anything ever calls them.
import { createHash } from "node:crypto";
import type { RatelimitConfig } from "@upstash/ratelimit";
import type { Redis } from "ioredis";

/** What the adapter needs of a store: lib/redis/ioredis.ts's IoRedisStore fits. */
export interface ScriptRunner {
  withClient<T>(command: string, send: (client: ScriptClient) => Promise<T>): Promise<T>;
}

/** The ioredis methods the adapter calls. */
export type ScriptClient = Pick<Redis, "evalsha" | "eval">;

/** What @upstash/ratelimit calls on its `redis`, as a value its config accepts. */
export type RatelimitRedis = RatelimitConfig["redis"] & {
  eval: (script: string, keys: string[], args: unknown[]) => Promise<unknown>;
};

/** The Upstash-only shebang flag open-source Redis rejects. */
const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);

const SHEBANG = /^#!lua(?:[ \t]+flags=([^\s]*))?[ \t]*(?:\r?\n|$)/;

/**
 * The script as open-source Redis accepts it: without Upstash-only shebang flags, and
 * without the shebang line when no flag is left on it. Any other script is returned as is.
 */
export function scriptForOpenSourceRedis(script: string): string {
  const match = SHEBANG.exec(script);
  if (!match) return script;
  const flags = (match[1] ?? "").split(",").filter((flag) => flag !== "");
  const kept = flags.filter((flag) => !UPSTASH_ONLY_FLAGS.has(flag));
  if (kept.length === flags.length) return script;
  const rest = script.slice(match[0].length);
  return kept.length === 0 ? rest : `#!lua flags=${kept.join(",")}\n${rest}`;
}

export const sha1 = (text: string) => createHash("sha1").update(text, "utf8").digest("hex");

/** Lua receives every argument as a string; the library sends numbers (limit, now, window). */
function toArgument(value: unknown): string | number {
  if (typeof value === "string" || typeof value === "number") return value;
  throw new TypeError(`ioredis adapter: unsupported script argument of type ${typeof value}`);
}

const unsupported = (method: string) => () =>
  Promise.reject(
    new Error(
      `ioredis adapter: @upstash/ratelimit called ${method}, which only dynamic limits use ` +
        "(they are off); add it to lib/rate-limit/backends/ioredis-adapter.ts if that changed",
    ),
  );

export function createIoRedisRatelimitAdapter(store: ScriptRunner): RatelimitRedis {
  /** The library's hash of a script → the hash of the script as this server runs it. */
  const rewritten = new Map<string, string>();

  return {
    evalsha: <TArgs extends unknown[], TData = unknown>(
      sha: string,
      keys: string[],
      args: TArgs,
    ): Promise<TData> => {
      const serverSha = rewritten.get(sha);
      if (serverSha === undefined) {
        // The library's text for "run it with EVAL instead" (it matches on NOSCRIPT).
        return Promise.reject(new Error(`NOSCRIPT ioredis adapter: script ${sha} not loaded yet`));
      }
      // The reply is whatever the script returns; the library reads it as its own script's
      // shape (an array of integers), as it does with @upstash/redis.
      return store.withClient("EVALSHA", (client) =>
        client.evalsha(serverSha, keys.length, ...keys, ...args.map(toArgument)),
      ) as Promise<TData>;
    },

    eval: async (script, keys, args) => {
      const runnable = scriptForOpenSourceRedis(script);
      const result = await store.withClient("EVAL", (client) =>
        client.eval(runnable, keys.length, ...keys, ...args.map(toArgument)),
      );
      // Only once the server has run (and so cached) it: EVALSHA can find it from now on.
      rewritten.set(sha1(script), sha1(runnable));
      return result;
    },

    get: unsupported("GET"),
    set: unsupported("SET"),
  };
}
