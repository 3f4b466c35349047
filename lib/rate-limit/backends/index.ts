// The backend for the app's RedisStore (backend.ts says what a backend is).
import type { SlidingWindowBackend } from "@/lib/rate-limit/backends/backend";
import { createIoRedisRatelimitAdapter } from "@/lib/rate-limit/backends/ioredis-adapter";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { createRatelimitLibraryBackend } from "@/lib/rate-limit/backends/upstash-ratelimit";
import type { IoRedisStore, RedisStore, UpstashStore } from "@/lib/redis";

function isUpstashStore(store: RedisStore): store is UpstashStore {
  return store.kind === "upstash" && "client" in store;
}

function isIoRedisStore(store: RedisStore): store is IoRedisStore {
  return store.kind === "ioredis" && "withClient" in store;
}

/**
 * The backend for the app's RedisStore (which settings.redis chose): @upstash/ratelimit on
 * the same Upstash client or ioredis connection, or the in-process sliding window when Redis
 * is in memory. `now` is that in-process window's clock.
 */
export function createRateLimitBackend(
  store: RedisStore,
  { now = Date.now }: { now?: () => number } = {},
): SlidingWindowBackend {
  // The counters a refusal's wait is worked out from are read with the store's own GET.
  const readCounter = (key: string) => store.get(key);
  if (isUpstashStore(store)) {
    return createRatelimitLibraryBackend("upstash", store.client, readCounter);
  }
  if (isIoRedisStore(store)) {
    return createRatelimitLibraryBackend(
      "ioredis",
      createIoRedisRatelimitAdapter(store),
      readCounter,
    );
  }
  if (store.kind === "memory") return createMemoryRateLimitBackend({ now });
  throw new TypeError(
    `No rate-limit backend for a ${store.kind} store without its client (wrapped store?)`,
  );
}
