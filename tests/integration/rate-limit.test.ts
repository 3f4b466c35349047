// One rate-limiter suite, run on every backend: @upstash/ratelimit through ioredis on the
// real redis-server of the test setup, @upstash/ratelimit through the Upstash REST API (a
// local fake of it, backed by that same redis-server), and the in-process sliding window.
// Then what only a network backend can do: be down, hang, and come back.
//
// Time: the in-process backend runs on an injected clock, so its windows can be passed
// instantly. @upstash/ratelimit reads Date.now() itself (it has no clock option), so on the
// Redis backends real time passes: windows are short (1–2 s), tests start at the beginning of
// a window so a run of requests never straddles two, and waits are only as long as the
// window in question. One test fakes Date alone (timers and sockets stay real) to compare the
// in-process backend with the library's Lua script at the very same instants.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  inject,
  it,
  vi,
} from "vitest";

import type { RateLimitRule } from "@/lib/env";
import {
  checkMailBudget,
  createRateLimitBackend,
  createRateLimiter,
  maxDecisionWaitMs,
  rateLimitHeaders,
  RATE_LIMIT_POLICIES,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
  type RateLimitSettings,
  type SlidingWindowBackend,
} from "@/lib/rate-limit";
import {
  createMemoryRateLimitBackend,
  type MemoryRateLimitBackend,
} from "@/lib/rate-limit/backends/memory";
import {
  createIoRedisStore,
  createMemoryStore,
  createUpstashStore,
  type RedisLogger,
  type RedisStore,
} from "@/lib/redis";
import { createAccountThrottle } from "@/lib/security/account-throttle";
import { createPasswordGuard, type PasswordAttempt } from "@/lib/security/password-guard";
import { startFakeUpstash, type FakeUpstash } from "@/tests/support/fake-upstash";
import { memoryLogger } from "@/tests/support/logger";
import { redisServerInstalled, startPrivateRedis } from "@/tests/support/private-redis";

const redisUrl = inject("redisUrl");

/** The decision deadline in these tests (production's default is 50 ms). */
const TIMEOUT_MS = 100;
/** The longest a decision may wait: past the deadline only while our own loop is blocked. */
const BOUND_MS = maxDecisionWaitMs(TIMEOUT_MS);
/** Generous room above the bound for a loaded machine; this is not a benchmark. */
const SLACK_MS = 400;
const UPSTASH_TOKEN = "fake-upstash-token";
const OUTAGE_MESSAGE = /^Rate limiting is unavailable/;
const RECOVERY_MESSAGE = "Rate limiting is working again";

// ---------------------------------------------------------------------------------------
// Harnesses
// ---------------------------------------------------------------------------------------

interface Harness {
  backend: SlidingWindowBackend;
  now(): number;
  /** Lets `ms` pass for the backend: real sleep on Redis, an advanced clock in memory. */
  passTime(ms: number): Promise<void>;
  /** Keys the backend holds that start with `prefix`. */
  keys(prefix: string): Promise<string[]>;
  /** Network backends only. */
  network?: {
    /** Connections drop and new ones are refused, as when Redis goes down. */
    cut(): void;
    restore(): void;
    /** Redis stops answering (requests are accepted and never answered). */
    hang(): void;
  };
  close(): Promise<void>;
}

interface BackendCase {
  name: string;
  available: boolean;
  /** A network backend, which can be down or hang (the in-process one cannot). */
  network: boolean;
  open: () => Promise<Harness>;
}

function silentLogger(): RedisLogger {
  return { warn: () => {}, info: () => {} };
}

/** Keys under `prefix` on the real server, by SCAN (never KEYS on a shared server). */
async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== "0");
  return found;
}

let direct: Redis | null = null;
const directRedis = (): Redis => {
  if (!direct) throw new Error("no redis-server for this run");
  return direct;
};

