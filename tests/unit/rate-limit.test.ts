// The limiter's own logic, on stub backends: keys, decisions, headers, the timeout, the
// failure modes and the once-per-incident logging. The real backends are in
// tests/integration/rate-limit.test.ts.
import { createHash } from "node:crypto";
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { RateLimitRule } from "@/lib/env";
import {
  createRateLimitBackend,
  createRateLimiter,
  decisionFromResult,
  failureDecision,
  hashKey,
  maxDecisionWaitMs,
  nextIncidentState,
  RATE_LIMIT_POLICIES,
  rateLimitHeaders,
  rateLimitKey,
  addressBucket,
  secondsUntil,
  type IncidentState,
  type RateLimitPolicy,
  type RateLimitSettings,
  type SlidingWindowBackend,
  type WindowResult,
} from "@/lib/rate-limit";
import { retryAtAfterRefusal } from "@/lib/rate-limit/backends/upstash-ratelimit";
import { createMemoryStore } from "@/lib/redis";
import { lateTimerMs, TimeoutError as RateLimitTimeoutError, withTimeout } from "@/lib/timeout";
import { memoryLogger } from "@/tests/support/logger";

const NOW = 1_800_000_000_000;

const settings: RateLimitSettings = {
  global: { limit: 300, windowMs: 60_000 },
  signInIp: { limit: 20, windowMs: 300_000 },
  signInAccount: { limit: 10, windowMs: 900_000 },
  signInDevice: { limit: 4, windowMs: 900_000 },
  signUpIp: { limit: 5, windowMs: 3_600_000 },
  telegram: { limit: 120, windowMs: 60_000 },
  mailAddress: { limit: 3, windowMs: 900_000 },
  mailIp: { limit: 10, windowMs: 900_000 },
  secondFactorAccount: { limit: 20, windowMs: 900_000 },
  secondFactorIp: { limit: 30, windowMs: 900_000 },
  timeoutMs: 50,
};

interface Call {
  namespace: string;
  id: string;
  rule: RateLimitRule;
}

/** A backend whose every answer the test decides; records what it was asked. */
function stubBackend(answer: (call: Call) => Promise<WindowResult>) {
  const calls: Call[] = [];
  const backend: SlidingWindowBackend = {
    kind: "ioredis",
    limit: (namespace, id, rule) => {
      const call = { namespace, id, rule };
      calls.push(call);
      return answer(call);
    },
  };
  return { backend, calls };
}

const allowed = (call: Call): Promise<WindowResult> =>
  Promise.resolve({
    success: true,
    limit: call.rule.limit,
    remaining: call.rule.limit - 1,
    reset: NOW + 30_000,
  });

