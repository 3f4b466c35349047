// The limiter's backend on a Redis server: @upstash/ratelimit's sliding window, its Lua script
// run by Redis — on Upstash through @upstash/redis, on a Redis server through ioredis and
// ioredis-adapter.ts.
import { Ratelimit, type RatelimitConfig } from "@upstash/ratelimit";

import type { RateLimitRule } from "@/lib/env";
import type { SlidingWindowBackend } from "@/lib/rate-limit/backends/backend";

/**
 * A backend on @upstash/ratelimit with the given Redis client (@upstash/redis, or the ioredis
 * adapter). One library instance per namespace and rule, created on first use.
 */
export function createRatelimitLibraryBackend(
  kind: "upstash" | "ioredis",
  redis: RatelimitConfig["redis"],
): SlidingWindowBackend {
  const instances = new Map<string, Ratelimit>();
  const instanceFor = (namespace: string, { limit, windowMs }: RateLimitRule) => {
    const cacheKey = `${namespace}\n${limit}\n${windowMs}`;
    let instance = instances.get(cacheKey);
    if (!instance) {
      instance = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(limit, `${windowMs} ms`),
        // Keys: `<namespace>:<id>:<window number>`.
        prefix: namespace,
        // The library's own timeout resolves with success: true ("timeout"), which would
        // fail the sign-in limits OPEN. Off; the limiter's timeout (limiter.ts) decides, per
        // policy.
        timeout: 0,
        // The ephemeral cache remembers refused identifiers in this process until their
        // reset and refuses them without asking Redis. Off: it is a Map that only forgets an
        // identifier when that identifier comes back, so an attacker rotating IPs grows it
        // without bound; its "blocked until reset" is wrong for a sliding window (see
        // memory.ts); and it makes instances disagree. A refused request costs
        // one round trip (≈1 ms on loopback), which the proxy can afford.
        ephemeralCache: false,
        // Analytics writes extra keys per request and sends identifiers to Upstash's
        // dashboard; the deny list fetches IP lists from GitHub; neither is wanted.
        analytics: false,
        enableProtection: false,
        dynamicLimits: false,
        // Telemetry only tags the client's requests with SDK versions.
        enableTelemetry: false,
      });
      instances.set(cacheKey, instance);
    }
    return instance;
  };

  return {
    kind,
    async limit(namespace, id, rule) {
      const response = await instanceFor(namespace, rule).limit(id);
      // With the options above the library always asks Redis; any other reason ("timeout",
      // "cacheBlock", "denyList") means a default changed under us — fail loudly, not open.
      if (response.reason !== undefined) {
        throw new Error(`@upstash/ratelimit answered without Redis (${response.reason})`);
      }
      const { success, limit, remaining, reset } = response;
      return { success, limit, remaining, reset };
    },
  };
}
