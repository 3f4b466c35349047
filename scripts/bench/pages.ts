// Pages: what proxy.ts costs a page, and what a session costs a page, as ratios of
// requests per second measured in one run, on production builds behind `npm start`, with
// the real PostgreSQL and redis-server the app uses in production.
//
// 1. "/" with proxy.ts vs the same tree built without it (two builds, two servers).
// 2. On the server with proxy.ts: "/" anonymous vs "/" and "/account" signed in. "/"
//    signed in differs from "/" anonymous only by the session (cookie decode + revocation
//    check) and the header's user menu it shows; "/account" adds its own queries on top.
//    In the same rounds, the anchor's "/" anonymous and signed in: a stock Auth.js app at
//    our versions (scripts/bench/anchor.ts says exactly what it is), so our pages are read
//    beside what the framework alone costs, in the same alternating rounds.
//
// Runs alternate between targets (A B, then B A) so a slow patch of the machine does not
// land on one side only, and every server gets the same warm-up first.
import { join } from "node:path";

import { Redis } from "ioredis";

import { buildAnchor, startAnchor, type Anchor } from "./anchor";
import {
  baseEnv,
  buildEnv,
  prepareBuild,
  prerenderedRoutes,
  randomSecret,
  startServer,
  type AppServer,
  type Env,
  withProxyDir,
} from "./app";
import { check, CookieJar, renderedPerRequest, signIn } from "./browser";
import { mergeRuns, runLoad, type LoadRun, type LoadTarget } from "./load";
import { BENCH_USER, createBenchUser } from "./accounts";
import { freePort } from "./net";
import type { Services } from "./services";
import { distribution, median, ms, ratio, table } from "./stats";

// The bench measures what the global limit's decision costs, so it must never refuse.
const APP_RATE_LIMITS: Env = {
  RATE_LIMIT_GLOBAL: "100000000/60s",
  RATE_LIMIT_SIGN_IN_IP: "100000/5m",
  RATE_LIMIT_SIGN_IN_ACCOUNT: "100000/15m",
  RATE_LIMIT_SIGN_UP_IP: "100000/1h",
};

/**
 * A production server's environment against the run's PostgreSQL and Redis, with limits no
 * load reaches; `name` keeps each server's data directory apart.
 */
export function appEnv(
  run: { services: Services; dataDir: string; secret: string },
  port: number,
  name: string,
): Env {
  return {
    ...baseEnv(),
    AUTH_SECRET: run.secret,
    APP_URL: `http://localhost:${port}`,
    DATABASE_URL: run.services.databaseUrl,
    REDIS_URL: run.services.redisUrl,
    GATEHOUSE_DATA_DIR: join(run.dataDir, name),
    ...APP_RATE_LIMITS,
  };
}

export interface PagesOptions {
  root: string;
  /** Where the two source copies and the anchor go (removed by the caller unless kept). */
  buildsDir: string;
  dataDir: string;
  services: Services;
  connections: number;
  durationMs: number;
  warmUpMs: number;
  rounds: number;
  log: (line: string) => void;
}

export interface PageRow {
  label: string;
  run: LoadRun;
  requestsPerSecond: number;
  /** Each timed run's own figure, to show how much they spread. */
  perRun: number[];
}

/** Throughput of one page as a fraction of another's. */
export interface Comparison {
  /** Median of the rounds' ratios: the two runs of a round are next to each other in time,
   *  so a burst of load from outside the bench skews one round, not the figure. */
  median: number;
  /** Ratio of the total requests per second over every round. */
  ofTotals: number;
  perRound: number[];
}

export interface PagesResult {
  /** "/" with proxy.ts ÷ without. */
  proxy: Comparison | null;
  /** What the server with proxy.ts logged while measured (limiter time-outs above all). */
  withProxyOutput: OutputReport;
  /** "/" signed in ÷ "/" anonymous. */
  signedIn: Comparison | null;
  /** "/account" signed in ÷ "/" anonymous. */
  account: Comparison | null;
  /** Our "/" anonymous ÷ the anchor's "/" anonymous. */
  anchorAnonymous: Comparison | null;
  /** Our "/" signed in ÷ the anchor's "/" signed in. */
  anchorSignedIn: Comparison | null;
  /** The anchor's own "/" signed in ÷ anonymous (for reference). */
  anchorOwn: Comparison | null;
  /** p99 latency of our "/" signed in ÷ our "/" anonymous, over every round. */
  signedInP99: number | null;
  /** False when a page was found prerendered: its ratios then compare unlike things. */
  dynamic: boolean;
}

