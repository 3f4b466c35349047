// The sliding window's arithmetic and the in-process backend, on an injected clock. (That
// they answer exactly as @upstash/ratelimit's Lua script does, and that the announced wait
// holds on every backend, is checked against the script itself in
// tests/integration/rate-limit.test.ts.)
import { describe, expect, it } from "vitest";

import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import {
  nextAllowedAt,
  slidingWindowHit,
  type SlidingWindowState,
} from "@/lib/rate-limit/backends/sliding-window";

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

describe("nextAllowedAt", () => {
  const full = [T0, T0 + 1, T0 + 2, T0 + 3];

  /** The refusal of one more hit at `at` after `instants`, and its retryAt. */
  const refusedAt = (instants: number[], at: number, limits = rule) => {
    const step = run([...instants, at], limits).at(-1);
    if (step?.success !== false) throw new Error(`expected a refusal at ${at}`);
    return step;
  };

  it("is the window's end + 1 ms when this window holds the whole limit", () => {
    // At the first millisecond of the next window all 4 still count (floor(1 × 4) = 4): the
    // window's end, which a wait used to be counted to, is still refused.
    const refused = refusedAt(full, T0 + 5);
    expect(refused.retryAt).toBe(T0 + W + 1);
    expect(run([...full, T0 + W]).at(-1)?.success).toBe(false);
    expect(run([...full, T0 + W + 1]).at(-1)?.success).toBe(true);
  });

  it("comes before the window's end when the previous window's weight is what refuses", () => {
    // 4 in the previous window; a tenth into this one floor(0.9 × 4) = 3 weigh, 1 more fits…
    const refused = refusedAt([...full, T0 + W + W / 10], T0 + W + W / 10 + 1);
    // …and the next one once floor((1 - e) × 4) ≤ 2, i.e. just past a quarter: 2 501 ms in,
    // long before the window's end.
    expect(refused.retryAt).toBe(T0 + W + W / 4 + 1);
    expect(refused.reset).toBe(T0 + 2 * W);
  });

  it("is the earliest instant the window allows, on any history (checked millisecond by millisecond)", () => {
    // A small, seeded pseudo-random generator: the same cases on every run.
    let seed = 42;
    const random = (below: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % below;
    };
    const windowMs = 1_000;
    let refusals = 0;
    for (let history = 0; history < 60; history++) {
      const limits = { limit: 1 + random(6), windowMs };
      let state: SlidingWindowState | undefined;
      let at = T0 + random(windowMs);
      for (let hit = 0; hit < 25; hit++) {
        at += random(200);
        const step = slidingWindowHit(state, at, limits);
        state = step.state;
        if (step.success) continue;
        refusals += 1;
        expect(step.retryAt).toBeGreaterThan(at);
        expect(step.retryAt).toBeLessThanOrEqual(step.reset + 1);
        // Refused at every millisecond before it (refused hits change nothing), allowed at it.
        let firstAllowed = at;
        while (!slidingWindowHit(state, firstAllowed, limits).success) firstAllowed += 1;
        expect(firstAllowed).toBe(step.retryAt);
        expect(nextAllowedAt(state, at, limits)).toBe(step.retryAt);
      }
    }
    expect(refusals).toBeGreaterThan(100);
  });

  it("answers the window's end for a limit of 0, which never allows", () => {
    expect(nextAllowedAt(undefined, T0 + 5, { limit: 0, windowMs: W })).toBe(T0 + W);
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