const backends: BackendCase[] = [
  {
    name: "ioredis on redis-server",
    available: redisUrl !== null,
    network: true,
    async open() {
      const target = new URL(redisUrl ?? "");
      const proxy = await startProxy(target.hostname, Number(target.port));
      const store = createIoRedisStore({
        url: `redis://127.0.0.1:${proxy.port}`,
        connectTimeoutMs: 500,
        commandTimeoutMs: 500,
        maxReconnectAttempts: 3,
        maxReconnectDelayMs: 20,
        logger: silentLogger(),
      });
      return {
        backend: createRateLimitBackend(store),
        now: Date.now,
        passTime: (ms) => sleep(ms),
        keys: (prefix) => scanKeys(directRedis(), prefix),
        network: { cut: proxy.cut, restore: proxy.restore, hang: proxy.stall },
        async close() {
          // The proxy first: a stalled connection would hold QUIT until its timeout.
          await proxy.close();
          await store.close();
        },
      };
    },
  },
  {
    name: "Upstash REST",
    available: redisUrl !== null,
    network: true,
    async open() {
      const fake = await startFakeUpstash({ redisUrl: redisUrl ?? "", token: UPSTASH_TOKEN });
      const proxy = await startProxy("127.0.0.1", Number(new URL(fake.url).port));
      const store = createUpstashStore({
        url: `http://127.0.0.1:${proxy.port}`,
        token: UPSTASH_TOKEN,
        commandTimeoutMs: 1_000,
        logger: silentLogger(),
      });
      return {
        backend: createRateLimitBackend(store),
        now: Date.now,
        passTime: (ms) => sleep(ms),
        keys: (prefix) => scanKeys(directRedis(), prefix),
        // The fake's own "hang": the next requests are accepted and never answered.
        network: { cut: proxy.cut, restore: proxy.restore, hang: () => fake.failNext(10, "hang") },
        async close() {
          await proxy.close();
          await fake.close();
          await store.close();
        },
      };
    },
  },
  {
    name: "in-memory",
    available: true,
    network: false,
    open() {
      // A window boundary, so a test starts at the beginning of a window as on Redis.
      let clock = 1_800_000_000_000;
      const store: RedisStore = createMemoryStore({ now: () => clock });
      const backend = createRateLimitBackend(store, { now: () => clock });
      if (backend.kind !== "memory") throw new Error("expected the in-process backend");
      // The in-process backend is the one createMemoryRateLimitBackend makes.
      const memory = backend as MemoryRateLimitBackend;
      return Promise.resolve({
        backend,
        now: () => clock,
        passTime: (ms) => {
          clock += ms;
          return Promise.resolve();
        },
        keys: (prefix) => Promise.resolve(memory.keys().filter((key) => key.startsWith(prefix))),
        close: () => store.close(),
      });
    },
  },
];

const rule = (limit: number, windowMs: number): RateLimitRule => ({ limit, windowMs });

