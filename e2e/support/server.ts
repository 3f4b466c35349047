// Runs the real production build (`next build` + `next start`) for end-to-end tests.
//
// - The app is built at most once for a given source tree: a fingerprint of every source
//   file is stored next to the build, so the second e2e file of a run (and a re-run with no
//   source change) starts at once. Vitest gives each test file a fresh module graph, which
//   is why a module-level promise alone would not be enough.
// - Each server gets its own port, its own env and its own data, so backends never share
//   state. Its stdout/stderr is kept in memory for assertions and printed when a test fails.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach } from "vitest";

import { createPostgresDatabase } from "@/tests/support/databases";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** Next's command line, for `node <nextBin> build|dev`. */
export const nextBin = join(root, "node_modules", "next", "dist", "bin", "next");
const buildDir = join(root, ".next");
const buildMarker = join(buildDir, "gatehouse-e2e-build.json");

// Generous: a cold `next build` on the 2-core CI machine takes a few minutes.
const BUILD_TIMEOUT_MS = 8 * 60_000;
const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 5_000;

/** Environment variables for a child process (only strings: no `undefined` holes). */
export type ServerEnv = Record<string, string>;

// Only what a Node process needs to run. Everything else in the test runner's environment
// (NODE_ENV=test, VITEST*, TEST_DATABASE_URL, a developer's DATABASE_URL, …) would change
// what the app under test does.
const inheritedVariables = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "SYSTEMROOT"];

// Backend variables a developer's `.env` file might set. Next loads `.env*` files only for
// variables missing from the process environment, and lib/env.ts reads "" as "not set", so
// passing them empty keeps a local `.env` from pointing e2e servers at a real database.
export const blankedBackendVariables: ServerEnv = {
  DATABASE_URL: "",
  REDIS_URL: "",
  UPSTASH_REDIS_REST_URL: "",
  UPSTASH_REDIS_REST_TOKEN: "",
};

const generousRateLimits: ServerEnv = {
  RATE_LIMIT_GLOBAL: "100000/60s",
  RATE_LIMIT_SIGN_IN_IP: "10000/5m",
  RATE_LIMIT_SIGN_IN_ACCOUNT: "10000/15m",
  RATE_LIMIT_SIGN_UP_IP: "10000/1h",
  // Every sign-up sends a mail: suites make many accounts from one address (loopback).
  RATE_LIMIT_MAIL_IP: "10000/15m",
  RATE_LIMIT_MAIL_ADDRESS: "10000/15m",
  // A busy 2-core CI machine can take longer than the 50 ms default to answer, which would
  // refuse sign-ins at random ("try again shortly"); speed is measured by `npm run bench`.
  RATE_LIMIT_TIMEOUT_MS: "1000",
};

export function baseEnv(): ServerEnv {
  const env: ServerEnv = {};
  for (const name of inheritedVariables) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, NEXT_TELEMETRY_DISABLED: "1" };
}

function randomSecret(): string {
  return randomBytes(32).toString("base64");
}

// ---------------------------------------------------------------------------------------
// Build

/**
 * Hash of every file that can change the build: tracked and untracked-but-not-ignored
 * files, minus tests, CI scripts and Markdown. Content, not mtime, so a checkout or `touch`
 * that changes nothing does not force a rebuild.
 */
function sourceFingerprint(): string {
  const listing = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const files = [...new Set(listing.split("\0"))]
    .filter((file) => file !== "" && !/^(e2e|tests|test-results|\.ci)\/|\.md$/.test(file))
    .sort();
  const hash = createHash("sha256");
  for (const file of files) {
    const path = join(root, file);
    // `--cached` still lists a tracked file deleted in the work tree; it no longer exists.
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) continue;
    hash.update(file).update("\0").update(readFileSync(path)).update("\0");
  }
  return hash.digest("hex");
}

interface BuildMarker {
  fingerprint: string;
  buildId: string;
}

function readBuildId(): string | null {
  try {
    return readFileSync(join(buildDir, "BUILD_ID"), "utf8").trim();
  } catch {
    return null;
  }
}

function buildIsFresh(fingerprint: string): boolean {
  try {
    const marker = JSON.parse(readFileSync(buildMarker, "utf8")) as Partial<BuildMarker>;
    // The BUILD_ID check catches a build made by someone else (`npm run build`) since ours.
    return marker.fingerprint === fingerprint && marker.buildId === readBuildId();
  } catch {
    return false;
  }
}

/**
 * Production requires SMTP while password sign-in is on. Suites that read mail start a
 * sink (tests/support/smtp-sink.ts) and pass its SMTP_URL; for the others mail goes to a
 * loopback port where nothing listens (the discard port): queued, retried, never delivered.
 */
/** METRICS_TOKEN of every e2e server: suites scrape /api/metrics with it. */
export const E2E_METRICS_TOKEN = "e2e-metrics-token-0123456789abcdefghijklmnop";

const mailDefaults: ServerEnv = {
  SMTP_URL: "smtp://127.0.0.1:9",
  EMAIL_FROM: "Gatehouse <no-reply@gatehouse.test>",
};

