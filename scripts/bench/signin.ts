// Sign-in under load: with Redis healthy, does a correct password get in
// while the server is busy, and does the global limit hold? On the production build with
// proxy.ts behind `npm start`, with the real PostgreSQL and redis-server and the production
// defaults for everything the question is about: RATE_LIMIT_TIMEOUT_MS (50 ms) and the
// sign-in limits (20/5m per address, 100/15m per account).
//
// 0. Right after the server has started (as after a deploy), 40 correct sign-ins at once from
//    40 addresses: the first requests load the routes' modules, which holds the loop.
// 1. A warm-up (load and a few sign-ins, not counted), then for `durationMs`:
//    - 10 + 10 closed-loop connections on "/" and "/sign-in", each request from a new client
//      address (TRUSTED_PROXIES=127.0.0.1 + X-Forwarded-For, through server.mjs), so no
//      per-address limit ever refuses the load;
//    - a correct-password sign-in every second (GET /api/auth/csrf, then the direct POST to
//      /api/auth/callback/password, as a script or the bench's own signIn does), each from an
//      address of its own, cycling through `accounts` accounts: how many get in, how many
//      are refused 503 "try again shortly" (a sign-in limit failed closed);
//    - one client address sending twice the global limit's rate (the default 300/60s, so 10
//      requests/s: light next to the load): how many requests Redis let through in each
//      window against the limit, and how many answers were 200 without Redis counting them
//      (decisions that failed open). Redis's per-window counter is exact; the client cannot
//      tell which window the server decided a request in;
//    - halfway through, 40 people signing in at once from 40 addresses (each: the sign-in
//      page, the CSRF token, the POST).
// 2. After the load, the same burst of 40 on the quiet server.
// Over the whole section: the server's "Rate limiting is unavailable" warnings (and the
// throttle's). Redis never goes down here; but on a small machine it shares its cores with
// the app, PostgreSQL, the load generator and whatever else runs, and can itself be slow to
// answer — which is what the timeout is for. Each warning's reason says how late the
// deadline's last timer fired: on time (within lateTimerMs) means our loop was turning when
// it decided and the answer had not come (ioredis sends at once, so Redis had the whole
// wait); late means it was decided at the 4 × bound with our loop still blocked, the kind of
// false alarm this section is about. `redis-cli --latency-history` watches Redis from outside
// meanwhile, for the record.
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

import { Redis } from "ioredis";

import { hashKey } from "@/lib/rate-limit";
import { lateTimerMs } from "@/lib/timeout";

import { killGroup, onCleanup, trackChild } from "./cleanup";
import {
  baseEnv,
  prepareProxyBuild,
  randomSecret,
  startServer,
  type AppServer,
  type Env,
} from "./app";
import { runLoad, type LoadRun, type LoadTarget } from "./load";
import { createBenchAccount, withBenchDatabase } from "./accounts";
import { freePort } from "./net";
import type { Services } from "./services";
import { distribution, ms, table } from "./stats";

const PASSWORD = "a long bench password 5150";
// The default global limit (lib/env.ts); the server runs with it.
const GLOBAL_LIMIT = 300;
const GLOBAL_WINDOW_MS = 60_000;
const BURST = 40;
/** The one address the global-limit probe speaks from (TEST-NET-2, never a load address). */
const PROBE_ADDRESS = "198.51.100.7";
const OUTAGE_WARNING = "Rate limiting is unavailable";
/** RATE_LIMIT_TIMEOUT_MS's default, which the server runs with. */
const DEFAULT_TIMEOUT_MS = 50;
const THROTTLE_WARNING = "The sign-in throttle cannot reach Redis";

export interface SignInLoadOptions {
  root: string;
  /** Where the build with proxy.ts goes; shared with the pages section (built once). */
  buildsDir: string;
  dataDir: string;
  services: Services;
  /** Connections on "/" and on "/sign-in" each. */
  connections: number;
  warmUpMs: number;
  durationMs: number;
  accounts: number;
  log: (line: string) => void;
}

