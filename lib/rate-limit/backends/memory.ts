// The rate limiter's in-process backend, for development and tests without a Redis server.
//
// @upstash/ratelimit runs its algorithms as Lua scripts on a Redis server, which the embedded
// setup does not have. So this backend runs the same algorithm — the library's single-region
// sliding window, step for step (sliding-window.ts) — in plain TypeScript behind the same
// backend interface, so a limit behaves alike on all three backends (one integration suite
// checks that, and one test compares it with the library's own script at the same instants).
//
// State lives in this process only: each server instance counts on its own, which is why
// production uses Redis.
import type { SlidingWindowBackend } from "@/lib/rate-limit/backends/backend";
import {
  slidingWindowHit,
  type SlidingWindowState,
} from "@/lib/rate-limit/backends/sliding-window";

export interface MemoryRateLimitBackendOptions {
  /** Clock in milliseconds; tests inject one they can advance. */
  now?: () => number;
}

export interface MemoryRateLimitBackend extends SlidingWindowBackend {
  readonly kind: "memory";
  /** Keys held, including stale ones not swept yet; for tests and diagnostics. */
  keys(): string[];
}

interface MemoryEntry extends SlidingWindowState {
  windowMs: number;
}

// Stale keys (nothing in the current or previous window) are dropped whenever the map has
// doubled since the last sweep, as the in-memory RedisStore does: memory stays within about
// twice the live keys, and the O(n) sweep is paid once per n new keys. A live key lasts at
// most two windows, so the map holds at most about (distinct callers in two windows) × 2.
const MIN_SWEEP_THRESHOLD = 1_024;

export function createMemoryRateLimitBackend({
  now = Date.now,
}: MemoryRateLimitBackendOptions = {}): MemoryRateLimitBackend {
  const entries = new Map<string, MemoryEntry>();
  let sweepThreshold = MIN_SWEEP_THRESHOLD;

  const sweep = (at: number) => {
    for (const [key, entry] of entries) {
      if (entry.window < Math.floor(at / entry.windowMs) - 1) entries.delete(key);
    }
    sweepThreshold = Math.max(MIN_SWEEP_THRESHOLD, entries.size * 2);
  };

  return {
    kind: "memory",

    limit(namespace, id, rule) {
      try {
        const key = `${namespace}:${id}`;
        const at = now();
        const entry = entries.get(key);
        // A rule that changed (another window length) starts the key afresh.
        const state = entry?.windowMs === rule.windowMs ? entry : undefined;
        const { state: next, ...result } = slidingWindowHit(state, at, rule);
        entries.set(key, { ...next, windowMs: rule.windowMs });
        if (entries.size >= sweepThreshold) sweep(at);
        return Promise.resolve(result);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },

    keys: () => [...entries.keys()],
  };
}
