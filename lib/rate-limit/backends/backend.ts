// What every backend of the limiter is: a sliding-window counter store — @upstash/ratelimit
// on Redis (upstash-ratelimit.ts, through ioredis-adapter.ts on a Redis server), or the
// in-process one (memory.ts). index.ts picks one for the app's RedisStore.
import type { RateLimitRule } from "@/lib/env";
import type { RedisStore } from "@/lib/redis";

interface WindowCounts {
  limit: number;
  remaining: number;
  /** End of the current fixed window, ms since the epoch (a hint: see sliding-window.ts). */
  reset: number;
}

/** One request counted by a backend's sliding window (@upstash/ratelimit's answer, and when
 *  refused the instant from which the next request is allowed). */
export type WindowResult =
  | (WindowCounts & { success: true })
  | (WindowCounts & {
      success: false;
      /** The first millisecond at which the next request for the key is allowed, if nothing
       *  else is counted for it meanwhile (sliding-window.ts, nextAllowedAt). */
      retryAt: number;
    });

/** A sliding-window counter store: @upstash/ratelimit on Redis, or the in-process one. */
export interface SlidingWindowBackend {
  readonly kind: RedisStore["kind"];
  /** Counts one request for `id` in `namespace` (stored under `<namespace>:<id>:<window>`). */
  limit(namespace: string, id: string, rule: RateLimitRule): Promise<WindowResult>;
}