export interface BurstResult {
  total: number;
  succeeded: number;
  status503: number;
  other: Map<string, number>;
  latency: ReturnType<typeof distribution>;
}

export interface SignInLoadResult {
  /** Correct sign-ins at 1/s during the load. */
  steady: BurstResult;
  /** 40 at once on the freshly started server. */
  burstCold: BurstResult;
  burstUnderLoad: BurstResult;
  burstQuiet: BurstResult;
  /** Requests/s the load got through, per page. */
  load: { label: string; perSecond: number; errors: number }[];
  /** "Rate limiting is unavailable" lines over the whole section. */
  outageWarnings: number;
  /** Those decided with our loop turning (the last timer on time): Redis was slow. Null when
   *  the reason does not say (an older limiter). */
  outageWarningsLoopResponsive: number | null;
  /** Redis seen from outside meanwhile (null without redis-cli). */
  redisLatency: RedisLatency | null;
  throttleWarnings: number;
  /** Decisions made by a failure mode instead of Redis, as the recoveries counted them. */
  failedDecisions: number;
  overshoot: OvershootResult;
}

export interface OvershootResult {
  limit: number;
  windowMs: number;
  /** Redis's counter of allowed requests for each window the probe touched; the first and
   *  last are partial (the probe started or stopped during them). */
  countedByRedis: number[];
  /** 200s the probe got in all, minus what Redis counted: let through unchecked. */
  uncounted: number;
  sent: number;
  answered200: number;
  answered429: number;
  /** Answers that were neither. */
  otherAnswers: number;
}

// ---------------------------------------------------------------------------------------
// Addresses: every request of the load and every sign-in from its own.

function addressCounter(first: number): () => string {
  let next = first;
  return () => {
    const n = next++;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  };
}

// ---------------------------------------------------------------------------------------
// Accounts

const emailFor = (index: number) => `signin-bench-${index}@example.com`;

function createAccounts(databaseUrl: string, count: number): Promise<void> {
  return withBenchDatabase(databaseUrl, async (prisma) => {
    for (let index = 0; index < count; index++) {
      await createBenchAccount(prisma, {
        email: emailFor(index),
        name: `Sign-in Bench ${index}`,
        password: PASSWORD,
      });
    }
  });
}

// ---------------------------------------------------------------------------------------
// Sign-ins

interface Outcome {
  /** "ok", "503", "429", or what else happened. */
  kind: string;
  ms: number;
}

function cookiePairs(response: Response): string[] {
  return response.headers.getSetCookie().map((line) => line.split(";")[0] ?? "");
}

/** GET /api/auth/csrf from `ip`; returns the POST that signs `email` in, ready to send. */
async function prepareSignIn(
  server: AppServer,
  ip: string,
  email: string,
): Promise<() => Promise<Outcome>> {
  const csrf = await fetch(`${server.url}/api/auth/csrf`, { headers: { "x-forwarded-for": ip } });
  if (csrf.status !== 200) {
    await csrf.body?.cancel();
    const kind = `csrf HTTP ${csrf.status}`;
    return () => Promise.resolve({ kind, ms: 0 });
  }
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookie = cookiePairs(csrf).join("; ");
  return async () => {
    const started = performance.now();
    try {
      const response = await fetch(`${server.url}/api/auth/callback/password`, {
        method: "POST",
        redirect: "manual",
        headers: {
          cookie,
          "content-type": "application/x-www-form-urlencoded",
          "x-forwarded-for": ip,
        },
        body: new URLSearchParams({
          email,
          password: PASSWORD,
          csrfToken,
          callbackUrl: `${server.url}/`,
        }),
      });
      await response.body?.cancel();
      const elapsed = performance.now() - started;
      const location = response.headers.get("location") ?? "";
      const session = cookiePairs(response).some((pair) => pair.includes("session-token="));
      if (response.status === 302 && !location.includes("error=") && session) {
        return { kind: "ok", ms: elapsed };
      }
      if (response.status === 503 || response.status === 429) {
        return { kind: String(response.status), ms: elapsed };
      }
      const error = /error=([^&]+)/.exec(location)?.[1];
      return { kind: `HTTP ${response.status}${error ? ` ${error}` : ""}`, ms: elapsed };
    } catch (error) {
      return {
        kind: error instanceof Error ? error.message : String(error),
        ms: performance.now() - started,
      };
    }
  };
}

