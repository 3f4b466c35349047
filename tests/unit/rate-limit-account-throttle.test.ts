// The per-account sign-in throttle: its schedule, and the throttle on the in-memory
// RedisStore with an injected clock (the store has Redis's TTL semantics).
import { afterEach, describe, expect, it, vi } from "vitest";

import { hashKey } from "@/lib/rate-limit";
import { createMemoryStore, type RedisStore } from "@/lib/redis";
import {
  ACCOUNT_THROTTLE_DEFAULTS,
  createAccountThrottle,
  throttleDelayMs,
  type AccountThrottleDeps,
} from "@/lib/security/account-throttle";
import { memoryLogger } from "@/tests/support/logger";

afterEach(() => {
  vi.useRealTimers();
});

describe("throttleDelayMs", () => {
  it("is free for the first 3 failures, then 250 ms doubling, capped at 4 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 50].map((failures) => throttleDelayMs(failures))).toEqual(
      [0, 0, 0, 250, 500, 1_000, 2_000, 4_000, 4_000, 4_000, 4_000],
    );
  });

  it("stays finite and capped for absurd counts", () => {
    expect(throttleDelayMs(Number.MAX_SAFE_INTEGER)).toBe(4_000);
    expect(throttleDelayMs(Number.NaN)).toBe(0);
  });

  it("follows the options it is given", () => {
    const options = { freeFailures: 0, baseDelayMs: 100, maxDelayMs: 350 };
    expect([0, 1, 2, 3].map((failures) => throttleDelayMs(failures, options))).toEqual([
      100, 200, 350, 350,
    ]);
  });
});