function limiterOn(backend: SlidingWindowBackend, logger = memoryLogger()) {
  return createRateLimiter({ backend, now: () => NOW, logger, settings });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("rate-limit keys", () => {
  it("namespaces by policy and stores a SHA-256 of the key, never the key", () => {
    const { namespace, id } = rateLimitKey("global", "203.0.113.7");
    expect(namespace).toBe("gatehouse:rl:global");
    expect(id).toBe(createHash("sha256").update("203.0.113.7").digest("base64url"));
    expect(id).toHaveLength(43);
    expect(rateLimitKey("signUpIp", "203.0.113.7", "test:rl").namespace).toBe("test:rl:signUpIp");
  });

  it("counts an IPv6 client by its /64: a subscriber's whole prefix is one bucket", () => {
    expect(addressBucket("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:DB8:0001:0002::ffff")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
    expect(addressBucket("2001:db8::")).toBe("2001:db8:0:0::/64");
    expect(addressBucket("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
    // IPv4 and anything that is not an address stay as they are.
    expect(addressBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket("unknown")).toBe("unknown");
    for (const policy of ["global", "signInIp", "signUpIp", "mailIp"] as const) {
      expect(rateLimitKey(policy, "2001:db8:1:2::1").id).toBe(
        rateLimitKey(policy, "2001:db8:1:2:ffff::9").id,
      );
      expect(rateLimitKey(policy, "2001:db8:1:2::1").id).not.toBe(
        rateLimitKey(policy, "2001:db8:1:3::1").id,
      );
    }
    // A Telegram chat id or a device nonce is never an address: keyed as given.
    expect(rateLimitKey("telegram", "2001:db8:1:2::1").id).toBe(hashKey("2001:db8:1:2::1"));
  });

  it("normalizes account keys, so case and spaces do not make a new counter", () => {
    const id = rateLimitKey("signInAccount", "victim@example.com").id;
    expect(rateLimitKey("signInAccount", "  Victim@Example.COM ").id).toBe(id);
    expect(id).toBe(hashKey("victim@example.com"));
    expect(id).not.toContain("victim");
    expect(rateLimitKey("signInAccount", "other@example.com").id).not.toBe(id);
    // The mail limit per address: the same normal form, its own namespace.
    expect(rateLimitKey("mailAddress", " Victim@Example.COM").id).toBe(id);
    expect(rateLimitKey("mailAddress", "victim@example.com").namespace).toBe(
      "gatehouse:rl:mailAddress",
    );
  });

  it("caps the length of a key whatever a client sends", () => {
    expect(rateLimitKey("signInAccount", "x".repeat(1_000_000) + "@example.com").id).toHaveLength(
      43,
    );
  });
});

describe("decisions", () => {
  it("copies an allowed result, with no Retry-After", () => {
    const result = { success: true, limit: 5, remaining: 3, reset: NOW + 1_500 } as const;
    expect(decisionFromResult(result, NOW)).toEqual({
      allowed: true,
      limit: 5,
      remaining: 3,
      resetAt: NOW + 1_500,
      retryAfterSeconds: 0,
    });
  });

  it("counts a refusal's wait to when the next request is allowed, not to the window's end", () => {
    const refused = { success: false, limit: 5, remaining: 0, reset: NOW + 50_000 } as const;
    expect(decisionFromResult({ ...refused, retryAt: NOW + 7_250 }, NOW)).toEqual({
      allowed: false,
      limit: 5,
      remaining: 0,
      resetAt: NOW + 7_250,
      retryAfterSeconds: 8,
    });
    // And past the window's end (its count still weighs at the first millisecond after).
    expect(decisionFromResult({ ...refused, retryAt: NOW + 50_001 }, NOW)).toMatchObject({
      resetAt: NOW + 50_001,
      retryAfterSeconds: 51,
    });
  });

  it("rounds Retry-After up to whole seconds, and never to 0", () => {
    const refused = (retryAt: number) =>
      decisionFromResult(
        { success: false, limit: 5, remaining: 0, reset: NOW + 60_000, retryAt },
        NOW,
      );
    expect(refused(NOW + 1_001).retryAfterSeconds).toBe(2);
    expect(refused(NOW + 1_000).retryAfterSeconds).toBe(1);
    expect(refused(NOW + 1).retryAfterSeconds).toBe(1);
    // Already past (clocks differ a little between instances): still 1, not 0.
    expect(refused(NOW - 500).retryAfterSeconds).toBe(1);
  });

  it("fails global and Telegram open, sign-in, sign-up, mail and second-factor codes closed", () => {
    const rule = { limit: 7, windowMs: 60_000 };
    const modes = Object.fromEntries(
      RATE_LIMIT_POLICIES.map((policy) => [policy, failureDecision(policy, rule, NOW).failure]),
    );
    expect(modes).toEqual({
      global: "open",
      telegram: "open",
      signInIp: "closed",
      signInAccount: "closed",
      signInDevice: "closed",
      signUpIp: "closed",
      mailAddress: "closed",
      mailIp: "closed",
      secondFactorAccount: "closed",
      secondFactorIp: "closed",
    });
    expect(failureDecision("global", rule, NOW)).toEqual({
      allowed: true,
      limit: 7,
      remaining: 7,
      resetAt: NOW,
      retryAfterSeconds: 0,
      failure: "open",
    });
    expect(failureDecision("signInIp", rule, NOW, 3)).toEqual({
      allowed: false,
      limit: 7,
      remaining: 0,
      resetAt: NOW + 3_000,
      retryAfterSeconds: 3,
      failure: "closed",
    });
  });
});

describe("the wait after a refusal on Redis (retryAtAfterRefusal)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const windowMs = 60_000;
  const limits = { limit: 6, windowMs };
  const window = NOW / windowMs; // NOW is a window boundary

  it("reads the library's two counters and works the instant out from them", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW + 6_000);
    const read: string[] = [];
    const counters = new Map([
      [`rl:global:abc:${window}`, "1"],
      [`rl:global:abc:${window - 1}`, "6"],
    ]);
    const readCounter = (key: string) => {
      read.push(key);
      return Promise.resolve(counters.get(key) ?? null);
    };
    // floor(0.9 × 6) + 1 = 6 refuses; floor((1 - e) × 6) + 1 < 6 once e is past 10 s.
    expect(await retryAtAfterRefusal(readCounter, "rl:global", "abc", limits)).toBe(NOW + 10_001);
    expect(read.sort()).toEqual([`rl:global:abc:${window - 1}`, `rl:global:abc:${window}`]);
    // Keys the library never wrote count as 0 (then this one would not have been refused).
    expect(await retryAtAfterRefusal(() => Promise.resolve(null), "rl", "x", limits)).toBe(
      NOW + 6_000,
    );
  });

  it("falls back to the window's end + 1 ms when the counters cannot be read", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW + 6_000);
    const failing = () => Promise.reject(new Error("connection reset"));
    expect(await retryAtAfterRefusal(failing, "rl", "x", limits)).toBe(NOW + windowMs + 1);
    const garbage = () => Promise.resolve("not a number");
    expect(await retryAtAfterRefusal(garbage, "rl", "x", limits)).toBe(NOW + windowMs + 1);
  });
});

