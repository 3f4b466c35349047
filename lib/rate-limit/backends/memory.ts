// The rate limiter's in-process backend, for development and tests without a Redis server.
//
// @upstash/ratelimit runs its algorithms as Lua scripts on a Redis server, which the embedded
// setup does not have. So this file implements the same algorithm — the library's
// single-region sliding window, step for step — in plain TypeScript behind the same backend
// interface, so a limit behaves alike on all three backends (one integration suite checks
// that, and one test compares it with the library's own script at the same instants).
//
// The algorithm, as @upstash/ratelimit 2.2 defines it (src/lua-scripts/single.ts):
// - time is cut into fixed windows of `windowMs`, numbered floor(now / windowMs) from the
//   epoch, so every instance agrees on where a window starts;
// - a request counts against the current window's counter plus the previous window's
//   counter weighted by how much of the previous window still overlaps the sliding window:
//   floor((1 - elapsedInCurrent / windowMs) * previous);
// - if that sum is already at the limit, the request is refused and not counted; otherwise
//   it is counted and `remaining` is limit - (current + weighted previous);
// - `reset` is the end of the current fixed window. With a sliding window that is a hint,
//   not a promise: the previous window's weight fades continuously, so a refused caller may
//   pass a little earlier, and one that used the whole limit late in a window may still be
//   refused just after it (its requests become the "previous" window). Retry-After built
//   from it tells a client when trying again is reasonable, which is all the header means.
//
// State lives in this process only: each server instance counts on its own, which is why
// production uses Redis.
import type { RateLimitRule } from "@/lib/env";
import type { SlidingWindowBackend, WindowResult } from "@/lib/rate-limit/backends/backend";

/** One key's counters: those of window number `window` and of the one before it. */
export interface SlidingWindowState {
  window: number;
  current: number;
  previous: number;
}

export interface SlidingWindowStep extends WindowResult {
  /** The state to keep for the key after this request. */
  state: SlidingWindowState;
}

/**
 * One request against a sliding window: the pure core of the in-memory backend, and a
 * transcription of @upstash/ratelimit's `slidingWindowLimitScript` (same arithmetic, same
 * rounding), so both answer the same at the same instant.
 */
export function slidingWindowHit(
  state: SlidingWindowState | undefined,
  now: number,
  { limit, windowMs }: RateLimitRule,
): SlidingWindowStep {
  const window = Math.floor(now / windowMs);
  let current = 0;
  let previous = 0;
  if (state?.window === window) {
    current = state.current;
    previous = state.previous;
  } else if (state?.window === window - 1) {
    // The window moved on by one: what was current is now the previous window.
    previous = state.current;
  }
  // Anything older than the previous window no longer counts at all.

  const elapsedShare = (now % windowMs) / windowMs;
  const weightedPrevious = Math.floor((1 - elapsedShare) * previous);
  const reset = (window + 1) * windowMs;

  if (weightedPrevious + current >= limit) {
    // Refused requests are not counted (as in the script): a client that keeps hammering
    // while refused does not push its own recovery further away, so the limit stays a
    // limit on accepted work.
    return { state: { window, current, previous }, success: false, limit, remaining: 0, reset };
  }
  current += 1;
  return {
    state: { window, current, previous },
    success: true,
    limit,
    remaining: Math.max(0, limit - (current + weightedPrevious)),
    reset,
  };
}

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
