// Server: how long one `npm start` process takes to become healthy, and how much memory it
// holds under a steady signed-in load (issue 18). On the build with proxy.ts (the one pages
// and signin use, built once per run), with the run's PostgreSQL and redis-server.
//
// 1. Cold start, `coldStarts` times: spawn `node server.mjs` and poll /api/health every
//    25 ms until it answers 200 (PostgreSQL and Redis reachable): what a deploy or a restart
//    waits before a load balancer sends traffic. Each server is stopped before the next
//    starts. Only the process is cold: the build's files are in the page cache by then.
// 2. RSS: one server, signed in as the bench user, `connections` closed-loop connections on
//    "/" signed in; after `warmUpMs` of that load, the process's VmRSS read from
//    /proc/<pid>/status every second for `durationMs`. server.mjs runs Next in its own
//    process, which the section checks (the server's process group holds that one process),
//    so that process's RSS is the server's.
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

import { BENCH_USER, createBenchUser } from "./accounts";
import { prepareProxyBuild, randomSecret, startServer, type AppServer, type Env } from "./app";
import { check, CookieJar, signIn } from "./browser";
import { runLoad, type LoadRun, type LoadTarget } from "./load";
import { freePort } from "./net";
import { appEnv, reportOutput } from "./pages";
import type { Services } from "./services";
import { distribution, median, ms } from "./stats";

const SAMPLE_EVERY_MS = 1_000;
// Fine enough that the poll adds little to a start of about two seconds.
const COLD_START_POLL_MS = 25;
/** docs/performance.md's target for every start, seconds. */
export const COLD_START_TARGET_S = 3;
const MIB = 1024 * 1024;

export interface ServerOptions {
  root: string;
  /** Where the build with proxy.ts goes; shared with pages and signin (built once). */
  buildsDir: string;
  dataDir: string;
  services: Services;
  coldStarts: number;
  connections: number;
  warmUpMs: number;
  durationMs: number;
  /** The stretch at each end of the measured period compared for drift. */
  driftWindowMs: number;
  log: (line: string) => void;
}

export interface RssResult {
  durationMs: number;
  driftWindowMs: number;
  /** Right after start and sign-in, before any load. */
  idle: number;
  /** When the measured period starts, after the warm-up. */
  start: number;
  min: number;
  median: number;
  max: number;
  /** The farthest sample from the median, as a fraction of it: every sample is within ±band. */
  band: number;
  /** (max − min) ÷ median. */
  spread: number;
  /** Medians of the first and the last driftWindowMs. */
  firstWindow: number;
  lastWindow: number;
  samples: number;
  requestsPerSecond: number;
  errors: number;
}

export interface ServerResult {
  /** Spawn to the first 200 from /api/health, seconds, one per start. */
  coldStarts: number[];
  /** Bytes, except the fractions. */
  rss: RssResult;
}

/** The resident set of process `pid`, bytes (VmRSS, which /proc gives in kB). */
function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kB = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kB === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kB) * 1024;
}

interface Member {
  pid: number;
  command: string;
  rss: number;
}

/** The processes of group `pgid`: a detached child leads its own, with anything it forks. */
function processGroup(pgid: number): Member[] {
  const members: Member[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // "pid (comm) state ppid pgrp …", where comm may hold spaces and parentheses.
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp !== pgid) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      members.push({ pid, command, rss: readRss(pid) });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return members;
}

/** Says what the server's process group holds; warns when its RSS is not all the server's. */
function checkProcessGroup(server: AppServer, when: string): void {
  const members = processGroup(server.pid);
  const main = members.find((member) => member.pid === server.pid);
  const others = members.filter((member) => member.pid !== server.pid);
  if (!main?.command.includes("server.mjs")) {
    throw new Error(`pid ${server.pid} is not node server.mjs: ${main?.command ?? "gone"}`);
  }
  if (others.length === 0) {
    console.log(
      `  ${when}: the server's process group is pid ${server.pid} alone (${main.command})`,
    );
    return;
  }
  console.log(
    `  ! ${when}: the server's process group holds ${others.length} more process(es), ` +
      `whose memory the figures leave out:`,
  );
  for (const other of others) {
    console.log(`    pid ${other.pid}, ${mib(other.rss)}: ${other.command.slice(0, 200)}`);
  }
}