describe("rateLimitHeaders", () => {
  const decision = {
    allowed: true,
    limit: 100,
    remaining: 42,
    resetAt: NOW + 12_300,
    retryAfterSeconds: 0,
  };

  it("reports limit, remaining and seconds until reset (not a timestamp)", () => {
    expect(rateLimitHeaders(decision, NOW)).toEqual({
      "RateLimit-Limit": "100",
      "RateLimit-Remaining": "42",
      "RateLimit-Reset": "13",
    });
  });

  it("adds Retry-After to a refusal, counted from the moment of the response", () => {
    const refused = { ...decision, allowed: false, remaining: 0, retryAfterSeconds: 13 };
    expect(rateLimitHeaders(refused, NOW)).toEqual({
      "RateLimit-Limit": "100",
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": "13",
      "Retry-After": "13",
    });
    expect(rateLimitHeaders(refused, NOW + 12_000)).toMatchObject({
      "RateLimit-Reset": "1",
      "Retry-After": "1",
    });
    // Past the reset: Reset 0, but Retry-After stays a positive number of seconds.
    expect(rateLimitHeaders(refused, NOW + 20_000)).toMatchObject({
      "RateLimit-Reset": "0",
      "Retry-After": "1",
    });
  });

  it("invents no counts when the failure mode decided", () => {
    expect(rateLimitHeaders(failureDecision("global", settings.global, NOW), NOW)).toEqual({});
    expect(rateLimitHeaders(failureDecision("signInIp", settings.signInIp, NOW), NOW)).toEqual({
      "Retry-After": "5",
    });
  });

  it("secondsUntil rounds up and stops at 0", () => {
    expect([0, 1, 999, 1_000, 1_001, -5].map((ms) => secondsUntil(NOW + ms, NOW))).toEqual([
      0, 1, 1, 1, 2, 0,
    ]);
  });
});

describe("withTimeout", () => {
  it("passes a fast answer through and leaves no timer behind", async () => {
    vi.useFakeTimers();
    await expect(withTimeout(Promise.resolve("fast"), 50)).resolves.toBe("fast");
    expect(vi.getTimerCount()).toBe(0);
    await expect(withTimeout(Promise.reject(new Error("boom")), 50)).rejects.toThrow("boom");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects at the deadline, not before, and swallows the late rejection", async () => {
    vi.useFakeTimers();
    let rejectLate!: (error: Error) => void;
    const slow = new Promise<string>((_, reject) => {
      rejectLate = reject;
    });
    let settled: unknown = "pending";
    const raced = withTimeout(slow, 50).then(
      () => "resolved",
      (error: unknown) => error,
    );
    void raced.then((value) => (settled = value));
    await vi.advanceTimersByTimeAsync(49);
    expect(settled).toBe("pending");
    // The timer fires at 50 ms and decides one loop turn later, in a setImmediate, which
    // fake timers run 1 ms later. With the loop idle, that is all.
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBeInstanceOf(RateLimitTimeoutError);
    expect(String(settled)).toMatch(/no answer within 50 ms/);
    // The abandoned call failing later must not become an unhandled rejection (vitest
    // fails the run on one).
    rejectLate(new Error("late"));
    await Promise.resolve();
  });
});

