// Rate-limit decisions: the latency of limiter.limit("global", ip) — the call proxy.ts makes
// on every request — on each backend, in this process, one decision at a time and with
// several in flight (as a busy server has them).
import { performance } from "node:perf_hooks";

import type { RateLimitRule } from "@/lib/env";
import { createLogger } from "@/lib/logger";
import {
  createRateLimitBackend,
  createRateLimiter,
  type RateLimitSettings,
} from "@/lib/rate-limit";
import {
  createIoRedisStore,
  createMemoryStore,
  createUpstashStore,
  type RedisStore,
} from "@/lib/redis";
import { startFakeUpstash } from "@/tests/support/fake-upstash";

import { distribution, ms, table, type Distribution } from "./stats";

export interface LimitsOptions {
  redisUrl: string;
  decisions: number;
  warmUp: number;
  /** How many decisions are in flight at once, one row each. */
  concurrencies: readonly number[];
}

export interface LimitRow {
  backend: string;
  concurrency: number;
  latency: Distribution;
  perSecond: number;
  /** Decisions the failure mode made (backend error or timeout), not the backend. */
  failures: number;
}

// The bench must never hit the limit: a refusal on Redis costs a second round trip (reading the
// key's counters for its Retry-After), and a limit that is used up part-way through would mix
// two kinds of decision in one figure.
const ROOMY: RateLimitRule = { limit: 100_000_000, windowMs: 60_000 };
/** Limits no bench run reaches (the Telegram section uses them too). */
export const ROOMY_LIMITS: RateLimitSettings = {
  global: ROOMY,
  signInIp: ROOMY,
  signInAccount: ROOMY,
  signInDevice: ROOMY,
  signUpIp: ROOMY,
  secondFactorAccount: ROOMY,
  secondFactorIp: ROOMY,
  telegram: ROOMY,
  mailAddress: ROOMY,
  mailIp: ROOMY,
  // Far above the app's default (50 ms), so a slow decision shows as slow instead of being
  // cut off and failed open; `failures` counts any that still were.
  timeoutMs: 1_000,
};
const KEY_PREFIX = "gatehouse:bench:rl";
const UPSTASH_TOKEN = "gatehouse-bench-token";
const KEYS = 1_000;

/** Client addresses from a private range, one per key; decisions cycle through them. */
const addresses = Array.from(
  { length: KEYS },
  (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
);

async function measure(
  store: RedisStore,
  label: string,
  options: LimitsOptions,
): Promise<LimitRow[]> {
  const limiter = createRateLimiter({
    backend: createRateLimitBackend(store),
    now: Date.now,
    logger: createLogger({ level: "warn" }),
    settings: ROOMY_LIMITS,
    keyPrefix: KEY_PREFIX,
  });
  let next = 0;
  let failures = 0;
  const decide = async (samples: number[] | null) => {
    const ip = addresses[next++ % KEYS] ?? "10.0.0.1";
    const start = performance.now();
    const decision = await limiter.limit("global", ip);
    samples?.push(performance.now() - start);
    if (decision.failure !== undefined || !decision.allowed) failures += 1;
  };

  const rows: LimitRow[] = [];
  for (const concurrency of options.concurrencies) {
    const run = async (count: number, samples: number[] | null) => {
      let left = count;
      const worker = async () => {
        while (left > 0) {
          left -= 1;
          await decide(samples);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    };
    // Warm-up: connection, script load (EVALSHA falls back to EVAL once), JIT.
    await run(options.warmUp, null);
    failures = 0;
    const samples: number[] = [];
    const start = performance.now();
    await run(options.decisions, samples);
    const elapsed = performance.now() - start;
    rows.push({
      backend: label,
      concurrency,
      latency: distribution(samples),
      perSecond: (samples.length / elapsed) * 1_000,
      failures,
    });
  }
  return rows;
}

export async function benchLimits(options: LimitsOptions): Promise<LimitRow[]> {
  const rows: LimitRow[] = [];

  const memory = createMemoryStore();
  try {
    rows.push(...(await measure(memory, "in-memory", options)));
  } finally {
    await memory.close();
  }

  const ioredis = createIoRedisStore({
    url: options.redisUrl,
    connectTimeoutMs: 2_000,
    commandTimeoutMs: 1_000,
    maxReconnectAttempts: 3,
  });
  try {
    rows.push(...(await measure(ioredis, "ioredis → redis-server (loopback)", options)));
  } finally {
    await ioredis.close();
  }

  const fake = await startFakeUpstash({ redisUrl: options.redisUrl, token: UPSTASH_TOKEN });
  const upstash = createUpstashStore({
    url: fake.url,
    token: UPSTASH_TOKEN,
    commandTimeoutMs: 1_000,
  });
  try {
    rows.push(...(await measure(upstash, "Upstash REST → local fake¹", options)));
  } finally {
    await upstash.close();
    await fake.close();
  }

  console.log(
    table(
      ["backend", "in flight", "mean", "p50", "p99", "max", "decisions/s", "failures"],
      rows.map((row) => [
        row.backend,
        String(row.concurrency),
        ms(row.latency.mean),
        ms(row.latency.p50),
        ms(row.latency.p99),
        ms(row.latency.max),
        row.perSecond.toFixed(0),
        String(row.failures),
      ]),
    ),
  );
  console.log(
    "¹ tests/support/fake-upstash.ts in this process: each decision is an HTTP request to it\n" +
      "  plus its own hop to redis-server; the real Upstash adds the network to its region.",
  );
  return rows;
}