/** Settings where every policy is roomy unless the test says otherwise. */
function settingsWith(overrides: Partial<RateLimitSettings> = {}): RateLimitSettings {
  const roomy = rule(1_000, 60_000);
  return {
    global: roomy,
    signInIp: roomy,
    signInAccount: roomy,
    signInDevice: roomy,
    signUpIp: roomy,
    telegram: roomy,
    mailAddress: roomy,
    mailIp: roomy,
    secondFactorAccount: roomy,
    secondFactorIp: roomy,
    timeoutMs: TIMEOUT_MS,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------

beforeAll(() => {
  if (redisUrl !== null) direct = new Redis(redisUrl, { lazyConnect: true });
});

afterAll(() => {
  direct?.disconnect();
});

describe.each(backends)("rate limiter on $name", ({ available, network: isNetwork, open }) => {
  let harness: Harness;
  let logger: ReturnType<typeof memoryLogger>;
  let prefix: string;
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  // Tests of what the limiter decides give Redis all the time it needs: a first decision
  // (connect, load the script) on a loaded 2-core machine can take longer than TIMEOUT_MS,
  // and failing it closed is not what they test. The outage tests ask for TIMEOUT_MS.
  const limiterWith = (overrides: Partial<RateLimitSettings> = {}): RateLimiter =>
    createRateLimiter({
      backend: harness.backend,
      now: () => harness.now(),
      logger,
      settings: settingsWith({ timeoutMs: 5_000, ...overrides }),
      keyPrefix: prefix,
    });

  /**
   * Waits, if needed, for a window of `windowMs` to begin, so that the next `needMs` of
   * requests fall in one window. At most one window's wait; none on the memory clock, which
   * starts on a boundary.
   */
  const startOfWindow = async (windowMs: number, needMs: number) => {
    const into = harness.now() % windowMs;
    if (windowMs - into < needMs) await harness.passTime(windowMs - into + 5);
  };

  const logged = (message: string | RegExp) =>
    logger.lines.filter((line) =>
      typeof message === "string" ? line.message === message : message.test(String(line.message)),
    );

  beforeEach(async ({ skip }) => {
    if (!available) skip("no redis-server for this run");
    harness = await open();
    logger = memoryLogger();
    prefix = `gatehouse-test:${randomUUID()}:rl`;
    unhandled = [];
    process.on("unhandledRejection", onUnhandled);
  });

  afterEach(async () => {
    if (!available) return;
    await harness.close();
    // A rejection nobody awaited (an abandoned backend call) surfaces a tick later.
    await sleep(20);
    process.off("unhandledRejection", onUnhandled);
    expect(unhandled).toEqual([]);
    if (direct) {
      const leftovers = await scanKeys(direct, prefix);
      if (leftovers.length > 0) await direct.del(...leftovers);
    }
  });

  it("allows up to the limit, then refuses with remaining, reset and Retry-After", async () => {
    const windowMs = 2_000;
    const limiter = limiterWith({ signInIp: rule(3, windowMs) });
    // At most 0.5 s into the window, so more than 1 s is left when the requests are done.
    await startOfWindow(windowMs, 1_500);
    const windowEnd = (Math.floor(harness.now() / windowMs) + 1) * windowMs;

    const decisions: RateLimitDecision[] = [];
    const after: number[] = [];
    for (let i = 0; i < 5; i++) {
      decisions.push(await limiter.limit("signInIp", "203.0.113.7"));
      after.push(harness.now());
    }
    const at = harness.now();

    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0], // a refused request is not counted, and does not help either
    ]);
    for (const decision of decisions) {
      expect(decision.limit).toBe(3);
      expect(decision.failure).toBeUndefined();
    }
    // Allowed: the quota is back at the window's end (a hint). Refused: the window holds the
    // whole limit, which still weighs in full at the next window's first millisecond, so the
    // next request is allowed one millisecond after that.
    expect(decisions.map((d) => d.resetAt)).toEqual([
      windowEnd,
      windowEnd,
      windowEnd,
      windowEnd + 1,
      windowEnd + 1,
    ]);
    expect(decisions[0]?.retryAfterSeconds).toBe(0);
    // Less than a second of the 2 s window has gone: over 1 s to wait, rounded up — 3 s when
    // the requests came at the window's very first millisecond (the in-process clock).
    const secondsLeft = (from: number) => Math.ceil((windowEnd + 1 - from) / 1_000);
    // (Counted from the moment the limiter decided, somewhere between these two.)
    expect(decisions[3]?.retryAfterSeconds).toBeGreaterThanOrEqual(secondsLeft(after[3]!));
    expect(decisions[3]?.retryAfterSeconds).toBeLessThanOrEqual(secondsLeft(after[2]!));
    const wait = String(secondsLeft(at));
    expect(rateLimitHeaders(decisions[3]!, at)).toEqual({
      "RateLimit-Limit": "3",
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": wait,
      "Retry-After": wait,
    });
    expect(rateLimitHeaders(decisions[0]!, at)).toEqual({
      "RateLimit-Limit": "3",
      "RateLimit-Remaining": "2",
      "RateLimit-Reset": String(Math.ceil((windowEnd - at) / 1_000)),
    });
    expect(logger.lines).toEqual([]);
  });

  it("keeps keys and policies apart", async () => {
    const one = rule(1, 60_000);
    const limiter = limiterWith({ signInIp: one, signUpIp: one, global: one });
    await startOfWindow(60_000, 1_000);

    expect((await limiter.limit("signInIp", "203.0.113.1")).allowed).toBe(true);
    expect((await limiter.limit("signInIp", "203.0.113.1")).allowed).toBe(false);
    // Another key of the same policy has its own counter…
    expect((await limiter.limit("signInIp", "203.0.113.2")).allowed).toBe(true);
    // …and the same key under other policies too.
    expect((await limiter.limit("signUpIp", "203.0.113.1")).allowed).toBe(true);
    expect((await limiter.limit("global", "203.0.113.1")).allowed).toBe(true);
    expect((await limiter.limit("signUpIp", "203.0.113.1")).allowed).toBe(false);
  });

  it("budgets mail per address typed, whatever its spelling, and per IP, with a Retry-After that is enough", async () => {
    const windowMs = 2_000;
    const limiter = limiterWith({ mailAddress: rule(3, windowMs), mailIp: rule(4, windowMs) });
    await startOfWindow(windowMs, 1_500);
    // One address from rotating IPs: three mails, then no more.
    const spellings = ["victim@example.com", " Victim@Example.com", "VICTIM@EXAMPLE.COM "];
    const byAddress = [];
    for (let i = 0; i < 4; i++) {
      byAddress.push(
        await checkMailBudget(limiter, { email: spellings[i % 3] ?? "", ip: `198.51.100.${i}` }),
      );
    }
    expect(byAddress.slice(0, 3)).toEqual([
      { allowed: true },
      { allowed: true },
      { allowed: true },
    ]);
    const refused = byAddress[3];
    expect(refused).toMatchObject({ allowed: false, unavailable: false });
    // One IP spraying addresses: four, then no more (an IPv6 client by its /64).
    const byIp = [];
    for (let i = 0; i < 5; i++) {
      byIp.push(
        await checkMailBudget(limiter, { email: `person${i}@example.com`, ip: `2001:db8::${i}` }),
      );
    }
    expect(byIp.map((budget) => budget.allowed)).toEqual([true, true, true, true, false]);

    // Waiting the announced time is enough.
    if (refused?.allowed !== false) throw new Error("expected a refusal");
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(3);
    await harness.passTime(refused.retryAfterSeconds * 1_000);
    await expect(
      checkMailBudget(limiter, { email: "victim@example.com", ip: "192.0.2.1" }),
    ).resolves.toEqual({ allowed: true });
    // Only hashed keys under the two mail namespaces: no address is stored.
    const keys = await harness.keys(prefix);
    expect(keys.every((key) => /:(mailAddress|mailIp):/.test(key))).toBe(true);
    expect(keys.join(" ")).not.toMatch(/victim|example|2001|198\.51/i);
  });

  it("lets requests through again as the window slides", async () => {
    const windowMs = 1_000;
    const limiter = limiterWith({ global: rule(2, windowMs) });
    await startOfWindow(windowMs, 400);

    expect((await limiter.limit("global", "ip")).allowed).toBe(true);
    expect((await limiter.limit("global", "ip")).allowed).toBe(true);
    const refused = await limiter.limit("global", "ip");
    expect(refused.allowed).toBe(false);

    // Just past the reset, the previous window's 2 requests still weigh floor(0.95 × 2) = 1
    // (anything up to half-way through the window gives 1): room for exactly one more.
    const windowEnd = refused.resetAt - 1;
    await harness.passTime(windowEnd - harness.now() + 50);
    const again = await limiter.limit("global", "ip");
    expect(again).toMatchObject({ allowed: true, remaining: 0 });
    expect(again.resetAt).toBe(windowEnd + windowMs);
    expect((await limiter.limit("global", "ip")).allowed).toBe(false);

    // One window later the 2 requests are gone and the 1 weighs floor(0.95 × 1) = 0.
    await harness.passTime(windowMs);
    expect((await limiter.limit("global", "ip")).allowed).toBe(true);
    expect((await limiter.limit("global", "ip")).allowed).toBe(true);
    expect((await limiter.limit("global", "ip")).allowed).toBe(false);
  });

  it("holds the per-account limit across rotating IPs, whatever the email's case", async () => {
    const limiter = limiterWith({ signInIp: rule(5, 60_000), signInAccount: rule(3, 60_000) });
    await startOfWindow(60_000, 1_000);
    const spellings = ["victim@example.com", "Victim@Example.com", "  VICTIM@example.COM "];

    const byIp: RateLimitDecision[] = [];
    const byAccount: RateLimitDecision[] = [];
    for (let i = 1; i <= 6; i++) {
      // Every attempt comes from a new address, so no per-IP limit ever trips…
      byIp.push(await limiter.limit("signInIp", `198.51.100.${i}`));
      byAccount.push(await limiter.limit("signInAccount", spellings[i % spellings.length] ?? ""));
    }
    expect(byIp.every((d) => d.allowed && d.remaining === 4)).toBe(true);
    // …but the account's does, after 3.
    expect(byAccount.map((d) => d.allowed)).toEqual([true, true, true, false, false, false]);
  });

  // The guard decides each attempt with the limiter before the password is checked; whether a
  // burst can slip more checks through than the limit depends on each decision being atomic
  // on the backend (the Lua script on Redis, one synchronous step in process). This checks
  // it, with the real guard on each backend; `checks` counts what would reach argon2.
  it("ten parallel guesses at one account reach the password check no more often than its limits allow", async () => {
    const windowMs = 3_600_000;
    const limiter = limiterWith({
      signInAccount: rule(4, windowMs),
      signInDevice: rule(3, windowMs),
      // Ten requests at once can take longer than the suite's deadline on a busy machine (the
      // REST backend especially), and a decision that times out is a refusal: this test is
      // about what the backend decides, so it waits for every answer.
      timeoutMs: 5_000,
    });
    const guard = createPasswordGuard({
      limiter,
      throttle: createAccountThrottle({ store: createMemoryStore(), logger }),
      now: () => harness.now(),
      sleep: () => Promise.resolve(),
    });
    // One window for the whole burst: just after a boundary a sliding window lets a little
    // more through by design (the previous window's count weighs less), which is not a race.
    await startOfWindow(windowMs, 10_000);
    let checks = 0;
    const guess = async (attempt: PasswordAttempt): Promise<string> => {
      const admission = await guard.admit(attempt);
      if (!admission.ok) return admission.reason;
      checks += 1; // authorize() checks the password here
      await guard.failed(attempt.account, admission);
      return admission.knownDevice ? "checked on the device's budget" : "checked";
    };
    const tally = (outcomes: string[]) =>
      Object.fromEntries(
        [...new Set(outcomes)].sort().map((o) => [o, outcomes.filter((x) => x === o).length]),
      );
    const burst = (attempt: (n: number) => PasswordAttempt) =>
      Promise.all(Array.from({ length: 10 }, (_, n) => guess(attempt(n))));

    // Ten addresses at once, no device cookie: the account's 4, the rest refused.
    const plain = await burst((n) => ({
      ip: `198.51.100.${n + 1}`,
      account: "victim@example.com",
    }));
    expect(checks).toBe(4);
    expect(tally(plain)).toEqual({ checked: 4, limited: 6 });

    // With one device cookie (stolen, say) on another account: the device's 3, then it is
    // locked out and shares the account's 4 with every unknown browser.
    checks = 0;
    const device = "c3RvbGVuLWRldmljZS1ub24";
    const withDevice = await burst((n) => ({
      ip: `198.51.100.${n + 1}`,
      account: "other@example.com",
      device,
    }));
    expect(checks).toBe(7);
    expect(tally(withDevice)).toEqual({
      "checked on the device's budget": 3,
      checked: 4,
      limited: 3,
    });
  });

  it("stores only namespaced, hashed keys: no raw email or address", async () => {
    const limiter = limiterWith();
    await limiter.limit("signInAccount", "Victim@Example.com");
    await limiter.limit("global", "203.0.113.99");

    const keys = await harness.keys(prefix);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      // <prefix>:<policy>:<sha-256, base64url>, then the window number on Redis.
      expect(key).toMatch(
        new RegExp(`^${prefix}:(signInAccount|global):[A-Za-z0-9_-]{43}(:\\d+)?$`),
      );
      expect(key.toLowerCase()).not.toContain("victim");
      expect(key).not.toContain("203.0.113.99");
    }
  });

  // Only network backends can be down or hang; the in-process one has nothing to lose.
  if (!isNetwork) return;

  describe("when the backend is down or hangs", () => {
    const network = () => {
      if (!harness.network) throw new Error("not a network backend");
      return harness.network;
    };

    /** One decision, and how long it took. */
    const timed = async (limiter: RateLimiter, policy: RateLimitPolicy) => {
      const started = performance.now();
      const decision = await limiter.limit(policy, "203.0.113.50");
      return { decision, elapsedMs: performance.now() - started };
    };

    it("fails open for global and Telegram, closed for sign-in, sign-up and mail, within the timeout", async () => {
      const limiter = limiterWith({ timeoutMs: TIMEOUT_MS });
      // Connected and healthy first (with all the time that takes), so what follows is an
      // outage, not a cold start.
      expect((await limiterWith().limit("global", "warm-up")).failure).toBeUndefined();

      network().cut();
      for (const policy of RATE_LIMIT_POLICIES) {
        const { decision, elapsedMs } = await timed(limiter, policy);
        expect(elapsedMs).toBeLessThan(BOUND_MS + SLACK_MS);
        const at = harness.now();
        if (policy === "global" || policy === "telegram") {
          expect(decision).toMatchObject({ allowed: true, failure: "open", retryAfterSeconds: 0 });
          expect(rateLimitHeaders(decision, at)).toEqual({});
        } else {
          expect(decision).toMatchObject({
            allowed: false,
            failure: "closed",
            remaining: 0,
            retryAfterSeconds: 5,
          });
          expect(rateLimitHeaders(decision, at)).toEqual({ "Retry-After": "5" });
        }
      }
    });

    it("sends no mail while the backend is down: the budget refuses, says so, and names the wait", async () => {
      const limiter = limiterWith({ timeoutMs: TIMEOUT_MS });
      expect((await limiterWith().limit("global", "warm-up")).failure).toBeUndefined();
      network().cut();
      await expect(
        checkMailBudget(limiter, { email: "victim@example.com", ip: "203.0.113.50" }),
      ).resolves.toEqual({ allowed: false, retryAfterSeconds: 5, unavailable: true });
      network().restore();
    });

    it("decides by the timeout when Redis accepts requests and never answers", async () => {
      const limiter = limiterWith({ timeoutMs: TIMEOUT_MS });
      expect((await limiterWith().limit("global", "warm-up")).failure).toBeUndefined();

      network().hang();
      const signIn = await timed(limiter, "signInAccount");
      expect(signIn.decision).toMatchObject({ allowed: false, failure: "closed" });
      // Decided by the timer (nothing failed fast), and within the bound.
      expect(signIn.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(signIn.elapsedMs).toBeLessThan(BOUND_MS + SLACK_MS);

      const global = await timed(limiter, "global");
      expect(global.decision).toMatchObject({ allowed: true, failure: "open" });
      expect(global.elapsedMs).toBeLessThan(BOUND_MS + SLACK_MS);
    });

    it("logs an outage once when it starts and once when it ends", async () => {
      const limiter = limiterWith({ timeoutMs: TIMEOUT_MS });
      expect((await limiterWith().limit("global", "warm-up")).failure).toBeUndefined();

      network().cut();
      for (const policy of [...RATE_LIMIT_POLICIES, ...RATE_LIMIT_POLICIES]) {
        expect((await limiter.limit(policy, "k")).failure).toBeDefined();
      }
      expect(logged(OUTAGE_MESSAGE)).toHaveLength(1);
      expect(logged(OUTAGE_MESSAGE)[0]).toMatchObject({
        level: "warn",
        backend: harness.backend.kind,
        policy: RATE_LIMIT_POLICIES[0],
      });
      expect(logged(RECOVERY_MESSAGE)).toHaveLength(0);

      network().restore();
      let decision = await limiter.limit("global", "k");
      for (let i = 0; i < 100 && decision.failure !== undefined; i++) {
        await sleep(50);
        decision = await limiter.limit("global", "k");
      }
      expect(decision.failure).toBeUndefined();
      await limiter.limit("signInIp", "k");
      await limiter.limit("telegram", "k");

      expect(logged(RECOVERY_MESSAGE)).toHaveLength(1);
      const recovery = logged(RECOVERY_MESSAGE)[0];
      expect(recovery).toMatchObject({ level: "info", backend: harness.backend.kind });
      expect(recovery?.failedCalls).toBeGreaterThanOrEqual(2 * RATE_LIMIT_POLICIES.length);
      expect(logged(OUTAGE_MESSAGE)).toHaveLength(1);

      // A new outage is a new incident.
      network().cut();
      await limiter.limit("signInIp", "k");
      await limiter.limit("signInIp", "k");
      expect(logged(OUTAGE_MESSAGE)).toHaveLength(2);
      expect(logger.lines).toHaveLength(3);
    });
  });
});