const perSecond = (run: LoadRun) => (run.requests / run.elapsedMs) * 1_000;

function row(label: string, runs: readonly LoadRun[]): PageRow {
  const run = mergeRuns(runs);
  return { label, run, requestsPerSecond: perSecond(run), perRun: runs.map(perSecond) };
}

function compare(page: PageRow | undefined, base: PageRow | undefined): Comparison | null {
  if (!page || !base) return null;
  const perRound = page.perRun.map((value, round) => value / (base.perRun[round] ?? Number.NaN));
  return {
    median: median(perRound),
    ofTotals: page.requestsPerSecond / base.requestsPerSecond,
    perRound,
  };
}

function printComparison(label: string, comparison: Comparison | null, target: string): void {
  if (!comparison) return;
  const { median, ofTotals, perRound } = comparison;
  console.log(
    `${label}: ${ratio(median)} (target ${target}; median of ${perRound.length} round(s): ` +
      `${perRound.map(ratio).join(" ")}; of the totals: ${ratio(ofTotals)})`,
  );
}

function printRows(rows: readonly PageRow[]): void {
  console.log(
    table(
      ["page", "req/s", "p50", "p99", "KB/answer", "requests", "errors", "req/s of each run"],
      rows.map(({ label, run, requestsPerSecond, perRun }) => {
        const latency = distribution(run.latencies);
        return [
          label,
          requestsPerSecond.toFixed(0),
          ms(latency.p50),
          ms(latency.p99),
          run.requests === 0 ? "n/a" : (run.bytes / run.requests / 1024).toFixed(1),
          String(run.requests),
          String(run.errors),
          perRun.map((value) => value.toFixed(0)).join(" "),
        ];
      }),
    ),
  );
  for (const { label, run } of rows) {
    if (run.unexpected.size > 0) {
      const what = [...run.unexpected].map(([reason, count]) => `${reason} ×${count}`);
      console.log(`  ! ${label}: ${what.join(", ")}`);
    }
  }
}

/** Warm-up for each, then `rounds` timed runs each, the order reversed every other round. */
async function measureGroup(
  targets: readonly LoadTarget[],
  options: PagesOptions,
): Promise<PageRow[]> {
  const load = { connections: options.connections };
  // Long: a fresh server is still getting faster 15 s in (Next loads a route's modules on
  // its first request, V8 keeps optimising); measured from cold it reached its plateau
  // only after 10–16 s of this load, and the first timed run would lose for it.
  for (const target of targets) {
    await runLoad(target, { ...load, durationMs: options.warmUpMs });
  }
  const runs = new Map<LoadTarget, LoadRun[]>(targets.map((target) => [target, []]));
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const result = await runLoad(target, { ...load, durationMs: options.durationMs });
      runs.get(target)?.push(result);
    }
  }
  return targets.map((target) => row(target.label, runs.get(target) ?? []));
}

export interface OutputReport {
  lines: number;
  /** Rate-limit incidents opened (each logged once): decisions that timed out or failed. */
  limiterIncidents: number;
  /** Decisions the failure mode made instead of Redis, as the recoveries counted them. */
  limiterFailedCalls: number;
}

interface LogEntry {
  level?: unknown;
  message?: unknown;
  failedCalls?: unknown;
}

/** One line of lib/logger.ts's JSON output, or null for anything else (a stack trace…). */
function parseLogLine(line: string): LogEntry | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? value : null;
  } catch {
    return null;
  }
}

/**
 * What a server printed while it was measured. Lines at warn or error (a limiter failing
 * open, a database error) mean the figures are not only what they claim, so they are shown,
 * and rate-limit incidents are counted: a decision that failed open costs its timeout
 * instead of a round trip, and the request was not limited at all.
 */