function summarize(outcomes: readonly Outcome[]): BurstResult {
  const other = new Map<string, number>();
  let succeeded = 0;
  let status503 = 0;
  for (const { kind } of outcomes) {
    if (kind === "ok") succeeded += 1;
    else if (kind === "503") status503 += 1;
    else other.set(kind, (other.get(kind) ?? 0) + 1);
  }
  return {
    total: outcomes.length,
    succeeded,
    status503,
    other,
    latency: distribution(outcomes.map((outcome) => outcome.ms)),
  };
}

/**
 * `BURST` people signing in at once, each from an address of their own, as browsers do it:
 * the sign-in page, the CSRF token, then the POST — all 40 started together, so the pages
 * render while the first POSTs wait for their limits (what holds the loop in a real burst).
 */
async function burst(
  server: AppServer,
  nextAddress: () => string,
  accounts: number,
): Promise<BurstResult> {
  const signIn = async (i: number): Promise<Outcome> => {
    const ip = nextAddress();
    const page = await fetch(`${server.url}/sign-in`, {
      headers: { accept: "text/html", "x-forwarded-for": ip },
    });
    await page.text();
    if (page.status !== 200) return { kind: `sign-in page HTTP ${page.status}`, ms: 0 };
    return (await prepareSignIn(server, ip, emailFor(i % accounts)))();
  };
  return summarize(await Promise.all(Array.from({ length: BURST }, (_, i) => signIn(i))));
}