/** Reads `pid`'s RSS now and then every SAMPLE_EVERY_MS until stopped. */
function sampleRss(pid: number): { stop: () => { atMs: number; rss: number }[] } {
  const started = performance.now();
  const samples: { atMs: number; rss: number }[] = [];
  let failure: unknown = null;
  const sample = () => {
    try {
      samples.push({ atMs: performance.now() - started, rss: readRss(pid) });
    } catch (error) {
      failure = error;
      clearInterval(timer);
    }
  };
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  sample();
  return {
    stop: () => {
      clearInterval(timer);
      if (failure !== null) throw new Error(`could not read the server's RSS`, { cause: failure });
      return samples;
    },
  };
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;
const percent = (fraction: number) => `${(100 * fraction).toFixed(1)} %`;
const signedPercent = (fraction: number) => `${fraction >= 0 ? "+" : ""}${percent(fraction)}`;

/** "5 min", "20 s": how the plan's durations read in a label. */
export function duration(milliseconds: number): string {
  return milliseconds >= 60_000 && milliseconds % 60_000 === 0
    ? `${milliseconds / 60_000} min`
    : `${milliseconds / 1_000} s`;
}

async function coldStarts(
  dir: string,
  count: number,
  env: (port: number, name: string) => Env,
): Promise<number[]> {
  const seconds: number[] = [];
  for (let run = 1; run <= count; run++) {
    const port = await freePort();
    const server = await startServer(`cold start ${run}`, dir, port, env(port, `cold-${run}`), {
      readyStatus: 200,
      pollMs: COLD_START_POLL_MS,
    });
    seconds.push(server.readyMs / 1_000);
    // A slow start's log says whether a dependency answered late (health check warnings);
    // a start in time only logs Next's start-up lines.
    if (server.readyMs > COLD_START_TARGET_S * 1_000) reportOutput(server, 0);
    await server.stop();
  }
  return seconds;
}

function describeRun(run: LoadRun): string {
  const latency = distribution(run.latencies);
  const perSecond = (run.requests / run.elapsedMs) * 1_000;
  const unexpected = [...run.unexpected].map(([what, count]) => `${what} ×${count}`);
  return (
    `${run.requests} requests, ${perSecond.toFixed(0)} req/s, p50 ${ms(latency.p50)}, ` +
    `p99 ${ms(latency.p99)}, ${run.errors} error(s)` +
    (unexpected.length > 0 ? ` (${unexpected.join(", ")})` : "")
  );
}

async function measureRss(
  server: AppServer,
  cookie: string,
  options: ServerOptions,
): Promise<RssResult> {
  const { connections, warmUpMs, durationMs, driftWindowMs } = options;
  const target: LoadTarget = {
    label: `"/" signed in`,
    port: server.port,
    host: new URL(server.url).host,
    path: "/",
    cookies: new CookieJar(cookie),
    expectStatus: 200,
  };
  const idle = readRss(server.pid);
  console.log(`  RSS after start and sign-in, idle: ${mib(idle)}`);
  const position = server.outputPosition();
  const warmUp = await runLoad(target, { connections, durationMs: warmUpMs });
  console.log(`  warm-up, ${duration(warmUpMs)}: ${describeRun(warmUp)}`);
  checkProcessGroup(server, "after the warm-up");

  const sampler = sampleRss(server.pid);
  const run = await runLoad(target, { connections, durationMs });
  const samples = sampler.stop();
  console.log(`  measured, ${duration(durationMs)}: ${describeRun(run)}`);
  checkProcessGroup(server, "at the end");

  const values = samples.map((sample) => sample.rss);
  const middle = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const window = (from: number, to: number) =>
    median(samples.filter((s) => s.atMs >= from && s.atMs < to).map((s) => s.rss));
  const result: RssResult = {
    durationMs,
    driftWindowMs,
    idle,
    start: samples[0]?.rss ?? Number.NaN,
    min,
    median: middle,
    max,
    band: Math.max(max - middle, middle - min) / middle,
    spread: (max - min) / middle,
    firstWindow: window(0, driftWindowMs),
    // Up to the end of the run: the last sample can come a little after durationMs.
    lastWindow: window(durationMs - driftWindowMs, Number.POSITIVE_INFINITY),
    samples: samples.length,
    requestsPerSecond: (run.requests / run.elapsedMs) * 1_000,
    errors: run.errors,
  };

  // The shape over time, so that a plateau, a slow climb and a sawtooth look different.
  const tenths = Array.from({ length: 10 }, (_, tenth) =>
    window(
      (tenth * durationMs) / 10,
      tenth === 9 ? Number.POSITIVE_INFINITY : ((tenth + 1) * durationMs) / 10,
    ),
  );
  console.log(
    `  RSS ${mib(result.start)} at the start (after the warm-up); over the ` +
      `${result.samples} samples: min ${mib(min)}, median ${mib(middle)}, max ${mib(max)}`,
  );
  console.log(
    `  within ±${percent(result.band)} of the median (target ±10 %); ` +
      `(max − min) ÷ median ${percent(result.spread)}`,
  );
  console.log(
    `  drift: median of the first ${duration(driftWindowMs)} ${mib(result.firstWindow)} → ` +
      `of the last ${duration(driftWindowMs)} ${mib(result.lastWindow)} ` +
      `(${signedPercent(result.lastWindow / result.firstWindow - 1)})`,
  );
  console.log(
    `  median RSS of each tenth of the run, MiB: ` +
      tenths.map((value) => (value / MIB).toFixed(0)).join(" "),
  );
  reportOutput(server, position);
  return result;
}

export async function benchServer(options: ServerOptions): Promise<ServerResult> {
  const { root, buildsDir, dataDir, services, log } = options;
  const dir = await prepareProxyBuild({ root, buildsDir, dataDir, log });
  await createBenchUser(services.databaseUrl);

  const run = { services, dataDir, secret: randomSecret() };
  const env = (port: number, name: string) => appEnv(run, port, `server-${name}`);

  console.log(
    `\ncold start: spawn → first 200 from /api/health (polled every ${COLD_START_POLL_MS} ms), ` +
      `${options.coldStarts} start(s)`,
  );
  const starts = await coldStarts(dir, options.coldStarts, env);
  console.log(
    `  ${starts.map((value) => value.toFixed(2)).join(" ")} s; ` +
      `min ${Math.min(...starts).toFixed(2)}, median ${median(starts).toFixed(2)}, ` +
      `max ${Math.max(...starts).toFixed(2)} s ` +
      `(target ≤ ${COLD_START_TARGET_S} s for every start: the max)`,
  );

  console.log(
    `\nRSS of the server process under "/" signed in, ${options.connections} connections: ` +
      `${duration(options.warmUpMs)} warm-up, then ${duration(options.durationMs)} measured, ` +
      `sampled every ${SAMPLE_EVERY_MS / 1_000} s`,
  );
  const port = await freePort();
  const server = await startServer("RSS load", dir, port, env(port, "rss"));
  try {
    const cookie = await signIn(server, { provider: "password", ...BENCH_USER });
    const home = await check(server, "/", cookie);
    if (home.status !== 200 || !home.body.includes(BENCH_USER.name)) {
      throw new Error(`"/" with the bench user's cookie: HTTP ${home.status}, not signed in`);
    }
    const rss = await measureRss(server, cookie, options);
    return { coldStarts: starts, rss };
  } finally {
    await server.stop();
  }
}