describe("createAccountThrottle", () => {
  function setup(overrides: Partial<AccountThrottleDeps> = {}) {
    let clock = 1_800_000_000_000;
    const store = createMemoryStore({ now: () => clock });
    const logger = memoryLogger();
    const throttle = createAccountThrottle({ store, logger, now: () => clock, ...overrides });
    return {
      store,
      logger,
      throttle,
      advance: (ms: number) => {
        clock += ms;
      },
    };
  }

  const delays = async (
    throttle: ReturnType<typeof createAccountThrottle>,
    account: string,
    failures: number,
  ) => {
    const seen: number[] = [];
    for (let i = 0; i < failures; i++) {
      seen.push((await throttle.beforeAttempt(account)).delayMs);
      await throttle.recordFailure(account);
    }
    seen.push((await throttle.beforeAttempt(account)).delayMs);
    return seen;
  };

  it("slows each attempt more as failures add up, up to the cap, and never refuses", async () => {
    const { throttle, logger } = setup();
    expect(await delays(throttle, "victim@example.com", 9)).toEqual([
      0, 0, 0, 250, 500, 1_000, 2_000, 4_000, 4_000, 4_000,
    ]);
    // The answer is only ever a delay: the right password still gets its turn.
    expect(Object.keys(await throttle.beforeAttempt("victim@example.com"))).toEqual(["delayMs"]);
    expect(logger.lines).toEqual([]);
  });

  it("counts one account whatever the email's case, and accounts apart", async () => {
    const { throttle } = setup();
    for (const spelling of ["victim@example.com", "Victim@Example.com", " VICTIM@example.com "]) {
      await throttle.recordFailure(spelling);
    }
    // The 3 spellings were one account's 3 free failures: its next attempt waits.
    expect((await throttle.beforeAttempt("VICTIM@EXAMPLE.COM")).delayMs).toBe(250);
    expect((await throttle.beforeAttempt("someone@example.com")).delayMs).toBe(0);
  });

  it("forgets failures after a successful sign-in", async () => {
    const { throttle } = setup();
    await delays(throttle, "a@example.com", 6);
    expect((await throttle.beforeAttempt("a@example.com")).delayMs).toBe(2_000);
    await throttle.recordSuccess("a@example.com");
    expect(await delays(throttle, "a@example.com", 4)).toEqual([0, 0, 0, 250, 500]);
  });

  it("forgets failures when their window, counted from the first, has passed", async () => {
    const { throttle, advance } = setup({ windowMs: 60_000 });
    await throttle.recordFailure("a@example.com");
    advance(30_000);
    for (let i = 0; i < 3; i++) await throttle.recordFailure("a@example.com");
    expect((await throttle.beforeAttempt("a@example.com")).delayMs).toBe(500);
    // Later failures did not extend the window: it ends 60 s after the first.
    advance(29_999);
    expect((await throttle.beforeAttempt("a@example.com")).delayMs).toBe(500);
    advance(1);
    expect((await throttle.beforeAttempt("a@example.com")).delayMs).toBe(0);
  });

  it("stores a hash of the account under its prefix, never the email", async () => {
    const { store, throttle } = setup({ keyPrefix: "t:acct" });
    await throttle.recordFailure("Victim@Example.com");
    expect(await store.get(`t:acct:${hashKey("victim@example.com")}`)).toBe("1");
    expect(ACCOUNT_THROTTLE_DEFAULTS.windowMs).toBe(15 * 60_000);
  });

  it("lets sign-in go on without delay when Redis fails, logging the outage once", async () => {
    let up = true;
    const memory = createMemoryStore();
    const failing = (): Promise<never> => Promise.reject(new Error("ECONNREFUSED"));
    const store: RedisStore = {
      ...memory,
      kind: "ioredis",
      get: (key) => (up ? memory.get(key) : failing()),
      incr: (key, options) => (up ? memory.incr(key, options) : failing()),
      del: (key) => (up ? memory.del(key) : failing()),
    };
    const { throttle, logger } = setup({ store });
    for (let i = 0; i < 4; i++) await throttle.recordFailure("a@example.com");

    up = false;
    expect(await throttle.beforeAttempt("a@example.com")).toEqual({ delayMs: 0, failure: "open" });
    await expect(throttle.recordFailure("a@example.com")).resolves.toBeUndefined();
    await expect(throttle.recordSuccess("a@example.com")).resolves.toBeUndefined();
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({
      level: "warn",
      message: expect.stringMatching(/^The sign-in throttle cannot reach Redis/) as string,
      backend: "ioredis",
      operation: "get",
    });

    up = true;
    expect((await throttle.beforeAttempt("a@example.com")).delayMs).toBe(500);
    expect(logger.lines.map((line) => line.message)).toEqual([
      expect.stringMatching(/^The sign-in throttle cannot reach Redis/) as string,
      "The sign-in throttle is working again",
    ]);
  });

  it("waits no longer than its timeout on a store that hangs", async () => {
    vi.useFakeTimers();
    const hanging: RedisStore = {
      ...createMemoryStore(),
      get: () => new Promise<never>(() => {}),
    };
    const { throttle } = setup({ store: hanging, timeoutMs: 50 });
    let answer: unknown;
    void throttle.beforeAttempt("a@example.com").then((value) => (answer = value));
    await vi.advanceTimersByTimeAsync(49);
    expect(answer).toBeUndefined();
    // The deadline, plus the loop turn it looks for an answer in (1 ms on fake timers).
    await vi.advanceTimersByTimeAsync(2);
    expect(answer).toEqual({ delayMs: 0, failure: "open" });
  });

  it("takes an answer our blocked event loop held up, instead of calling Redis down", async () => {
    // The count answers after a few loop turns; the loop is blocked past the timeout right
    // after the call (real timers: a synchronous busy-wait, as a long render does).
    const afterTurns = (turns: number): Promise<string> =>
      new Promise((resolve) => {
        const step = (left: number) => (left === 0 ? resolve("5") : setImmediate(step, left - 1));
        step(turns);
      });
    const store: RedisStore = { ...createMemoryStore(), get: () => afterTurns(5) };
    // Blocked for 1.5 × the timeout, well inside the 4 × bound (800 ms): the late deadline
    // gives the store another timeout instead of failing the throttle open.
    const { throttle, logger } = setup({ store, timeoutMs: 200 });
    const pending = throttle.beforeAttempt("a@example.com");
    const until = performance.now() + 300;
    while (performance.now() < until) {
      // Busy.
    }
    expect(await pending).toEqual({ delayMs: throttleDelayMs(5) });
    expect(logger.lines).toEqual([]);
  });
});