// ---------------------------------------------------------------------------------------
// The in-process window against the library's Lua script
// ---------------------------------------------------------------------------------------

describe.runIf(redisUrl !== null)("in-process sliding window and @upstash/ratelimit", () => {
  let fake: FakeUpstash;

  beforeAll(async () => {
    fake = await startFakeUpstash({ redisUrl: redisUrl ?? "", token: UPSTASH_TOKEN });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(["ioredis", "upstash"] as const)(
    "answer alike at the same instants (%s)",
    async (kind) => {
      const store =
        kind === "ioredis"
          ? createIoRedisStore({
              url: redisUrl ?? "",
              connectTimeoutMs: 1_000,
              commandTimeoutMs: 1_000,
              maxReconnectAttempts: 3,
              logger: silentLogger(),
            })
          : createUpstashStore({
              url: fake.url,
              token: UPSTASH_TOKEN,
              commandTimeoutMs: 1_000,
              logger: silentLogger(),
            });
      const lua = createRateLimitBackend(store);
      expect(lua.kind).toBe(kind);
      // Only Date is faked: the library reads its clock from Date.now(), sockets and timers
      // stay real. Redis's own clock only expires keys (after 2 windows + 1 s of real time).
      vi.useFakeTimers({ toFake: ["Date"] });
      let clock = 1_900_000_000_000;
      vi.setSystemTime(clock);
      const memory = createMemoryRateLimitBackend({ now: () => clock });
      const limits = rule(5, 10_000);
      const namespace = `gatehouse-test:${randomUUID()}:rl:global`;
      try {
        // Bursts at chosen points of four windows: the start, mid-window, a window's last
        // millisecond, the first of the next, and a gap of two windows.
        const offsets = [
          0, 1, 2, 3, 4, 5, 6, 3_000, 9_999, 10_000, 10_001, 12_500, 12_501, 15_000, 15_001, 17_400,
          19_999, 20_000, 21_000, 24_000, 27_000, 29_999, 50_000, 50_001, 50_002,
        ];
        const fromLua = [];
        const fromMemory = [];
        for (const offset of offsets) {
          clock = 1_900_000_000_000 + offset;
          vi.setSystemTime(clock);
          fromLua.push({ offset, ...(await lua.limit(namespace, "id", limits)) });
          fromMemory.push({ offset, ...(await memory.limit(namespace, "id", limits)) });
        }
        expect(fromMemory).toEqual(fromLua);
        // Not vacuous: the sequence was refused and let through again along the way.
        expect(fromLua.filter((r) => !r.success).length).toBeGreaterThan(5);
        expect(fromLua.filter((r) => r.success).length).toBeGreaterThan(10);
      } finally {
        vi.useRealTimers();
        const direct = new Redis(redisUrl ?? "");
        const keys = await scanKeys(direct, namespace);
        if (keys.length > 0) await direct.del(...keys);
        direct.disconnect();
        await store.close();
      }
    },
  );
});

// ---------------------------------------------------------------------------------------
// Retry-After tells the truth: waiting that long is enough, a second less is not
// ---------------------------------------------------------------------------------------

describe("the wait a refusal announces, on every backend", () => {
  let fake: FakeUpstash | undefined;
  beforeAll(async () => {
    if (redisUrl !== null) {
      fake = await startFakeUpstash({ redisUrl, token: UPSTASH_TOKEN });
    }
  });
  afterAll(async () => {
    await fake?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const upstashFake = () => {
    if (!fake) throw new Error("the fake Upstash did not start");
    return fake;
  };
  // The Redis backends need the redis-server of the test setup (always there under
  // `npm test`; a run without one has only the in-process case).
  const stores: [string, () => RedisStore][] = [
    ["in-memory", () => createMemoryStore()],
    ...(redisUrl === null
      ? []
      : ([
          [
            "ioredis on redis-server",
            () =>
              createIoRedisStore({
                url: redisUrl,
                connectTimeoutMs: 1_000,
                commandTimeoutMs: 1_000,
                maxReconnectAttempts: 3,
                logger: silentLogger(),
              }),
          ],
          [
            "Upstash REST",
            () =>
              createUpstashStore({
                url: upstashFake().url,
                token: UPSTASH_TOKEN,
                commandTimeoutMs: 1_000,
                logger: silentLogger(),
              }),
          ],
        ] as [string, () => RedisStore][])),
  ];

  it.each(stores)("is exactly long enough (%s)", async (_, makeStore) => {
    const store = makeStore();
    // Only Date is faked: @upstash/ratelimit reads its clock from Date.now(), and the
    // in-process backend and the limiter are given the same one. Sockets and timers stay real.
    vi.useFakeTimers({ toFake: ["Date"] });
    const minute = 60_000;
    const start = 1_900_000_020_000 - (1_900_000_020_000 % minute); // a window boundary
    vi.setSystemTime(start);
    const prefix = `gatehouse-test:${randomUUID()}:rl`;
    const limiter = createRateLimiter({
      backend: createRateLimitBackend(store, { now: () => Date.now() }),
      now: () => Date.now(),
      logger: memoryLogger(),
      // Generous: this is about what is decided, not how fast.
      settings: settingsWith({
        signInAccount: rule(4, minute),
        signUpIp: rule(6, minute),
        timeoutMs: 5_000,
      }),
      keyPrefix: prefix,
    });
    /** Hits at `at`; returns the decision. */
    const hit = async (policy: RateLimitPolicy, at: number) => {
      vi.setSystemTime(at);
      const decision = await limiter.limit(policy, "victim@example.com");
      expect(decision.failure).toBeUndefined();
      return decision;
    };
    /** The announced wait, checked by trying one second before it, then at it. */
    const announcedWaitHolds = async (policy: RateLimitPolicy, refusedAt: number) => {
      const refused = await hit(policy, refusedAt);
      expect(refused.allowed).toBe(false);
      const wait = refused.retryAfterSeconds;
      expect(rateLimitHeaders(refused, refusedAt)["Retry-After"]).toBe(String(wait));
      expect((await hit(policy, refusedAt + (wait - 1) * 1_000)).allowed).toBe(false);
      expect((await hit(policy, refusedAt + wait * 1_000)).allowed).toBe(true);
      return wait;
    };
    try {
      // The whole limit in this window, refused 10 s in: it still weighs in full at the next
      // window's first millisecond, so the wait is the 50 s to the window's end, and then
      // one more second (rounded up from 1 ms).
      for (let n = 0; n < 4; n++) {
        expect((await hit("signInAccount", start + 1_000 + n)).allowed).toBe(true);
      }
      expect(await announcedWaitHolds("signInAccount", start + 10_000)).toBe(51);

      // 6 in one window; 6 s into the next, floor(0.9 × 6) = 5 of them weigh: one more fits,
      // then it is the fading weight that refuses. The next request fits once
      // floor((1 - e) × 6) ≤ 4, just past 10 s into the window: 5 s after the refusal, not
      // the 54 s to the window's end.
      for (let n = 0; n < 6; n++) {
        expect((await hit("signUpIp", start + 2 * minute + n)).allowed).toBe(true);
      }
      expect((await hit("signUpIp", start + 3 * minute + 6_000)).allowed).toBe(true);
      expect(await announcedWaitHolds("signUpIp", start + 3 * minute + 6_000)).toBe(5);
    } finally {
      vi.useRealTimers();
      if (direct) {
        const keys = await scanKeys(direct, prefix);
        if (keys.length > 0) await direct.del(...keys);
      }
      await store.close();
    }
  });
});

// ---------------------------------------------------------------------------------------
// A Redis that forgets its scripts (a private redis-server: SCRIPT FLUSH on the shared one
// would pull scripts from under other test files running at the same time)
// ---------------------------------------------------------------------------------------

describe.runIf(redisServerInstalled)(
  "rate limiter on ioredis when Redis forgets its scripts",
  () => {
    it("loads the script with EVAL, then uses EVALSHA, and reloads it after NOSCRIPT", async () => {
      const server = await startPrivateRedis();
      const store = createIoRedisStore({
        url: server.url,
        connectTimeoutMs: 1_000,
        commandTimeoutMs: 1_000,
        maxReconnectAttempts: 3,
        logger: silentLogger(),
      });
      const admin = new Redis(server.url);
      const calls = async (command: "eval" | "evalsha") => {
        const info = await admin.info("commandstats");
        return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      };
      try {
        const logger = memoryLogger();
        const limiter = createRateLimiter({
          backend: createRateLimitBackend(store),
          now: Date.now,
          logger,
          // Slow enough for a first connection; this test is about scripts, not speed.
          settings: settingsWith({ global: rule(10, 60_000), timeoutMs: 1_000 }),
        });
        const remaining = async () => {
          const decision = await limiter.limit("global", "ip");
          expect(decision.failure).toBeUndefined();
          return decision.remaining;
        };

        // A new server has never seen the script: one EVAL (which caches it there)…
        expect(await remaining()).toBe(9);
        expect([await calls("eval"), await calls("evalsha")]).toEqual([1, 0]);
        // …and from then on EVALSHA alone.
        expect(await remaining()).toBe(8);
        expect([await calls("eval"), await calls("evalsha")]).toEqual([1, 1]);

        // The server forgets every script (as after a restart): EVALSHA answers NOSCRIPT, the
        // library falls back to EVAL, and the count goes on where it was.
        await admin.script("FLUSH");
        expect(await remaining()).toBe(7);
        expect([await calls("eval"), await calls("evalsha")]).toEqual([2, 2]);
        expect(await remaining()).toBe(6);
        expect([await calls("eval"), await calls("evalsha")]).toEqual([2, 3]);
        expect(logger.lines).toEqual([]);
      } finally {
        admin.disconnect();
        await store.close();
        await server.stop();
      }
    });
  },
);

// ---------------------------------------------------------------------------------------
// Redis healthy, our event loop busy (lib/timeout.ts)
// ---------------------------------------------------------------------------------------

const redisCliInstalled = (() => {
  try {
    execFileSync("redis-cli", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(redisServerInstalled && redisCliInstalled)(
  "rate limiter on ioredis while our event loop is blocked",
  () => {
    it("allows sign-ins Redis answered in time although the loop read the answers past the timeout, and logs no outage", async () => {
      const server = await startPrivateRedis();
      const store = createIoRedisStore({
        url: server.url,
        connectTimeoutMs: 1_000,
        commandTimeoutMs: 5_000,
        maxReconnectAttempts: 3,
        logger: silentLogger(),
      });
      const timeoutMs = 20;
      const logger = memoryLogger();
      const limiter = createRateLimiter({
        backend: createRateLimitBackend(store),
        now: Date.now,
        logger,
        settings: settingsWith({ timeoutMs }),
      });
      try {
        // Connected, script loaded: what follows is the steady state.
        expect(await limiter.warmUp()).toBe(true);

        const decisions = Array.from({ length: 10 }, (_, i) =>
          limiter.limit("signInIp", `203.0.113.${i}`),
        );
        // Let the calls reach the socket (ioredis writes synchronously; getting there takes
        // only promise reactions, no turn of the loop, so nothing can be read meanwhile)…
        for (let hop = 0; hop < 1_000; hop++) await Promise.resolve();
        // …then hold the loop, as a burst of requests being rendered does, until Redis has
        // run all ten (another client sees their keys, synchronously) and well past the
        // deadline and its 4 × bound: the answers wait in our socket.
        const started = performance.now();
        const keys = execFileSync("redis-cli", ["-p", String(server.port), "--scan"], {
          encoding: "utf8",
        });
        expect(keys.split("\n").filter((key) => key.includes(":signInIp:"))).toHaveLength(10);
        while (performance.now() - started < 5 * timeoutMs) {
          // Busy.
        }

        for (const decision of await Promise.all(decisions)) {
          expect(decision).toMatchObject({ allowed: true, remaining: 999 });
          expect(decision.failure).toBeUndefined();
        }
        expect(logger.lines).toEqual([]);
      } finally {
        await store.close();
        await server.stop();
      }
    });
  },
);

// ---------------------------------------------------------------------------------------
// Redis that was never there (needs no redis-server)
// ---------------------------------------------------------------------------------------

describe("rate limiter on a Redis nobody runs", () => {
  it.each([
    [
      "ioredis",
      () =>
        createIoRedisStore({
          url: "redis://127.0.0.1:1",
          connectTimeoutMs: 1_000,
          commandTimeoutMs: 1_000,
          maxReconnectAttempts: 0,
          logger: silentLogger(),
        }),
    ],
    [
      "upstash",
      () =>
        createUpstashStore({
          url: "http://127.0.0.1:1",
          token: UPSTASH_TOKEN,
          commandTimeoutMs: 1_000,
          logger: silentLogger(),
        }),
    ],
  ] as const)(
    "decides within the timeout on %s, by each policy's failure mode",
    async (_, make) => {
      const store = make();
      const logger = memoryLogger();
      const limiter = createRateLimiter({
        backend: createRateLimitBackend(store),
        now: Date.now,
        logger,
        settings: settingsWith(),
      });
      try {
        for (const policy of RATE_LIMIT_POLICIES) {
          const started = performance.now();
          const decision = await limiter.limit(policy, "203.0.113.1");
          expect(performance.now() - started).toBeLessThan(BOUND_MS + SLACK_MS);
          expect(decision.failure).toBe(
            policy === "global" || policy === "telegram" ? "open" : "closed",
          );
          expect(decision.allowed).toBe(decision.failure === "open");
        }
        expect(logger.lines.map((line) => line.message)).toEqual([
          expect.stringMatching(OUTAGE_MESSAGE) as string,
        ]);
      } finally {
        await store.close();
      }
    },
  );
});

// ---------------------------------------------------------------------------------------
// A TCP proxy that can go down, come back, and stall
// ---------------------------------------------------------------------------------------

async function startProxy(host: string, port: number) {
  let up = true;
  let stalled = false;
  const sockets = new Set<net.Socket>();
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {
      // Hang-ups on either side are expected.
    });
  };

  const server = net.createServer((client) => {
    track(client);
    if (!up) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(port, host);
    track(upstream);
    const pair = { client, upstream };
    pairs.add(pair);
    upstream.on("close", () => {
      pairs.delete(pair);
      client.destroy();
    });
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    // Stalled: requests go through, answers are held back.
    if (stalled) upstream.pause();
    else upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");

  // Arrow functions: the harnesses hand these around detached from the object.
  return {
    port: address.port,
    cut: () => {
      up = false;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      up = true;
    },
    stall: () => {
      stalled = true;
      for (const { client, upstream } of pairs) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
