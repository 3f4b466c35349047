// The sliding window's arithmetic, shared by every backend: what one request does to a key's
// counters (the in-process backend, memory.ts), and from which instant the next request is
// allowed again (every backend, for Retry-After).
//
// The algorithm, as @upstash/ratelimit 2.2 defines it (src/lua-scripts/single.ts), transcribed
// step for step so both answer the same at the same instant (one integration test compares
// them with the library's own script):
// - time is cut into fixed windows of `windowMs`, numbered floor(now / windowMs) from the
//   epoch, so every instance agrees on where a window starts;
// - a request counts against the current window's counter plus the previous window's
//   counter weighted by how much of the previous window still overlaps the sliding window:
//   floor((1 - elapsedInCurrent / windowMs) * previous);
// - if that sum is already at the limit, the request is refused and not counted; otherwise
//   it is counted and `remaining` is limit - (current + weighted previous);
// - `reset` is the end of the current fixed window: a hint, not a promise. The previous
//   window's weight fades continuously, so a refused caller may pass well before it; and one
//   that used the whole limit in this window is still refused at its very first millisecond
//   after it (its requests are then the previous window, at full weight).
//
// So the wait a refused caller is told is not counted to `reset` but to nextAllowedAt(): the
// first millisecond at which the same arithmetic lets a request through, if nothing else is
// counted for the key meanwhile. It is at most two windows away, and in practice at most
// `reset` + 1 ms: a window never holds more than the limit, and one millisecond into the next
// window the floor already drops that count below it.
import type { RateLimitRule } from "@/lib/env";
import type { WindowResult } from "@/lib/rate-limit/backends/backend";

/** One key's counters: those of window number `window` and of the one before it. */
export interface SlidingWindowState {
  window: number;
  current: number;
  previous: number;
}

export type SlidingWindowStep = WindowResult & {
  /** The state to keep for the key after this request. */
  state: SlidingWindowState;
};

/** The counters as they stand at `at`: those stored for an earlier window moved along. */
export function countersAt(
  state: SlidingWindowState | undefined,
  at: number,
  windowMs: number,
): SlidingWindowState {
  const window = Math.floor(at / windowMs);
  if (state?.window === window) return { ...state };
  // The window moved on by one: what was current is now the previous window. Anything
  // older than that no longer counts at all.
  if (state?.window === window - 1) return { window, current: 0, previous: state.current };
  return { window, current: 0, previous: 0 };
}

/** What counts against the limit at `at` (within counters.window): the script's sum. */
function weightedCount(counters: SlidingWindowState, at: number, windowMs: number): number {
  const elapsedShare = (at % windowMs) / windowMs;
  return Math.floor((1 - elapsedShare) * counters.previous) + counters.current;
}

/**
 * The first millisecond at or after `at` at which a request for a key with these counters is
 * allowed, if nothing else is counted for it meanwhile. A limit below 1 never allows: the
 * window's end is answered then, as good a hint as any.
 */
export function nextAllowedAt(
  state: SlidingWindowState | undefined,
  at: number,
  { limit, windowMs }: RateLimitRule,
): number {
  let counters = countersAt(state, at, windowMs);
  let from = at;
  // This window; the next, where this one's count is the previous one; and the one after,
  // where nothing is left to count.
  for (let step = 0; step < 3; step++) {
    const end = (counters.window + 1) * windowMs;
    const allows = (t: number) => weightedCount(counters, t, windowMs) < limit;
    // Within a window the weighted count only falls (every operation in it is monotonic,
    // floating point included), so "allowed" is false and then true: search for the switch.
    if (allows(end - 1)) {
      let low = from;
      let high = end - 1;
      while (low < high) {
        const middle = Math.floor((low + high) / 2);
        if (allows(middle)) high = middle;
        else low = middle + 1;
      }
      return low;
    }
    counters = { window: counters.window + 1, current: 0, previous: counters.current };
    from = end;
  }
  return (Math.floor(at / windowMs) + 1) * windowMs;
}

/**
 * One request against a sliding window: the pure core of the in-memory backend, and a
 * transcription of @upstash/ratelimit's `slidingWindowLimitScript` (same arithmetic, same
 * rounding), so both answer the same at the same instant.
 */
export function slidingWindowHit(
  state: SlidingWindowState | undefined,
  now: number,
  rule: RateLimitRule,
): SlidingWindowStep {
  const { limit, windowMs } = rule;
  const counters = countersAt(state, now, windowMs);
  const count = weightedCount(counters, now, windowMs);
  const reset = (counters.window + 1) * windowMs;

  if (count >= limit) {
    // Refused requests are not counted (as in the script): a client that keeps hammering
    // while refused does not push its own recovery further away, so the limit stays a
    // limit on accepted work.
    const retryAt = nextAllowedAt(counters, now, rule);
    return { state: counters, success: false, limit, remaining: 0, reset, retryAt };
  }
  counters.current += 1;
  return {
    state: counters,
    success: true,
    limit,
    remaining: Math.max(0, limit - (count + 1)),
    reset,
  };
}
