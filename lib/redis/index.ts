// The Redis store the settings ask for (store.ts has the interface): a Redis server
// (ioredis.ts) or Upstash (upstash.ts) when configured, an in-process map (memory.ts)
// otherwise. Code outside lib/redis imports from here; the files in it import each other.
import { DURATION_DEFAULTS, type RedisSettings } from "@/lib/env";
import { createIoRedisStore } from "@/lib/redis/ioredis";
import { createMemoryStore } from "@/lib/redis/memory";
import type { RedisLogger, RedisStore } from "@/lib/redis/store";
import { createUpstashStore } from "@/lib/redis/upstash";

export {
  createIoRedisStore,
  type IoRedisStore,
  type IoRedisStoreOptions,
} from "@/lib/redis/ioredis";
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from "@/lib/redis/memory";
export {
  RedisUnavailableError,
  type RedisIncrOptions,
  type RedisLogger,
  type RedisSetOptions,
  type RedisStore,
} from "@/lib/redis/store";
export {
  createUpstashStore,
  type UpstashStore,
  type UpstashStoreOptions,
} from "@/lib/redis/upstash";

type UpstashSettings = Extract<RedisSettings, { kind: "upstash" }>;

/** settings.redis (lib/env.ts), whose Upstash timeout may be left out (tests): then it is
 *  REDIS_COMMAND_TIMEOUT_MS's default. */
export type RedisStoreConfig =
  | Exclude<RedisSettings, UpstashSettings>
  | (Omit<UpstashSettings, "commandTimeoutMs"> &
      Partial<Pick<UpstashSettings, "commandTimeoutMs">>);

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
        logger,
      });
    case "upstash":
      return createUpstashStore({
        url: config.url,
        token: config.token,
        commandTimeoutMs: config.commandTimeoutMs ?? DURATION_DEFAULTS.redisCommandTimeoutMs,
        logger,
      });
    case "memory":
      return createMemoryStore({ now });
  }
}
