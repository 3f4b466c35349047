// The in-process sliding window on an injected clock. (That it answers exactly as
// @upstash/ratelimit's Lua script does is checked against the script itself in
// tests/integration/rate-limit.test.ts.)
import { describe, expect, it } from "vitest";

import {
  createMemoryRateLimitBackend,
  slidingWindowHit,
  type SlidingWindowState,
} from "@/lib/rate-limit/backends/memory";

const W = 10_000;
const T0 = 1_800_000_000_000; // a window boundary
const rule = { limit: 4, windowMs: W };

/** Hits one key at each instant and returns what each hit answered. */
function run(instants: number[], limits = rule) {
  let state: SlidingWindowState | undefined;
  return instants.map((at) => {
    const step = slidingWindowHit(state, at, limits);
    state = step.state;
    return step;
  });
}

describe("slidingWindowHit", () => {
  it("allows up to the limit within a window, counting down remaining", () => {
    const steps = run([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4]);
    expect(steps.map((s) => [s.success, s.remaining])).toEqual([
      [true, 3],
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(steps.every((s) => s.limit === 4 && s.reset === T0 + W)).toBe(true);
  });

  it("does not count refused requests", () => {
    const steps = run([T0, T0, T0, T0, T0 + 1, T0 + 2, T0 + 3]);
    expect(steps.at(-1)?.state).toEqual({ window: T0 / W, current: 4, previous: 0 });
  });

  it("weighs the previous window by how much of it the sliding window still covers", () => {
    const full = [T0, T0 + 1, T0 + 2, T0 + 3];
    // A quarter into the next window: floor(0.75 × 4) = 3 still count, room for 1.
    let steps = run([...full, T0 + W + W / 4, T0 + W + W / 4]);
    expect(steps.slice(4).map((s) => [s.success, s.remaining, s.reset])).toEqual([
      [true, 0, T0 + 2 * W],
      [false, 0, T0 + 2 * W],
    ]);
    // Three quarters in: floor(0.25 × 4) = 1 counts, room for 3.
    steps = run([...full, ...Array<number>(4).fill(T0 + W + (3 * W) / 4)]);
    expect(steps.slice(4).map((s) => s.success)).toEqual([true, true, true, false]);
    // The weight fades continuously: one millisecond later floor(0.7499 × 4) = 2 count.
    steps = run([...full, T0 + W + W / 4, T0 + W + W / 4, T0 + W + W / 4 + 1]);
    expect(steps.slice(4).map((s) => s.success)).toEqual([true, false, true]);
    // At the very first millisecond of the next window all 4 still count.
    steps = run([...full, T0 + W]);
    expect(steps[4]?.success).toBe(false);
  });

  it("forgets everything two windows back", () => {
    const steps = run([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 2 * W, T0 + 2 * W + 1]);
    expect(steps.slice(4).map((s) => [s.success, s.remaining])).toEqual([
      [true, 3],
      [true, 2],
    ]);
    expect(steps[4]?.state).toEqual({ window: T0 / W + 2, current: 1, previous: 0 });
  });

  it("refuses everything with a limit of 0", () => {
    expect(run([T0], { limit: 0, windowMs: W })[0]?.success).toBe(false);
  });
});

describe("createMemoryRateLimitBackend", () => {
  it("keeps namespaces and ids apart, on the injected clock", async () => {
    let clock = T0;
    const backend = createMemoryRateLimitBackend({ now: () => clock });
    const one = { limit: 1, windowMs: W };
    expect((await backend.limit("a", "x", one)).success).toBe(true);
    expect((await backend.limit("a", "x", one)).success).toBe(false);
    expect((await backend.limit("a", "y", one)).success).toBe(true);
    expect((await backend.limit("b", "x", one)).success).toBe(true);
    expect(backend.keys().sort()).toEqual(["a:x", "a:y", "b:x"]);
    clock += 2 * W;
    expect((await backend.limit("a", "x", one)).success).toBe(true);
  });

  it("starts a key afresh when its rule's window changes", async () => {
    const backend = createMemoryRateLimitBackend({ now: () => T0 });
    expect((await backend.limit("a", "x", { limit: 1, windowMs: W })).success).toBe(true);
    expect((await backend.limit("a", "x", { limit: 1, windowMs: 2 * W })).success).toBe(true);
  });

  it("sweeps stale keys, so memory stays bounded under rotating callers", async () => {
    let clock = T0;
    const backend = createMemoryRateLimitBackend({ now: () => clock });
    const perWindow = 1_000;
    for (let window = 0; window < 20; window++) {
      for (let i = 0; i < perWindow; i++) {
        await backend.limit("global", `ip-${window}-${i}`, { limit: 10, windowMs: W });
      }
      clock += W;
    }
    // 20 000 callers; at most 2 000 were live (current and previous window) at any moment.
    expect(backend.keys().length).toBeLessThanOrEqual(4 * perWindow);
  });
});
