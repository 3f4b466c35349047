// One contract for every RedisStore, run against a real redis-server (when the test setup
// has one), against Upstash's REST API (a local fake of it backed by that same redis-server)
// and against the in-memory store, plus what only a network client can get wrong: failing
// fast when Redis is unreachable, logging an outage once, and recovering from it.
import { randomUUID } from "node:crypto";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
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
import {
  createIoRedisStore,
  createMemoryStore,
  createRedisStore,
  createUpstashStore,
  RedisUnavailableError,
  type IoRedisStoreOptions,
  type RedisLogger,
  type RedisStore,
  type UpstashStoreOptions,
} from "@/lib/redis";
import { startFakeUpstash, type FakeUpstash } from "@/tests/support/fake-upstash";

const redisUrl = inject("redisUrl");

// ---------------------------------------------------------------------------------------
// Harnesses: a store plus a way to say "time passes" that each backend can honour.
// ---------------------------------------------------------------------------------------

interface StoreHarness {
  store: RedisStore;
  /** A TTL that outlives the few steps between writing a key and checking it, and is quick
   *  to wait out. */
  ttlMs: number;
  /** Lets `ms` of time pass for the store: sleeps against a real server, advances the
   *  injected clock of the memory store. */
  passTime(ms: number): Promise<void>;
  /** Warnings the store logged; a healthy store logs none. */
  warnings: string[];
}

function recordingLogger() {
  const warnings: string[] = [];
  const infos: string[] = [];
  const logger: RedisLogger = {
    warn: (message) => warnings.push(message),
    info: (message) => infos.push(message),
  };
  return { logger, warnings, infos };
}

function memoryHarness(): StoreHarness {
  let clock = 1_700_000_000_000;
  return {
    store: createMemoryStore({ now: () => clock }),
    // Virtual time costs nothing, so a realistic TTL.
    ttlMs: 60_000,
    passTime: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    warnings: [],
  };
}

function ioredisOptions(url: string, logger: RedisLogger): IoRedisStoreOptions {
  return {
    url,
    connectTimeoutMs: 1_000,
    commandTimeoutMs: 1_000,
    maxReconnectAttempts: 3,
    logger,
  };
}

/** The TTL the real-time stores are tested with. */
const REAL_TTL_MS = 1_000;

function ioredisHarness(url: string): StoreHarness {
  const { logger, warnings } = recordingLogger();
  return {
    store: createIoRedisStore(ioredisOptions(url, logger)),
    // Real time: long enough that loopback round trips never outlive it, even on a busy CI
    // machine (150 ms was not, with other test files building the app at the same time).
    ttlMs: REAL_TTL_MS,
    passTime: (ms) => sleep(ms),
    warnings,
  };
}

const UPSTASH_TOKEN = "fake-upstash-token";

function upstashOptions(url: string, logger: RedisLogger): UpstashStoreOptions {
  return { url, token: UPSTASH_TOKEN, commandTimeoutMs: 1_000, logger };
}

function upstashHarness(url: string): StoreHarness {
  const { logger, warnings } = recordingLogger();
  return {
    store: createUpstashStore(upstashOptions(url, logger)),
    // Real time, as for ioredis; an HTTP round trip on loopback is a millisecond or two.
    ttlMs: REAL_TTL_MS,
    passTime: (ms) => sleep(ms),
    warnings,
  };
}

/** Polls `check` while letting time pass in small steps, up to `withinMs` of it. */
async function eventually(
  harness: StoreHarness,
  check: () => Promise<boolean>,
  withinMs: number,
): Promise<void> {
  const step = Math.max(1, Math.round(harness.ttlMs / 15));
  for (let waited = 0; ; waited += step) {
    if (await check()) return;
    if (waited >= withinMs) throw new Error(`condition still false after ${withinMs} ms`);
    await harness.passTime(step);
  }
}

// ---------------------------------------------------------------------------------------
// The shared contract
// ---------------------------------------------------------------------------------------