export function reportOutput(server: AppServer, position: number): OutputReport {
  const lines = server
    .outputSince(position)
    .split("\n")
    .filter((line) => line.trim() !== "");
  const report: OutputReport = { lines: lines.length, limiterIncidents: 0, limiterFailedCalls: 0 };
  const notable: string[] = [];
  for (const line of lines) {
    const entry = parseLogLine(line);
    const message = typeof entry?.message === "string" ? entry.message : "";
    if (message.startsWith("Rate limiting is unavailable")) report.limiterIncidents += 1;
    if (message.startsWith("Rate limiting is working again")) {
      report.limiterFailedCalls += typeof entry?.failedCalls === "number" ? entry.failedCalls : 0;
    }
    if (entry?.level !== "debug" && entry?.level !== "info") notable.push(line);
  }
  console.log(
    `  ${server.label} server printed ${lines.length} line(s) during the runs` +
      (notable.length > 0 ? `, ${notable.length} at warn/error or unstructured, e.g.:` : ""),
  );
  for (const line of notable.slice(0, 2)) console.log(`    ${line.slice(0, 400)}`);
  if (report.limiterIncidents > 0) {
    console.log(
      `  ! its rate limiter timed out ${report.limiterIncidents} time(s) and let ` +
        `${report.limiterFailedCalls} request(s) through unchecked (fail open)`,
    );
  }
  return report;
}

