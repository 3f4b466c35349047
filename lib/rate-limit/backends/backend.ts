// What every backend of the limiter is: a sliding-window counter store — @upstash/ratelimit
// on Redis (upstash-ratelimit.ts, through ioredis-adapter.ts on a Redis server), or the
// in-process one (memory.ts). index.ts picks one for the app's RedisStore.
import type { RateLimitRule } from "@/lib/env";
import type { RedisStore } from "@/lib/redis";

/** One request counted by a backend's sliding window (@upstash/ratelimit's answer). */
export interface WindowResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** End of the current fixed window, ms since the epoch. */
  reset: number;
}

/** A sliding-window counter store: @upstash/ratelimit on Redis, or the in-process one. */
export interface SlidingWindowBackend {
  readonly kind: RedisStore["kind"];
  /** Counts one request for `id` in `namespace` (stored under `<namespace>:<id>:<window>`). */
  limit(namespace: string, id: string, rule: RateLimitRule): Promise<WindowResult>;
}