/** One sign-in a second until `until` (performance.now()); each from a new address. */
async function steadySignIns(
  server: AppServer,
  nextAddress: () => string,
  accounts: number,
  until: number,
): Promise<Outcome[]> {
  const pending: Promise<Outcome>[] = [];
  let index = 0;
  const start = performance.now();
  while (performance.now() < until) {
    const email = emailFor(index % accounts);
    const ip = nextAddress();
    pending.push(prepareSignIn(server, ip, email).then((post) => post()));
    index += 1;
    // On a fixed schedule, not a second after the previous answer: a slow answer must not
    // thin out the sign-ins it is slow under.
    const wait = start + index * 1_000 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return Promise.all(pending);
}

// ---------------------------------------------------------------------------------------
// The global limit's overshoot

interface ProbeAnswer {
  sentAt: number;
  doneAt: number;
  status: number;
}

/**
 * Open loop from one address at twice the limit's rate until `until` (Date.now()), to a
 * cheap route the global limit covers. Every window's Redis counter is read just after the
 * window ends (its key expires two windows later).
 */
async function probeGlobalLimit(
  server: AppServer,
  redisUrl: string,
  until: number,
): Promise<OvershootResult> {
  const perSecond = (2 * GLOBAL_LIMIT * 1_000) / GLOBAL_WINDOW_MS;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const keyOf = (window: number) => `gatehouse:rl:global:${hashKey(PROBE_ADDRESS)}:${window}`;
  const counted = new Map<number, number>();
  const reads: Promise<void>[] = [];
  const answers: ProbeAnswer[] = [];
  const inFlight = new Set<Promise<void>>();
  let sent = 0;

  const send = () => {
    const sentAt = Date.now();
    sent += 1;
    const done = new Promise<void>((resolve) => {
      const outgoing = request(
        {
          agent,
          host: "127.0.0.1",
          port: server.port,
          path: "/api/auth/csrf",
          headers: { host: new URL(server.url).host, "x-forwarded-for": PROBE_ADDRESS },
        },
        (response) => {
          response.resume();
          response.once("end", () => {
            answers.push({ sentAt, doneAt: Date.now(), status: response.statusCode ?? 0 });
            resolve();
          });
        },
      );
      outgoing.once("error", () => {
        answers.push({ sentAt, doneAt: Date.now(), status: 0 });
        resolve();
      });
      outgoing.end();
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };

  const windowAt = (at: number) => Math.floor(at / GLOBAL_WINDOW_MS);
  const read = (window: number) =>
    reads.push(
      redis.get(keyOf(window)).then((value) => {
        counted.set(window, Number(value ?? 0));
      }),
    );
  const firstTouched = windowAt(Date.now());
  let lastRead = firstTouched - 1;
  const start = performance.now();
  for (let n = 0; Date.now() < until; n++) {
    send();
    // Each window's counter once it has been over for half a second (late answers).
    const finished = windowAt(Date.now() - 500) - 1;
    while (lastRead < finished) read(++lastRead);
    const wait = start + ((n + 1) * 1_000) / perSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(inFlight);
  // The windows still open are read now, for the total.
  while (lastRead < windowAt(Date.now())) read(++lastRead);
  await Promise.all(reads);
  agent.destroy();
  redis.disconnect();

  const ok = answers.filter((answer) => answer.status === 200).length;
  const refused = answers.filter((answer) => answer.status === 429).length;
  const countedByRedis = [...counted.entries()].sort(([a], [b]) => a - b).map(([, value]) => value);
  const countedAll = countedByRedis.reduce((sum, value) => sum + value, 0);
  return {
    limit: GLOBAL_LIMIT,
    windowMs: GLOBAL_WINDOW_MS,
    countedByRedis,
    uncounted: ok - countedAll,
    sent,
    answered200: ok,
    answered429: refused,
    otherAnswers: answers.length - ok - refused,
  };
}

// ---------------------------------------------------------------------------------------
// The server's warnings

function watchWarnings(server: AppServer) {
  const lateMs = lateTimerMs(DEFAULT_TIMEOUT_MS);
  const counts = {
    outage: 0,
    loopResponsive: 0 as number | null,
    throttle: 0,
    failedDecisions: 0,
    examples: [] as string[],
  };
  let carry = "";
  const stop = server.onOutput((chunk) => {
    const lines = (carry + chunk).split("\n");
    carry = lines.pop() ?? "";
    for (const line of lines) {
      if (line.includes(OUTAGE_WARNING)) {
        counts.outage += 1;
        const late = /the last timer fired (\d+) ms late/.exec(line)?.[1];
        if (late === undefined) counts.loopResponsive = null;
        else if (counts.loopResponsive !== null && Number(late) <= lateMs) {
          counts.loopResponsive += 1;
        }
      }
      if (line.includes(THROTTLE_WARNING)) counts.throttle += 1;
      if (line.includes(OUTAGE_WARNING) || line.includes(THROTTLE_WARNING)) {
        if (counts.examples.length < 2) counts.examples.push(line.slice(0, 400));
      }
      if (line.includes("Rate limiting is working again")) {
        const failed = /"failedCalls":(\d+)/.exec(line)?.[1];
        counts.failedDecisions += Number(failed ?? 0);
      }
    }
  });
  return { counts, stop };
}

// ---------------------------------------------------------------------------------------
// Redis from outside: redis-cli --latency-history

export interface RedisLatency {
  /** The longest round trip redis-cli saw, ms (whole milliseconds). */
  maxMs: number;
  /** Seconds in which some round trip took over 50 ms. */
  slowSeconds: number;
}

/**
 * redis-cli pings Redis continuously (every 10 ms) and, without a terminal, prints a line
 * "min max avg samples" per sample, restarting its statistics every second.
 */
function watchRedisLatency(redisUrl: string): { stop: () => Promise<RedisLatency | null> } {
  const child = spawn("redis-cli", ["-u", redisUrl, "--latency-history", "-i", "1"], {
    stdio: ["ignore", "pipe", "ignore"],
    detached: true,
  });
  trackChild(child);
  const dropCleanup = onCleanup("stop redis-cli", () => killGroup(child, "SIGKILL"));
  let available = true;
  child.once("error", () => (available = false));
  const latency: RedisLatency = { maxMs: 0, slowSeconds: 0 };
  let carry = "";
  let previousSamples = 0;
  let intervalMax = 0;
  const closeInterval = () => {
    if (intervalMax > 50) latency.slowSeconds += 1;
    latency.maxMs = Math.max(latency.maxMs, intervalMax);
    intervalMax = 0;
  };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (carry + chunk).split("\n");
    carry = lines.pop() ?? "";
    for (const line of lines) {
      const [, max, , samples] = line.trim().split(/\s+/).map(Number);
      if (max === undefined || samples === undefined || !Number.isFinite(samples)) continue;
      if (samples < previousSamples) closeInterval();
      previousSamples = samples;
      intervalMax = Math.max(intervalMax, max);
    }
  });
  return {
    stop: async () => {
      killGroup(child, "SIGTERM");
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise((resolve) => child.once("exit", resolve));
      }
      dropCleanup();
      closeInterval();
      return available ? latency : null;
    },
  };
}

// ---------------------------------------------------------------------------------------

function describeOutcome(result: BurstResult): string {
  const other = [...result.other].map(([kind, count]) => `${kind} ×${count}`).join(", ");
  return (
    `${result.succeeded}/${result.total} signed in, ${result.status503} × 503` +
    (other === "" ? "" : `, other: ${other}`) +
    `; p50 ${ms(result.latency.p50)}, p99 ${ms(result.latency.p99)}`
  );
}

export async function benchSignInLoad(options: SignInLoadOptions): Promise<SignInLoadResult> {
  const { root, buildsDir, dataDir, services, connections, log } = options;
  const dir = await prepareProxyBuild({ root, buildsDir, dataDir, log });
  await createAccounts(services.databaseUrl, options.accounts);

  const port = await freePort();
  const server = await startServer("sign-in load", dir, port, {
    ...baseEnv(),
    AUTH_SECRET: randomSecret(),
    APP_URL: `http://localhost:${port}`,
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    GATEHOUSE_DATA_DIR: join(dataDir, "signin"),
    TRUSTED_PROXIES: "127.0.0.1",
    // RATE_LIMIT_TIMEOUT_MS and every limit: production defaults, on purpose.
  } satisfies Env);
  // From the start: a false alarm while the server warms up is one too.
  const warnings = watchWarnings(server);
  const redisWatch = watchRedisLatency(services.redisUrl);

  try {
    const loadAddress = addressCounter(1);
    const signInAddress = addressCounter(1 << 22);
    const target = (label: string, path: string): LoadTarget => ({
      label,
      port: server.port,
      host: new URL(server.url).host,
      path,
      headers: () => ({ "x-forwarded-for": loadAddress() }),
      expectStatus: 200,
    });
    // First, the freshly started server: nothing but the start-up checks has run on it.
    const burstCold = await burst(server, signInAddress, options.accounts);

    const home = target(`"/"`, "/");
    const signInPage = target(`"/sign-in"`, "/sign-in");
    const load = (durationMs: number) =>
      Promise.all([
        runLoad(home, { connections, durationMs }),
        runLoad(signInPage, { connections, durationMs }),
      ]);

    // Warm-up: every route the measurement uses has been loaded and run.
    const warmUpUntil = performance.now() + options.warmUpMs;
    await Promise.all([
      load(options.warmUpMs),
      steadySignIns(server, signInAddress, options.accounts, warmUpUntil),
    ]);

    console.log(
      `  ${connections} + ${connections} connections on "/" and "/sign-in" for ` +
        `${options.durationMs / 1_000} s (after ${options.warmUpMs / 1_000} s warm-up), with a ` +
        `correct sign-in every second, ${BURST} at once halfway, and one address at 2× the ` +
        `global limit (${GLOBAL_LIMIT} per ${GLOBAL_WINDOW_MS / 1_000} s)`,
    );
    const until = performance.now() + options.durationMs;
    const [runs, steady, burstUnderLoad, overshoot] = await Promise.all([
      load(options.durationMs),
      steadySignIns(server, signInAddress, options.accounts, until),
      new Promise((resolve) => setTimeout(resolve, options.durationMs / 2)).then(() =>
        burst(server, signInAddress, options.accounts),
      ),
      probeGlobalLimit(server, services.redisUrl, Date.now() + options.durationMs),
    ]);
    // The quiet server, a moment after the load.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const burstQuiet = await burst(server, signInAddress, options.accounts);
    // Late lines (a recovery) have a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    warnings.stop();
    const redisLatency = await redisWatch.stop();

    const loadRows = runs.map((run: LoadRun, i) => ({
      label: i === 0 ? `"/"` : `"/sign-in"`,
      perSecond: (run.requests / run.elapsedMs) * 1_000,
      errors: run.errors,
      p99: distribution(run.latencies).p99,
    }));
    console.log(
      table(
        ["load", "req/s", "p99", "errors"],
        loadRows.map((row) => [
          row.label,
          row.perSecond.toFixed(0),
          ms(row.p99),
          String(row.errors),
        ]),
      ),
    );
    const steadyResult = summarize(steady);
    console.log(`  ${BURST} at once, freshly started server: ${describeOutcome(burstCold)}`);
    console.log(`  sign-ins at 1/s under load: ${describeOutcome(steadyResult)}`);
    console.log(`  ${BURST} at once under load: ${describeOutcome(burstUnderLoad)}`);
    console.log(`  ${BURST} at once, quiet server: ${describeOutcome(burstQuiet)}`);
    console.log(
      `  global limit (${GLOBAL_LIMIT} per ${GLOBAL_WINDOW_MS / 1_000} s), one address at 2×: ` +
        `${overshoot.sent} requests, ${overshoot.answered200} × 200, ` +
        `${overshoot.answered429} × 429, ${overshoot.otherAnswers} other; let through per ` +
        `window by Redis (first and last partial): ${overshoot.countedByRedis.join(" ")}; ` +
        `${overshoot.uncounted} × 200 that Redis did not count (failed open)`,
    );
    console.log(
      `  server warnings over the section: "${OUTAGE_WARNING}" ×${warnings.counts.outage}, ` +
        `throttle ×${warnings.counts.throttle}; decisions by a failure mode: ` +
        `${warnings.counts.failedDecisions}`,
    );
    for (const example of warnings.counts.examples) console.log(`    ${example}`);
    const { outage, loopResponsive } = warnings.counts;
    if (outage > 0) {
      console.log(
        loopResponsive === null
          ? `  (the warnings do not say how late their timer fired: a limiter older than the loop-aware timeout)`
          : `  of the ${outage} warning(s), ${loopResponsive} decided with our event loop ` +
              `turning (Redis slow), ${outage - loopResponsive} at the bound with it blocked`,
      );
    }
    if (redisLatency) {
      console.log(
        `  Redis seen by redis-cli meanwhile: longest round trip ${redisLatency.maxMs} ms; ` +
          `${redisLatency.slowSeconds} second(s) with one over 50 ms`,
      );
    } else {
      console.log(`  (no redis-cli: Redis's own latency was not watched)`);
    }

    return {
      steady: steadyResult,
      burstCold,
      burstUnderLoad,
      burstQuiet,
      load: loadRows,
      outageWarnings: warnings.counts.outage,
      outageWarningsLoopResponsive: warnings.counts.loopResponsive,
      redisLatency,
      throttleWarnings: warnings.counts.throttle,
      failedDecisions: warnings.counts.failedDecisions,
      overshoot,
    };
  } finally {
    warnings.stop();
    await redisWatch.stop();
    await server.stop();
  }
}