export async function benchPages(options: PagesOptions): Promise<PagesResult> {
  const { root, buildsDir, dataDir, services, log } = options;
  const withDir = withProxyDir(buildsDir);
  const withoutDir = join(buildsDir, "without");
  const anchorDir = join(buildsDir, "anchor");

  const env = buildEnv(dataDir);
  // One after the other: two builds at once on two cores only take longer each.
  const withBuild = await prepareBuild({ root, dest: withDir, withoutProxy: false }, env, log);
  const withoutBuild = await prepareBuild({ root, dest: withoutDir, withoutProxy: true }, env, log);
  const anchorBuild = await buildAnchor(root, anchorDir, log);
  const describeBuild = (build: { reused: boolean; seconds: number }) =>
    build.reused ? "reused" : `${build.seconds.toFixed(0)} s`;
  log(
    `builds: with proxy.ts ${describeBuild(withBuild)}, without ${describeBuild(withoutBuild)}, ` +
      `anchor ${describeBuild(anchorBuild)}`,
  );

  await createBenchUser(services.databaseUrl);

  const run = { services, dataDir, secret: randomSecret() };
  const withPort = await freePort();
  const withoutPort = await freePort();
  const withServer = await startServer(
    "with proxy.ts",
    withDir,
    withPort,
    appEnv(run, withPort, "with"),
  );
  const withoutServer = await startServer(
    "without proxy.ts",
    withoutDir,
    withoutPort,
    appEnv(run, withoutPort, "without"),
  );

  let anchor: Anchor | null = null;
  try {
    anchor = await startAnchor(anchorDir, await freePort());
    // Both pages must be rendered per request in both builds, or the comparison would set
    // a render against a file read. Two witnesses: the build's prerender manifest, and the
    // answer itself (Next sends no-store for a dynamic page and marks cached answers).
    let dynamic = true;
    for (const [name, dir] of [
      ["with", withDir],
      ["without", withoutDir],
    ] as const) {
      const prerendered = prerenderedRoutes(dir).filter((route) =>
        ["/", "/account"].includes(route),
      );
      if (prerendered.length > 0) {
        dynamic = false;
        console.log(`  ! the ${name} build prerendered ${prerendered.join(", ")}`);
      }
    }
    const withHome = await check(withServer, "/");
    const withoutHome = await check(withoutServer, "/");
    for (const [label, page] of [
      ["with proxy.ts", withHome],
      ["without proxy.ts", withoutHome],
    ] as const) {
      if (!renderedPerRequest(page)) {
        dynamic = false;
        console.log(
          `  ! "/" ${label}: HTTP ${page.status}, Cache-Control "${page.cacheControl}"` +
            `${page.cached ? ", served from a cache" : ""}`,
        );
      }
    }
    // Proof the proxy ran in one and not in the other (its nonce changes on every request).
    if (!withHome.csp.includes("'nonce-")) {
      throw new Error(`"/" with proxy.ts has no CSP nonce: did proxy.ts run?`);
    }
    if (withoutHome.csp.includes("'nonce-")) {
      throw new Error(`"/" without proxy.ts has a CSP nonce: is proxy.ts really gone?`);
    }

    const cookie = await signIn(withServer, { provider: "password", ...BENCH_USER });
    const signedInHome = await check(withServer, "/", cookie);
    const account = await check(withServer, "/account", cookie);
    if (!signedInHome.body.includes(BENCH_USER.name) || withHome.body.includes(BENCH_USER.name)) {
      throw new Error(`"/" does not show the bench user only when signed in`);
    }
    if (account.status !== 200 || !renderedPerRequest(account)) {
      throw new Error(
        `"/account" signed in: HTTP ${account.status}, Cache-Control "${account.cacheControl}"`,
      );
    }
    console.log(
      `  "/" and "/account" are rendered per request in both builds (not prerendered; ` +
        `Cache-Control: ${withHome.cacheControl}); so is the anchor's "/" ` +
        `(Cache-Control: ${anchor.cacheControl})`,
    );

    const target = (
      server: AppServer,
      label: string,
      path: string,
      signedIn?: { cookie: string },
    ): LoadTarget => ({
      label,
      port: server.port,
      host: new URL(server.url).host,
      path,
      cookies: signedIn ? new CookieJar(signedIn.cookie) : undefined,
      expectStatus: 200,
    });

    const withPosition = withServer.outputPosition();
    const withoutPosition = withoutServer.outputPosition();
    const anchorPosition = anchor.server.outputPosition();

    console.log(`\n"/" anonymous, with vs without proxy.ts`);
    const proxyRows = await measureGroup(
      [
        target(withoutServer, "/ without proxy.ts", "/"),
        target(withServer, "/ with proxy.ts", "/"),
      ],
      options,
    );
    printRows(proxyRows);
    const [without, withProxy] = proxyRows;
    const proxy = compare(withProxy, without);
    printComparison("with ÷ without", proxy, "≥ 0.90");

    // The proxy must have asked Redis: a figure measured with a limiter that never ran
    // would flatter it.
    const redis = new Redis(services.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys("gatehouse:rl:global:*");
      if (keys.length === 0) throw new Error("proxy.ts counted nothing in Redis (global limit)");
    } finally {
      redis.disconnect();
    }

    console.log(`\nsigned in vs anonymous, with proxy.ts, beside the stock Auth.js anchor`);
    const sessionRows = await measureGroup(
      [
        target(withServer, "/ anonymous", "/"),
        target(anchor.server, "anchor / anonymous", "/"),
        target(anchor.server, "anchor / signed in", "/", { cookie: anchor.cookie }),
        target(withServer, "/ signed in", "/", { cookie }),
        target(withServer, "/account signed in", "/account", { cookie }),
      ],
      options,
    );
    printRows(sessionRows);
    const [anonymous, anchorAnonymousRow, anchorSignedInRow, signedInRow, accountRow] = sessionRows;
    const signedIn = compare(signedInRow, anonymous);
    const accountComparison = compare(accountRow, anonymous);
    const anchorAnonymous = compare(anonymous, anchorAnonymousRow);
    const anchorSignedIn = compare(signedInRow, anchorSignedInRow);
    const anchorOwn = compare(anchorSignedInRow, anchorAnonymousRow);
    const signedInP99 =
      signedInRow && anonymous
        ? distribution(signedInRow.run.latencies).p99 / distribution(anonymous.run.latencies).p99
        : null;
    printComparison(`our "/" anonymous ÷ the anchor's anonymous`, anchorAnonymous, "≥ 1.00");
    printComparison(`our "/" signed in ÷ the anchor's signed in`, anchorSignedIn, "≥ 1.00");
    printComparison(
      `the anchor's signed in ÷ its anonymous`,
      anchorOwn,
      "none, for reference: stock Auth.js",
    );
    printComparison(`"/" signed in ÷ anonymous`, signedIn, "≥ 0.85");
    printComparison(`"/account" signed in ÷ "/" anonymous`, accountComparison, "≥ 0.60");
    console.log(
      `"/" p99, signed in ÷ anonymous: ${signedInP99 === null ? "n/a" : ratio(signedInP99)} ` +
        `(target ≤ 1.20; over every round)`,
    );
    console.log("");
    reportOutput(withoutServer, withoutPosition);
    reportOutput(anchor.server, anchorPosition);
    const withProxyOutput = reportOutput(withServer, withPosition);
    console.log(
      `limiter time-outs during the page runs: ${withProxyOutput.limiterIncidents} (target 0)`,
    );
    return {
      proxy,
      withProxyOutput,
      signedIn,
      account: accountComparison,
      anchorAnonymous,
      anchorSignedIn,
      anchorOwn,
      signedInP99,
      dynamic,
    };
  } finally {
    await anchor?.server.stop();
    await withServer.stop();
    await withoutServer.stop();
  }
}
