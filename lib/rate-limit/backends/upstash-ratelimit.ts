// The limiter's backend on a Redis server: @upstash/ratelimit's sliding window, its Lua script
// run by Redis — on Upstash through @upstash/redis, on a Redis server through ioredis and
// ioredis-adapter.ts.
//
// The library's answer to a refused request carries no counts (its script returns -1), only
// the end of the fixed window, which is not when the next request is allowed
// (sliding-window.ts). So after a refusal the backend reads the key's two counters — the
// library keeps them as plain integers under `<namespace>:<id>:<window number>` — and works
// out the instant with the same arithmetic as the in-process backend: one more round trip,
// only for refused requests.
import { Ratelimit, type RatelimitConfig } from "@upstash/ratelimit";

import type { RateLimitRule } from "@/lib/env";
import type { SlidingWindowBackend } from "@/lib/rate-limit/backends/backend";
import { nextAllowedAt } from "@/lib/rate-limit/backends/sliding-window";

/** Reads one of the library's counters as Redis stores it (RedisStore's `get`). */
export type CounterReader = (key: string) => Promise<string | null>;

/**
 * When the next request for a key the library just refused is allowed. The clock is
 * Date.now(), the library's own (it has no clock option; tests fake Date). If the counters
 * cannot be read, the answer assumes the worst a window can hold — the whole limit — which
 * the next window lets through from its second millisecond.
 */
export async function retryAtAfterRefusal(
  readCounter: CounterReader,
  namespace: string,
  id: string,
  rule: RateLimitRule,
): Promise<number> {
  const at = Date.now();
  const window = Math.floor(at / rule.windowMs);
  try {
    const [current, previous] = await Promise.all(
      [window, window - 1].map(async (n) => {
        const value = Number((await readCounter(`${namespace}:${id}:${n}`)) ?? 0);
        if (!Number.isSafeInteger(value)) throw new TypeError("not a rate-limit counter");
        return value;
      }),
    );
    return nextAllowedAt({ window, current: current ?? 0, previous: previous ?? 0 }, at, rule);
  } catch {
    // The decision itself came from Redis; a read failing just after it (Redis going away)
    // must not turn a refusal into an outage. The next decision will see the outage.
    return (window + 1) * rule.windowMs + 1;
  }
}

/**
 * A backend on @upstash/ratelimit with the given Redis client (@upstash/redis, or the ioredis
 * adapter), and `readCounter` on the same Redis. One library instance per namespace and rule,
 * created on first use.
 */
export function createRatelimitLibraryBackend(
  kind: "upstash" | "ioredis",
  redis: RatelimitConfig["redis"],
  readCounter: CounterReader,
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
        // sliding-window.ts); and it makes instances disagree. A refused request costs
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
      if (success) return { success, limit, remaining, reset };
      const retryAt = await retryAtAfterRefusal(readCounter, namespace, id, rule);
      return { success, limit, remaining, reset, retryAt };
    },
  };
}