function describeStoreContract(createHarness: () => StoreHarness) {
  let harness: StoreHarness;
  let store: RedisStore;
  let ttl: number;
  // A random prefix per test: tests never see each other's keys, nor leftovers of old runs.
  let key: (name: string) => string;

  beforeEach(() => {
    harness = createHarness();
    store = harness.store;
    ttl = harness.ttlMs;
    const prefix = `gatehouse-test:${randomUUID()}:`;
    key = (name) => prefix + name;
  });

  afterEach(async () => {
    await store.close();
    expect(harness.warnings).toEqual([]);
  });

  it("answers ping", async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it("gets, sets, overwrites and deletes", async () => {
    const k = key("plain");
    expect(await store.get(k)).toBeNull();
    expect(await store.set(k, "one")).toBe(true);
    expect(await store.get(k)).toBe("one");
    expect(await store.set(k, "two")).toBe(true);
    expect(await store.get(k)).toBe("two");
    expect(await store.ttlMs(k)).toBeNull();
    expect(await store.del(k)).toBe(true);
    expect(await store.get(k)).toBeNull();
    expect(await store.del(k)).toBe(false);
  });

  it("keeps keys apart", async () => {
    await store.set(key("a"), "A");
    await store.set(key("b"), "B");
    await store.del(key("a"));
    expect(await store.get(key("a"))).toBeNull();
    expect(await store.get(key("b"))).toBe("B");
  });

  it("writes onlyIfAbsent once, and leaves the first value in place", async () => {
    const k = key("update:42");
    expect(await store.set(k, "first", { onlyIfAbsent: true })).toBe(true);
    expect(await store.set(k, "second", { onlyIfAbsent: true })).toBe(false);
    expect(await store.get(k)).toBe("first");
    await store.del(k);
    expect(await store.set(k, "third", { onlyIfAbsent: true })).toBe(true);
    expect(await store.get(k)).toBe("third");
  });

  it("expires a key after its TTL, after which onlyIfAbsent can write it again", async () => {
    const k = key("dedup");
    expect(await store.set(k, "seen", { ttlMs: ttl, onlyIfAbsent: true })).toBe(true);
    expect(await store.get(k)).toBe("seen");
    const remaining = await store.ttlMs(k);
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(ttl);
    expect(await store.set(k, "again", { ttlMs: ttl, onlyIfAbsent: true })).toBe(false);

    await harness.passTime(ttl);
    await eventually(harness, async () => (await store.get(k)) === null, ttl);
    expect(await store.ttlMs(k)).toBeNull();
    expect(await store.del(k)).toBe(false);
    expect(await store.set(k, "again", { ttlMs: ttl, onlyIfAbsent: true })).toBe(true);
  });

  it("does not touch the TTL of an existing key when onlyIfAbsent refuses", async () => {
    const k = key("kept");
    await store.set(k, "value");
    expect(await store.set(k, "other", { ttlMs: ttl, onlyIfAbsent: true })).toBe(false);
    expect(await store.ttlMs(k)).toBeNull();
  });

  it("clears an earlier TTL when a key is set again without one, as Redis does", async () => {
    const k = key("persist");
    await store.set(k, "short-lived", { ttlMs: ttl });
    await store.set(k, "forever");
    expect(await store.ttlMs(k)).toBeNull();
    await harness.passTime(ttl * 2);
    expect(await store.get(k)).toBe("forever");
  });

  it("counts from 1, without expiry unless asked", async () => {
    const k = key("count");
    expect(await store.incr(k)).toBe(1);
    expect(await store.incr(k)).toBe(2);
    expect(await store.incr(k)).toBe(3);
    expect(await store.get(k)).toBe("3");
    expect(await store.ttlMs(k)).toBeNull();
  });

  it("counts on from a value that was set", async () => {
    const k = key("from-set");
    await store.set(k, "41");
    expect(await store.incr(k, { ttlMs: ttl })).toBe(42);
    // The key existed, so the TTL option does not apply to it.
    expect(await store.ttlMs(k)).toBeNull();
  });

  it("gives a counter its TTL when created and never extends it", async () => {
    const k = key("window");
    expect(await store.incr(k, { ttlMs: ttl })).toBe(1);
    const first = await store.ttlMs(k);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(ttl);

    const half = Math.round(ttl / 2);
    await harness.passTime(half);
    expect(await store.incr(k, { ttlMs: ttl })).toBe(2);
    // Had the second INCR reset the TTL, about `ttl` would remain; the window is half gone.
    // (+5: a real timer may fire a millisecond early.)
    const second = await store.ttlMs(k);
    expect(second).toBeGreaterThan(0);
    expect(second).toBeLessThanOrEqual(ttl - half + 5);

    await harness.passTime(ttl - half);
    await eventually(harness, async () => (await store.get(k)) === null, ttl);
    // A new window starts from 1, with a fresh TTL.
    expect(await store.incr(k, { ttlMs: ttl })).toBe(1);
    expect(await store.ttlMs(k)).toBeGreaterThan(half);
  });

  it("refuses to count a value that is not an integer, and leaves it alone", async () => {
    const k = key("text");
    await store.set(k, "abc");
    await expect(store.incr(k)).rejects.toThrow(/not an integer/);
    await expect(store.incr(k, { ttlMs: ttl })).rejects.toThrow(/not an integer/);
    expect(await store.get(k)).toBe("abc");
  });

  it("rejects TTLs Redis would refuse", async () => {
    await expect(store.set(key("zero"), "v", { ttlMs: 0 })).rejects.toThrow(RangeError);
    await expect(store.incr(key("fraction"), { ttlMs: 1.5 })).rejects.toThrow(RangeError);
    expect(await store.get(key("zero"))).toBeNull();
    expect(await store.get(key("fraction"))).toBeNull();
  });

  it("rejects calls after close", async () => {
    await store.close();
    await expect(store.get(key("any"))).rejects.toThrow(/closed/);
  });
}

describe("memory store", () => {
  describeStoreContract(memoryHarness);

  it("expires a key exactly at its TTL on the injected clock", async () => {
    let clock = 0;
    const store = createMemoryStore({ now: () => clock });
    await store.set("k", "v", { ttlMs: 1_000 });
    clock = 999;
    expect(await store.get("k")).toBe("v");
    expect(await store.ttlMs("k")).toBe(1);
    clock = 1_000;
    expect(await store.get("k")).toBeNull();
  });

  it("sweeps expired keys it is never asked about again, so memory stays bounded", async () => {
    // The Telegram pattern: every update_id is written once with a TTL and never read again.
    let clock = 0;
    const store = createMemoryStore({ now: () => clock });
    const perWindow = 1_000;
    for (let window = 0; window < 20; window++) {
      for (let i = 0; i < perWindow; i++) {
        await store.set(`update:${window}:${i}`, "1", { ttlMs: 1_000, onlyIfAbsent: true });
      }
      clock += 1_000;
    }
    // 20 000 keys were written; at most 1 000 were alive at any moment.
    expect(store.size()).toBeLessThanOrEqual(4 * perWindow);
  });
});

describe.runIf(redisUrl !== null)("ioredis store on a real redis-server", () => {
  const url = redisUrl ?? "";

  describeStoreContract(() => ioredisHarness(url));

  it("survives an outage: fails fast, logs it once, and recovers when Redis is back", async () => {
    const target = new URL(url);
    const proxy = await startProxy(target.hostname, Number(target.port));
    const { logger, warnings, infos } = recordingLogger();
    const store = createIoRedisStore({
      ...ioredisOptions(`redis://127.0.0.1:${proxy.port}`, logger),
      maxReconnectAttempts: 20,
    });
    try {
      const k = `gatehouse-test:${randomUUID()}:outage`;
      expect(await store.set(k, "kept", { ttlMs: 60_000 })).toBe(true);

      proxy.cut();
      const started = performance.now();
      await expect(store.get(k)).rejects.toThrow(RedisUnavailableError);
      await expect(store.get(k)).rejects.toThrow(/Redis is unreachable/);
      // Well under the 1 s command timeout: nothing waited for a reconnect.
      expect(performance.now() - started).toBeLessThan(500);

      await sleep(300); // several reconnect attempts are refused meanwhile
      expect(warnings).toHaveLength(1);

      proxy.restore();
      let value: string | null = null;
      for (let i = 0; i < 100 && value === null; i++) {
        value = await store.get(k).catch(() => null);
        if (value === null) await sleep(50);
      }
      expect(value).toBe("kept");
      expect(infos).toEqual(["Redis is reachable again"]);
      expect(warnings).toHaveLength(1);
      await store.del(k);
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describe.runIf(redisUrl !== null)("upstash store through a fake Upstash REST API", () => {
  const url = redisUrl ?? "";
  // One fake for the contract; the outage tests below start their own, so the requests they
  // count and the failures they inject belong to them alone.
  let shared: FakeUpstash;

  beforeAll(async () => {
    shared = await startFakeUpstash({ redisUrl: url, token: UPSTASH_TOKEN });
  });
  afterAll(async () => {
    await shared.close();
  });

  describeStoreContract(() => upstashHarness(shared.url));

  describe("on its own fake", () => {
    let fake: FakeUpstash;
    let recorded: ReturnType<typeof recordingLogger>;
    let unhandled: unknown[];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    const key = () => `gatehouse-test:${randomUUID()}:upstash`;

    beforeEach(async () => {
      fake = await startFakeUpstash({ redisUrl: url, token: UPSTASH_TOKEN });
      recorded = recordingLogger();
      unhandled = [];
      process.on("unhandledRejection", onUnhandled);
    });
    afterEach(async () => {
      await fake.close();
      // A rejection nobody awaited (a timer, a retry left running) surfaces a tick later.
      await sleep(20);
      process.off("unhandledRejection", onUnhandled);
      expect(unhandled).toEqual([]);
    });

    const storeOn = (target: string, overrides: Partial<UpstashStoreOptions> = {}) =>
      createUpstashStore({ ...upstashOptions(target, recorded.logger), ...overrides });

    it("returns values exactly as stored: no JSON parsing, any UTF-8, a literal OK", async () => {
      const store = storeOn(fake.url);
      // Each of these would come back changed if the client parsed JSON or the base64
      // encoding were wrong on either side ("OK" travels unencoded at the top level).
      const values = ["41", '{"a":1}', "true", "null", "OK", "héllo wörld ✓ 🚪", ""];
      for (const value of values) {
        const k = key();
        await store.set(k, value, { ttlMs: 60_000 });
        expect(await store.get(k)).toBe(value);
        await store.del(k);
      }
    });

    it("sends the token and asks for base64, and nothing about the runtime", async () => {
      const store = storeOn(fake.url);
      await store.ping();
      const headers = fake.lastHeaders ?? {};
      expect(headers.authorization).toBe(`Bearer ${UPSTASH_TOKEN}`);
      expect(headers["upstash-encoding"]).toBe("base64");
      // enableTelemetry: false. The client would otherwise describe the runtime, platform
      // and SDK version in Upstash-Telemetry-* headers on every request.
      expect(Object.keys(headers).filter((name) => name.startsWith("upstash-telemetry"))).toEqual(
        [],
      );
    });

    it("exposes a client that runs scripts, as @upstash/ratelimit needs", async () => {
      const store = storeOn(fake.url);
      const k = key();
      const script = "return {redis.call('INCRBY', KEYS[1], ARGV[1]), KEYS[1], 'OK'}";
      const sha = await store.client.scriptLoad(script);
      expect(await store.client.evalsha(sha, [k], ["5"])).toEqual([5, k, "OK"]);
      expect(await store.client.eval(script, [k], ["2"])).toEqual([7, k, "OK"]);
      await expect(store.client.evalsha("0".repeat(40), [k], [])).rejects.toThrow(/NOSCRIPT/);
      await store.del(k);
    });

    it("reports a wrong token as a configuration error, at once and without retrying", async () => {
      const store = storeOn(fake.url, { token: "not-the-token" });
      const error = await store.ping().then(
        () => null,
        (reason: unknown) => reason,
      );
      // Not "unavailable": Upstash answered, and no retry or fail-open can fix a bad token.
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(RedisUnavailableError);
      expect(String(error)).toMatch(/Upstash rejected the REST token/);
      expect(String(error)).toMatch(/UPSTASH_REDIS_REST_TOKEN/);
      expect(String(error)).not.toContain("not-the-token");
      expect(fake.requests).toBe(1);
      expect(recorded.warnings).toEqual([]);
    });

    it("reports Redis refusing a command as a plain error, without the command's values", async () => {
      const store = storeOn(fake.url);
      const k = key();
      await store.set(k, "secret-value");
      const error = await store.incr(k).then(
        () => null,
        (reason: unknown) => reason,
      );
      expect(error).not.toBeInstanceOf(RedisUnavailableError);
      expect(String(error)).toMatch(/^Error: Redis INCR failed: ERR value is not an integer/);
      expect(String(error)).not.toContain(k);
      // Redis refusing is final: one request.
      expect(fake.requests).toBe(2);
      await store.del(k);
    });

    it.each(["500", "drop"] as const)(
      "retries after a %s and succeeds, without logging an outage",
      async (kind) => {
        const store = storeOn(fake.url);
        const k = key();
        fake.failNext(1, kind);
        expect(await store.set(k, "v", { ttlMs: 60_000 })).toBe(true);
        expect(fake.requests).toBe(2);
        fake.failNext(1, kind);
        expect(await store.incr(k + ":n", { ttlMs: 60_000 })).toBe(1);
        expect(fake.requests).toBe(4);
        expect(await store.get(k)).toBe("v");
        expect(recorded.warnings).toEqual([]);
        await store.del(k);
        await store.del(k + ":n");
      },
    );

    it.each(["500", "drop"] as const)(
      "gives up on repeated %s after a bounded number of retries, logs it once, and recovers",
      async (kind) => {
        const maxRetries = 2;
        const store = storeOn(fake.url, { maxRetries });
        // Exactly two calls' worth: the service is back for the third.
        fake.failNext(2 * (1 + maxRetries), kind);
        await expect(store.get(key())).rejects.toThrow(RedisUnavailableError);
        expect(fake.requests).toBe(1 + maxRetries);
        await expect(store.ping()).rejects.toThrow(/Upstash Redis is unreachable at http/);
        expect(fake.requests).toBe(2 * (1 + maxRetries));
        expect(recorded.warnings).toHaveLength(1);

        await expect(store.ping()).resolves.toBeUndefined();
        await expect(store.ping()).resolves.toBeUndefined();
        expect(fake.requests).toBe(2 * (1 + maxRetries) + 2);
        expect(recorded.infos).toEqual(["Upstash Redis is reachable again"]);
        expect(recorded.warnings).toHaveLength(1);
      },
    );

    it("rejects with RedisUnavailableError within the timeout when the service never answers", async () => {
      const commandTimeoutMs = 300;
      const store = storeOn(fake.url, { commandTimeoutMs });
      fake.failNext(1, "hang");
      const started = performance.now();
      const error = await store.get(key()).then(
        () => null,
        (reason: unknown) => reason,
      );
      const elapsed = performance.now() - started;
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(String(error)).toMatch(/no answer within 300 ms/);
      expect(elapsed).toBeGreaterThanOrEqual(commandTimeoutMs - 5);
      expect(elapsed).toBeLessThan(commandTimeoutMs + 400);
      // A hung request is not retried: the caller has already waited its whole budget.
      expect(fake.requests).toBe(1);
      // The next request is not held up by the hung one.
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("rejects with RedisUnavailableError quickly when nothing listens", async () => {
      const gone = await startFakeUpstash({ redisUrl: url, token: UPSTASH_TOKEN });
      await gone.close();
      const store = storeOn(gone.url, { commandTimeoutMs: 1_000 });
      const started = performance.now();
      const error = await store.ping().then(
        () => null,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(String(error)).toMatch(/ECONNREFUSED/);
      // Refused at once, twice more after short backoffs: well under the timeout.
      expect(performance.now() - started).toBeLessThan(500);
      expect(recorded.warnings).toHaveLength(1);
    });

    it("rejects calls after close without sending them", async () => {
      const store = storeOn(fake.url);
      await store.close();
      await expect(store.ping()).rejects.toThrow(/closed/);
      expect(fake.requests).toBe(0);
    });
  });
});

// These need no Redis at all: they point ioredis at places where no Redis answers.
describe("ioredis store when Redis is unreachable", () => {
  const connectTimeoutMs = 300;
  const commandTimeoutMs = 300;
  const bound = connectTimeoutMs + commandTimeoutMs + 400;
  let store: RedisStore | undefined;

  afterEach(async () => {
    await store?.close();
    store = undefined;
    vi.restoreAllMocks();
  });

  it("rejects ping quickly with an error saying Redis is unreachable, without an unhandled error event", async () => {
    // ioredis reports 'error' events nobody listens to on console.error.
    const consoleError = vi.spyOn(console, "error");
    const { logger, warnings } = recordingLogger();
    store = createIoRedisStore({
      url: "redis://127.0.0.1:1",
      connectTimeoutMs,
      commandTimeoutMs,
      maxReconnectAttempts: 2,
      logger,
    });

    let started = performance.now();
    const error = await store.ping().then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(performance.now() - started).toBeLessThan(bound);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(String(error)).toMatch(/Redis is unreachable at redis:\/\/127\.0\.0\.1:1 \(PING/);
    expect(String(error)).toMatch(/ECONNREFUSED/);

    // While ioredis retries in the background, commands do not queue behind it.
    started = performance.now();
    await expect(store.get("k")).rejects.toThrow(RedisUnavailableError);
    expect(performance.now() - started).toBeLessThan(100);

    expect(warnings).toHaveLength(1);
    const unhandled = consoleError.mock.calls.filter((call) =>
      String(call[0]).includes("Unhandled error event"),
    );
    expect(unhandled).toEqual([]);
  });

  it("rejects within the timeouts when the server accepts but never answers", async () => {
    const silent = await startServer(() => {
      // Accept the connection and never say a word.
    });
    try {
      store = createIoRedisStore({
        url: `redis://127.0.0.1:${silent.port}`,
        connectTimeoutMs,
        commandTimeoutMs,
        maxReconnectAttempts: 0,
        logger: recordingLogger().logger,
      });
      const started = performance.now();
      await expect(store.set("k", "v")).rejects.toThrow(/Redis is unreachable/);
      expect(performance.now() - started).toBeLessThan(bound);
      expect(silent.connections()).toBe(1);
    } finally {
      await store?.close();
      await silent.close();
    }
  });

  it("bounds background reconnects, logs the outage once, and retries on the next command", async () => {
    // Accepts, then resets every connection: each attempt is seen, and each fails.
    const resetting = await startServer((socket) => socket.resetAndDestroy());
    try {
      const { logger, warnings } = recordingLogger();
      const maxReconnectAttempts = 3;
      store = createIoRedisStore({
        url: `redis://127.0.0.1:${resetting.port}`,
        connectTimeoutMs,
        commandTimeoutMs,
        maxReconnectAttempts,
        maxReconnectDelayMs: 20,
        logger,
      });
      await expect(store.ping()).rejects.toThrow(RedisUnavailableError);
      // Fail fast: the next command is refused at once, not held until a reconnect attempt
      // (a queued command would only be settled by the second connection).
      await expect(store.get("k")).rejects.toThrow(/Redis is unreachable/);
      expect(resetting.connections()).toBe(1);

      // The first connect plus the background attempts, then no more.
      for (let i = 0; i < 100 && resetting.connections() < 1 + maxReconnectAttempts; i++) {
        await sleep(20);
      }
      await sleep(300);
      expect(resetting.connections()).toBe(1 + maxReconnectAttempts);
      expect(warnings).toHaveLength(1);

      // Spent attempts do not make the store give up for good: a command tries once more...
      await expect(store.ping()).rejects.toThrow(RedisUnavailableError);
      expect(resetting.connections()).toBe(2 + maxReconnectAttempts);
      // ...but not on every command while that attempt has just failed.
      await expect(store.ping()).rejects.toThrow(/failed moments ago/);
      expect(resetting.connections()).toBe(2 + maxReconnectAttempts);
      expect(warnings).toHaveLength(1);
    } finally {
      await store?.close();
      await resetting.close();
    }
  });
});

describe("createRedisStore", () => {
  it("builds the store the settings name, without connecting", async () => {
    const memory = createRedisStore({ kind: "memory" });
    expect(memory.kind).toBe("memory");
    await memory.close();

    const { logger, warnings } = recordingLogger();
    const ioredis = createRedisStore(
      {
        kind: "ioredis",
        url: "redis://127.0.0.1:1",
        connectTimeoutMs: 100,
        commandTimeoutMs: 100,
        maxReconnectAttempts: 0,
      },
      { logger },
    );
    expect(ioredis.kind).toBe("ioredis");
    await ioredis.close();

    // The shape lib/env.ts gives it (no timeout: the default applies).
    const upstash = createRedisStore(
      { kind: "upstash", url: "http://127.0.0.1:1", token: "token" },
      { logger },
    );
    expect(upstash.kind).toBe("upstash");
    await upstash.close();
    // lazyConnect, and HTTP per command: nothing was dialled, so nothing failed.
    expect(warnings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// Small TCP helpers
// ---------------------------------------------------------------------------------------

interface TestServer {
  port: number;
  connections(): number;
  close(): Promise<void>;
}

async function listen(server: net.Server, sockets: Set<net.Socket>): Promise<number> {
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("server has no port");
  return address.port;
}

async function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function startServer(onConnection: (socket: net.Socket) => void): Promise<TestServer> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count += 1;
    socket.on("error", () => {
      // The client hanging up mid-test is expected.
    });
    onConnection(socket);
  });
  const port = await listen(server, sockets);
  return { port, connections: () => count, close: () => closeServer(server, sockets) };
}

/** A TCP proxy to the real server that can drop every connection and refuse new ones. */
async function startProxy(host: string, port: number) {
  let up = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.on("error", () => {
      // The client hanging up mid-test is expected.
    });
    if (!up) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(port, host);
    sockets.add(upstream);
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on("close", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  const proxyPort = await listen(server, sockets);
  return {
    port: proxyPort,
    cut() {
      up = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      up = true;
    },
    close: () => closeServer(server, sockets),
  };
}