// ---------------------------------------------------------------------------------------
// A busy event loop (lib/timeout.ts). These use real timers and block the loop with a
// synchronous busy-wait, as a long render does. They assert what was decided, never how fast:
// a slower machine only makes each busy-wait take as long as it says, and the order of the
// loop's phases does the rest.
// ---------------------------------------------------------------------------------------

/** Holds the event loop for at least `ms`, like synchronous work (rendering, parsing). */
function blockLoopFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy: no timer, no I/O callback runs meanwhile.
  }
}

/** Resolves after `turns` turns of the event loop (one setImmediate each). */
function afterLoopTurns<T>(turns: number, value: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const step = (left: number) =>
      left === 0 ? resolve(value) : setImmediate(() => step(left - 1));
    step(turns);
  });
}

/** Two connected loopback sockets in this process; `server.write` lands in the client's
 *  receive buffer at once (an idle socket writes synchronously). */
async function socketPair() {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const address = listener.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((resolve) => listener.once("connection", resolve));
  const client = net.connect(address.port, "127.0.0.1");
  await new Promise<void>((resolve) => client.once("connect", () => resolve()));
  const server = await accepted;
  return {
    client,
    server,
    close: async () => {
      client.destroy();
      server.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

describe("withTimeout on a busy event loop", () => {
  const TIMEOUT = 20;

  it("takes an answer that arrived while the loop was blocked past the deadline (real I/O)", async () => {
    const pair = await socketPair();
    try {
      const answer = new Promise<string>((resolve) =>
        pair.client.once("data", (chunk) => resolve(String(chunk))),
      );
      // No extension allowed: only the extra loop turn before deciding can save it.
      const decision = withTimeout(answer, TIMEOUT, { maxWaitMs: TIMEOUT });
      pair.server.write("answer");
      // The reply is in the socket; the deadline passes five times over before the loop can
      // read it. When the loop comes back its timers phase runs first: deciding there (as
      // the old withTimeout did) fails an answer that was already here.
      blockLoopFor(5 * TIMEOUT);
      await expect(decision).resolves.toBe("answer");
    } finally {
      await pair.close();
    }
  });

  it("gives an exchange that needs more loop turns another timeout when the deadline fired late, up to the bound", async () => {
    // Five turns of the loop, like an HTTP request to Upstash (connect, write, read, parse);
    // the loop is blocked right after the request starts, as when many requests arrive.
    const extended = withTimeout(afterLoopTurns(5, "answer"), TIMEOUT, { maxWaitMs: 60_000 });
    blockLoopFor(5 * TIMEOUT);
    await expect(extended).resolves.toBe("answer");

    // The same with no room past the timeout: decided at the first look, the exchange lost.
    const bounded = withTimeout(afterLoopTurns(5, "answer"), TIMEOUT, { maxWaitMs: TIMEOUT });
    blockLoopFor(5 * TIMEOUT);
    await expect(bounded).rejects.toBeInstanceOf(RateLimitTimeoutError);
  });

  it("decides a backend that never answers at the first look past the bound, however long the loop was blocked", async () => {
    let settled: unknown = "pending";
    const maxWaitMs = 2 * TIMEOUT;
    void withTimeout(new Promise<never>(() => {}), TIMEOUT, { maxWaitMs }).catch(
      (error: unknown) => (settled = error),
    );
    blockLoopFor(3 * maxWaitMs);
    // The overdue timer fires in the next turn and decides in that turn's setImmediate; no
    // second timer is armed past the bound.
    await afterLoopTurns(2, null);
    expect(settled).toBeInstanceOf(RateLimitTimeoutError);
    expect(String(settled)).toMatch(
      /no answer within 20 ms \(waited \d+ ms; the last timer fired \d+ ms late\)/,
    );
  });

  it("extends a late deadline by one more timeout for a backend that never answers, then decides", async () => {
    const started = performance.now();
    const decision = withTimeout(new Promise<never>(() => {}), TIMEOUT, { maxWaitMs: 60_000 });
    blockLoopFor(3 * TIMEOUT);
    await expect(decision).rejects.toBeInstanceOf(RateLimitTimeoutError);
    // At least the blocked time and a whole further timeout (timers may fire ≤ 1 ms early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(4 * TIMEOUT - 2);
  });

  it("leaves no timer behind when an extended decision ends (fake timers, a clock that jumps)", async () => {
    vi.useFakeTimers();
    // A blocked loop, as the deadline sees it: the clock jumps while no timer runs.
    let blockedMs = 0;
    const now = () => performance.now() + blockedMs;
    let answer!: (value: string) => void;
    const decision = withTimeout(new Promise<string>((resolve) => (answer = resolve)), TIMEOUT, {
      now,
      maxWaitMs: 60_000,
    });
    blockedMs = 5 * TIMEOUT;
    await vi.advanceTimersByTimeAsync(TIMEOUT);
    // Late by 5 timeouts: extended, so a timer is armed again.
    expect(vi.getTimerCount()).toBe(1);
    answer("answer");
    await expect(decision).resolves.toBe("answer");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("bounds every decision at 4 × the timeout, and calls a timer late past a fifth of it", () => {
    expect(maxDecisionWaitMs(50)).toBe(200);
    expect(lateTimerMs(50)).toBe(10);
    expect(lateTimerMs(5)).toBe(2);
  });
});

describe("nextIncidentState", () => {
  const healthy: IncidentState = { open: false };

  it("opens on the first failure, counts further ones, and closes on a success", () => {
    let step = nextIncidentState(healthy, { kind: "failure", reason: "down" }, 1_000);
    expect(step.transition).toEqual({ kind: "opened" });
    step = nextIncidentState(step.state, { kind: "failure", reason: "still down" }, 1_500);
    expect(step.transition).toBeNull();
    step = nextIncidentState(step.state, { kind: "failure", reason: "still down" }, 2_000);
    expect(step.state).toEqual({ open: true, since: 1_000, failures: 3, firstReason: "down" });
    step = nextIncidentState(step.state, { kind: "success" }, 4_000);
    expect(step.transition).toEqual({ kind: "recovered", failures: 3, durationMs: 3_000 });
    expect(step.state).toEqual(healthy);
  });

  it("says nothing about successes while healthy", () => {
    expect(nextIncidentState(healthy, { kind: "success" }, 1)).toEqual({
      state: healthy,
      transition: null,
    });
  });
});

describe("createRateLimiter", () => {
  it("warms up with one throw-away decision outside every policy's keys, and reports failure", async () => {
    const { backend, calls } = stubBackend(allowed);
    await expect(limiterOn(backend).warmUp()).resolves.toBe(true);
    expect(calls).toEqual([
      { namespace: "gatehouse:rl:warm-up", id: "warm-up", rule: { limit: 1, windowMs: 1_000 } },
    ]);

    const logger = memoryLogger();
    const down = stubBackend(() => Promise.reject(new Error("ECONNREFUSED")));
    await expect(limiterOn(down.backend, logger).warmUp()).resolves.toBe(false);
    expect(logger.lines).toEqual([
      expect.objectContaining({ level: "warn", message: "rate limiter warm-up failed" }),
    ]);
  });

  it("asks the backend with each policy's rule, namespace and hashed key", async () => {
    const { backend, calls } = stubBackend(allowed);
    const limiter = limiterOn(backend);
    for (const policy of RATE_LIMIT_POLICIES) {
      expect(await limiter.limit(policy, "Key@Example.com")).toMatchObject({ allowed: true });
    }
    expect(calls.map((call) => [call.namespace, call.rule])).toEqual(
      RATE_LIMIT_POLICIES.map((policy) => [`gatehouse:rl:${policy}`, settings[policy]]),
    );
    // Only the keys that are email addresses are normalized; the others are hashed as given.
    expect(calls.map((call) => call.id)).toEqual(
      RATE_LIMIT_POLICIES.map((policy) =>
        hashKey(
          policy === "signInAccount" || policy === "mailAddress"
            ? "key@example.com"
            : "Key@Example.com",
        ),
      ),
    );
  });

  it("turns a refusal into a decision with Retry-After", async () => {
    const { backend } = stubBackend((call) =>
      Promise.resolve({
        success: false,
        limit: call.rule.limit,
        remaining: 0,
        reset: NOW + 60_000,
        retryAt: NOW + 2_500,
      }),
    );
    expect(await limiterOn(backend).limit("signUpIp", "203.0.113.1")).toEqual({
      allowed: false,
      limit: 5,
      remaining: 0,
      resetAt: NOW + 2_500,
      retryAfterSeconds: 3,
    });
  });

  it.each(RATE_LIMIT_POLICIES)(
    "decides %s by its failure mode when the backend throws",
    async (policy) => {
      const { backend } = stubBackend(() => Promise.reject(new Error("connection refused")));
      const decision = await limiterOn(backend).limit(policy, "k");
      const open = policy === "global" || policy === "telegram";
      expect(decision).toMatchObject({ allowed: open, failure: open ? "open" : "closed" });
    },
  );

  it("decides by the timeout when the backend never answers, and leaves no timer", async () => {
    vi.useFakeTimers();
    const { backend } = stubBackend(() => new Promise<never>(() => {}));
    const limiter = limiterOn(backend);
    const results: Partial<Record<RateLimitPolicy, unknown>> = {};
    const pending = Promise.all(
      (["global", "signInAccount"] as const).map(async (policy) => {
        results[policy] = await limiter.limit(policy, "k");
      }),
    );
    await vi.advanceTimersByTimeAsync(settings.timeoutMs - 1);
    expect(results).toEqual({});
    // The deadline, plus the loop turn it looks for an answer in (1 ms on fake timers).
    await vi.advanceTimersByTimeAsync(2);
    await pending;
    expect(results.global).toMatchObject({ allowed: true, failure: "open" });
    expect(results.signInAccount).toMatchObject({ allowed: false, failure: "closed" });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("allows a sign-in whose answer arrived while our loop was busy, and logs no outage", async () => {
    // The backend answers over a real socket; the answer is there before the deadline, but
    // the loop is blocked past it (a render, a burst of requests being parsed).
    const pair = await socketPair();
    try {
      const { backend } = stubBackend(
        (call) =>
          new Promise<WindowResult>((resolve) =>
            pair.client.once("data", () => void allowed(call).then(resolve)),
          ),
      );
      const logger = memoryLogger();
      const decision = limiterOn(backend, logger).limit("signInAccount", "a@example.com");
      pair.server.write("+OK\r\n");
      blockLoopFor(2 * settings.timeoutMs);
      expect(await decision).toMatchObject({ allowed: true });
      expect((await decision).failure).toBeUndefined();
      expect(logger.lines).toEqual([]);
    } finally {
      await pair.close();
    }
  });

  it("logs an outage when it starts and when it ends, not per request", async () => {
    let up = true;
    const { backend } = stubBackend((call) =>
      up ? allowed(call) : Promise.reject(new Error("ECONNREFUSED")),
    );
    const logger = memoryLogger();
    const limiter = limiterOn(backend, logger);

    await limiter.limit("global", "k");
    expect(logger.lines).toEqual([]);

    up = false;
    for (let i = 0; i < 10; i++) await limiter.limit(i % 2 ? "global" : "signInIp", "k");
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({
      level: "warn",
      message: expect.stringMatching(/^Rate limiting is unavailable/) as string,
      backend: "ioredis",
      policy: "signInIp",
      reason: "Error: ECONNREFUSED",
    });

    up = true;
    for (let i = 0; i < 5; i++) await limiter.limit("global", "k");
    expect(logger.lines).toHaveLength(2);
    expect(logger.lines[1]).toMatchObject({
      level: "info",
      message: "Rate limiting is working again",
      failedCalls: 10,
      outageMs: 0, // the stub clock stands still
    });

    up = false;
    await limiter.limit("telegram", "k");
    await limiter.limit("telegram", "k");
    expect(logger.lines.map((line) => line.level)).toEqual(["warn", "info", "warn"]);
  });

  it("refuses an unknown policy loudly instead of failing open", async () => {
    const { backend, calls } = stubBackend(allowed);
    await expect(limiterOn(backend).limit("toString" as RateLimitPolicy, "k")).rejects.toThrow(
      TypeError,
    );
    expect(calls).toEqual([]);
  });
});

describe("createRateLimitBackend", () => {
  it("uses the in-process window for the in-memory store, on the given clock", async () => {
    let clock = NOW;
    const backend = createRateLimitBackend(createMemoryStore(), { now: () => clock });
    expect(backend.kind).toBe("memory");
    const rule = { limit: 1, windowMs: 1_000 };
    expect((await backend.limit("ns", "id", rule)).success).toBe(true);
    expect((await backend.limit("ns", "id", rule)).success).toBe(false);
    clock += 2_000;
    expect((await backend.limit("ns", "id", rule)).success).toBe(true);
  });

  it("refuses a store it cannot run @upstash/ratelimit on", () => {
    const wrapped = { ...createMemoryStore(), kind: "ioredis" as const };
    expect(() => createRateLimitBackend(wrapped)).toThrow(/without its client/);
  });
});