/** Env for `next build`: production settings that pass lib/env.ts, with no backend. */
function buildEnv(dataDir: string): ServerEnv {
  return {
    ...baseEnv(),
    ...blankedBackendVariables,
    AUTH_SECRET: randomSecret(),
    // A placeholder: nothing prerendered may depend on the origin (each server gets its own).
    APP_URL: "http://127.0.0.1:3000",
    GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION: "1",
    GATEHOUSE_DATA_DIR: dataDir,
    ...mailDefaults,
  };
}

function runBuild(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-build-"));
  const env = buildEnv(dataDir);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, "build"], {
      cwd: root,
      env: { ...env, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const output = new OutputBuffer();
    output.attach(child);
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      reject(new Error(`next build timed out after ${BUILD_TIMEOUT_MS} ms\n${output.text()}`));
    }, BUILD_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      reject(new Error(`could not run next build: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      if (code === 0) resolve();
      else reject(new Error(`next build failed (${signal ?? `exit ${code}`}):\n${output.text()}`));
    });
  });
}

let building: Promise<void> | null = null;

/** Builds the app unless the current build already matches the sources. */
export function ensureBuilt(): Promise<void> {
  building ??= (async () => {
    const fingerprint = sourceFingerprint();
    if (buildIsFresh(fingerprint)) return;
    await runBuild();
    const buildId = readBuildId();
    if (buildId === null) throw new Error("next build succeeded but wrote no .next/BUILD_ID");
    writeFileSync(buildMarker, JSON.stringify({ fingerprint, buildId } satisfies BuildMarker));
  })();
  // A failed build stays failed for this test file: every suite in it reports the same
  // error at once instead of spending minutes rebuilding the same broken sources. The next
  // file (a fresh module) tries again.
  return building;
}

// ---------------------------------------------------------------------------------------
// Server

/** Interleaved stdout/stderr of a child process, kept for assertions. */
export class OutputBuffer {
  private readonly chunks: string[] = [];

  attach(child: ChildProcess): void {
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => this.chunks.push(chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => this.chunks.push(chunk));
  }

  note(line: string): void {
    this.chunks.push(`[e2e] ${line}\n`);
  }

  text(): string {
    return this.chunks.join("");
  }
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid: the whole process group (`detached: true` made the child its leader),
    // so workers Next forks go too.
    process.kill(-child.pid, signal);
  } catch {
    // Already gone (ESRCH): nothing left to stop.
  }
}

/** A server process started by startNodeServer(), answering. */
export interface NodeServer {
  /** Its stdout/stderr so far. */
  readonly output: OutputBuffer;
  /**
   * SIGTERM to its process group, SIGKILL after the grace period, then `onStop`; resolves
   * once all that is done. Only the first call does anything.
   */
  stop(): Promise<void>;
}

export interface StartNodeServerOptions {
  /** What starts, for errors: "next start", "next dev". */
  what: string;
  /** Arguments of `node`, e.g. [nextBin, "dev"]; it runs in the project's root. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Whether the server is ready: from what it printed, or by asking it. */
  ready: (output: OutputBuffer) => boolean | Promise<boolean>;
  readyTimeoutMs: number;
  /** Pause between two `ready` checks. */
  pollMs: number;
  /** How long stop() lets the process exit on its own before it kills the group. */
  stopGraceMs: number;
  /** Clean-up once the process has stopped. */
  onStop?: () => Promise<void> | void;
}

/**
 * Starts `node` with `args` as the leader of a new process group (so stopping it ends the
 * workers it forks too) and resolves once `ready` says so. When the process exits first or
 * is not ready in time, it is stopped and this rejects with its output.
 */
export async function startNodeServer(options: StartNodeServerOptions): Promise<NodeServer> {
  const { what, readyTimeoutMs } = options;
  const child = spawn(process.execPath, options.args, {
    cwd: root,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const output = new OutputBuffer();
  output.attach(child);
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ?? `exit ${code}`));
    child.once("error", (error) => resolve(`spawn error: ${error.message}`));
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), options.stopGraceMs);
    await exited;
    clearTimeout(timer);
    await options.onStop?.();
  };

  const deadline = Date.now() + readyTimeoutMs;
  // An object, not a `let`: TypeScript cannot see the callback assign it inside the loop.
  const state: { exitReason: string | null } = { exitReason: null };
  void exited.then((reason) => (state.exitReason = reason));
  try {
    while (Date.now() < deadline) {
      if (state.exitReason !== null) {
        throw new Error(
          `${what} exited (${state.exitReason}) before it was ready:\n${output.text()}`,
        );
      }
      if (await options.ready(output)) return { output, stop };
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
    throw new Error(`${what} was not ready within ${readyTimeoutMs} ms:\n${output.text()}`);
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

export interface AppServer {
  /** Which backend this server runs on, for test names and screenshot file names. */
  readonly name: string;
  /** Origin without a trailing slash, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Everything the server printed so far. */
  output(): string;
  /** The app's PostgreSQL database, for tests that inspect or change rows directly. */
  readonly databaseUrl?: string;
  /** Stops the server's process group and removes what it owned (data dir, database). */
  stop(): Promise<void>;
}

export interface StartAppOptions {
  /** Short label, e.g. "embedded" or "postgres". */
  name: string;
  /** Variables on top of the production defaults (AUTH_SECRET, APP_URL, …). */
  env?: ServerEnv;
  /** Extra clean-up after the process has stopped. */
  onStop?: () => Promise<void> | void;
  /** A port chosen beforehand (freePort()), when something must know APP_URL first. */
  port?: number;
}

/** Builds if needed, then starts `next start` on a free port and waits until it answers. */
export async function startApp(options: StartAppOptions): Promise<AppServer> {
  await ensureBuilt();
  const port = options.port ?? (await freePort());
  // "localhost", not 127.0.0.1: Next rewrites loopback IPs in request URLs to localhost, and
  // the browser must use the same host as APP_URL for cookies to come back.
  const url = `http://localhost:${port}`;
  const env: ServerEnv = {
    ...baseEnv(),
    ...blankedBackendVariables,
    AUTH_SECRET: randomSecret(),
    APP_URL: url,
    // Production applies migrations as a deploy step; a fresh test database needs them now.
    MIGRATE_ON_START: "1",
    // Every suite signs up and signs in dozens of times from 127.0.0.1, and the servers on
    // the shared redis-server share its counters; e2e/rate-limit.test.ts sets the limits it
    // tests itself.
    ...generousRateLimits,
    ...mailDefaults,
    METRICS_TOKEN: E2E_METRICS_TOKEN,
    ...options.env,
  };
  // `npm start`'s server (server.mjs), so the tests see the client address as production does.
  const server = await startNodeServer({
    what: "next start",
    args: [join(root, "server.mjs")],
    // Next's types make NODE_ENV a required literal; production is what these tests run.
    // HOSTNAME: loopback unless a suite asks otherwise ("::" listens on IPv6 and IPv4).
    env: {
      ...env,
      NODE_ENV: "production",
      HOSTNAME: env.HOSTNAME ?? "127.0.0.1",
      PORT: String(port),
    },
    ready: () => answers(url),
    readyTimeoutMs: START_TIMEOUT_MS,
    pollMs: 250,
    stopGraceMs: STOP_GRACE_MS,
    onStop: options.onStop,
  });
  server.output.note(`server "${options.name}" answering at ${url}`);
  return {
    name: options.name,
    url,
    port,
    output: () => server.output.text(),
    stop: () => server.stop(),
  };
}

/** Any HTTP answer means the server is up; whether it is *healthy* is for tests to say. */
async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000), redirect: "manual" });
    await response.body?.cancel();
    return true;
  } catch {
    // Not listening yet (ECONNREFUSED) or slow first response: try again shortly.
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// The two backends every e2e suite runs against.

/** Embedded PGlite + in-memory Redis, in a fresh data folder removed on stop. */
export async function startEmbeddedApp(env: ServerEnv = {}, port?: number): Promise<AppServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-data-"));
  try {
    return await startApp({
      name: "embedded",
      port,
      env: {
        GATEHOUSE_DATA_DIR: dataDir,
        // The embedded backends are development defaults; this run opts in on purpose.
        GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION: "1",
        ...env,
      },
      onStop: () => rmSync(dataDir, { recursive: true, force: true }),
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Real PostgreSQL (a fresh database, dropped on stop) and real Redis. */
export async function startPostgresApp(
  servers: { databaseUrl: string; redisUrl: string },
  env: ServerEnv = {},
  port?: number,
): Promise<AppServer> {
  const database = await createPostgresDatabase(servers.databaseUrl);
  const dataDir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-data-"));
  const cleanUp = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await database.drop();
  };
  try {
    const app = await startApp({
      name: "postgres",
      port,
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: servers.redisUrl,
        GATEHOUSE_DATA_DIR: dataDir,
        ...env,
      },
      onStop: cleanUp,
    });
    return { ...app, databaseUrl: database.url };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/**
 * Prints a server's output under any failing test of the current suite, so a red test shows
 * what the server logged (start-up errors, stack traces of a 500) next to the assertion.
 */
export function printServerOutputOnFailure(server: () => AppServer | undefined): void {
  beforeEach((context) => {
    context.onTestFailed(() => {
      const app = server();
      if (!app) return;
      process.stderr.write(
        `\n----- ${app.name} server output (${app.url}) -----\n${app.output()}\n----- end of ${app.name} server output -----\n`,
      );
    });
  });
}

/**
 * One app for the enclosing suite: started before its tests, stopped after them, its output
 * printed when one of them fails. Returns a getter for the running app (it throws when the
 * app did not start, so each test fails with that rather than a TypeError).
 */
export function appForSuite(start: () => Promise<AppServer>): () => AppServer {
  let app: AppServer | undefined;
  beforeAll(async () => {
    app = await start();
  });
  afterAll(async () => {
    await app?.stop();
  });
  printServerOutputOnFailure(() => app);
  return () => {
    if (!app) throw new Error("the app did not start (see beforeAll)");
    return app;
  };
}
