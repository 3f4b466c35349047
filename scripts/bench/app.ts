// Production builds of the app in copies of the source tree, and `npm start` servers on them.
//
// Copies, not the work tree: /work/main/.next belongs to the e2e tests, and the "without
// proxy.ts" variant needs a tree where that file is missing. Each copy gets the source files
// git knows about (tracked, or untracked and not ignored — so work in progress is measured
// as it is) except tests and scripts, the generated Prisma client, and node_modules as hard
// links: quick, no extra disk, and Turbopack refuses a node_modules symlink that points
// outside the project root.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";

import { killGroup, onCleanup, trackChild } from "./cleanup";

const BUILD_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 5_000;
// Enough of a server's output to explain a failure, without keeping a whole run in memory.
const OUTPUT_LIMIT = 64 * 1024;

export type Env = Record<string, string>;

// Only what a Node process needs: anything else in the caller's environment (a developer's
// DATABASE_URL, NODE_ENV=test from a runner…) would change what the app does.
const INHERITED = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ"];

/** Variables a developer's `.env` could set; blank, lib/env.ts reads them as "not set". */
const BLANK_BACKENDS: Env = {
  DATABASE_URL: "",
  REDIS_URL: "",
  UPSTASH_REDIS_REST_URL: "",
  UPSTASH_REDIS_REST_TOKEN: "",
};

export function baseEnv(): Env {
  const env: Env = {};
  for (const name of INHERITED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...BLANK_BACKENDS, ...BENCH_MAIL, NEXT_TELEMETRY_DISABLED: "1" };
}

// Production requires SMTP while password sign-in is on; the bench measures no mail, so
// mail goes to a loopback port where nothing listens (queued, never delivered).
const BENCH_MAIL: Env = {
  SMTP_URL: "smtp://127.0.0.1:9",
  EMAIL_FROM: "Gatehouse <no-reply@gatehouse.test>",
};

export function randomSecret(): string {
  return randomBytes(32).toString("base64");
}

/**
 * What `next build` runs with in every section that builds the app: a production build on
 * the embedded stores (nothing is reached at build time), so the same sources give the same
 * build whichever section asks first.
 */
export function buildEnv(dataDir: string): Env {
  return {
    ...baseEnv(),
    AUTH_SECRET: randomSecret(),
    // A placeholder: nothing prerendered may depend on the origin.
    APP_URL: "http://127.0.0.1:3000",
    GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION: "1",
    GATEHOUSE_DATA_DIR: join(dataDir, "build"),
  };
}

/** The last OUTPUT_LIMIT characters a child printed, for error messages. */
class Tail {
  private text = "";
  /** Characters received in all, kept or not: a position in the whole output. */
  private total = 0;
  private readonly listeners = new Set<(chunk: string) => void>();

  attach(child: ChildProcess): void {
    const add = (chunk: string) => {
      this.total += chunk.length;
      this.text = (this.text + chunk).slice(-OUTPUT_LIMIT);
      for (const listener of this.listeners) listener(chunk);
    };
    child.stdout?.setEncoding("utf8").on("data", add);
    child.stderr?.setEncoding("utf8").on("data", add);
  }

  get position(): number {
    return this.total;
  }

  /** Calls `listener` with every chunk from now on (all of it, not only what is kept). */
  listen(listener: (chunk: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What was printed after `position` (as much of it as is still kept). */
  since(position: number): string {
    const length = Math.min(this.text.length, this.total - position);
    return length <= 0 ? "" : this.text.slice(-length);
  }

  toString(): string {
    return this.text;
  }
}

// ---------------------------------------------------------------------------------------
// Source copies

/**
 * Never part of the app. Left out because `next build` type-checks every file tsconfig.json
 * includes: a test being written elsewhere in the tree would otherwise fail the bench's build.
 * docs/ too, which nothing in the app reads: editing them must not cost a rebuild (the copy's
 * files make the fingerprint).
 */
const NOT_APP = /^(e2e|tests|test-results|scripts|docs|\.ci)\//;

function sourceFiles(root: string): string[] {
  const listing = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  return [...new Set(listing.split("\0"))]
    .filter((file) => {
      if (file === "" || NOT_APP.test(file)) return false;
      // `--cached` still lists a tracked file deleted in the work tree.
      try {
        return statSync(join(root, file)).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

/** What a build depends on: every copied file's name and content, and the variant. */
function fingerprint(root: string, files: readonly string[], variant: string): string {
  const hash = createHash("sha256").update(variant).update("\0");
  for (const file of files) {
    hash
      .update(file)
      .update("\0")
      .update(readFileSync(join(root, file)))
      .update("\0");
  }
  const generated = join(root, "lib", "generated", "prisma", "client.ts");
  if (existsSync(generated)) hash.update(readFileSync(generated));
  return hash.digest("hex");
}

export interface TreeOptions {
  root: string;
  dest: string;
  /** Delete proxy.ts from the copy: the app exactly as it is, minus the proxy. */
  withoutProxy: boolean;
}

const FINGERPRINT_FILE = ".bench-fingerprint";

/**
 * A copy of the source tree at `dest`, built. Returns false when `dest` already held a build
 * of the same sources (only with --keep-builds), which is then reused.
 */
export async function prepareBuild(
  options: TreeOptions,
  buildEnv: Env,
  log: (line: string) => void,
): Promise<{ reused: boolean; seconds: number }> {
  const { root, dest, withoutProxy } = options;
  const files = sourceFiles(root);
  const print = fingerprint(root, files, withoutProxy ? "without-proxy" : "with-proxy");
  const marker = join(dest, FINGERPRINT_FILE);
  if (existsSync(join(dest, ".next", "BUILD_ID")) && existsSync(marker)) {
    if (readFileSync(marker, "utf8") === print) return { reused: true, seconds: 0 };
  }

  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const file of files) {
    const target = join(dest, file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(root, file), target);
  }
  // Git-ignored but needed: the client `prisma generate` wrote at install time.
  cpSync(join(root, "lib", "generated"), join(dest, "lib", "generated"), { recursive: true });
  execFileSync("cp", ["-al", join(root, "node_modules"), join(dest, "node_modules")]);
  if (withoutProxy) rmSync(join(dest, "proxy.ts"));

  log(`building ${withoutProxy ? "without" : "with"} proxy.ts in ${dest} …`);
  const started = Date.now();
  await runBuild(dest, buildEnv);
  writeFileSync(marker, print);
  return { reused: false, seconds: (Date.now() - started) / 1_000 };
}

/** Where the build with proxy.ts goes in `buildsDir`: one folder for every section. */
export function withProxyDir(buildsDir: string): string {
  return join(buildsDir, "with");
}

/**
 * The build with proxy.ts, as pages makes it: whichever section asks first builds it, and
 * the others (later in the run, or in a later run with --keep-builds) find its fingerprint
 * matching and reuse it. Returns its folder.
 */
export async function prepareProxyBuild(options: {
  root: string;
  buildsDir: string;
  dataDir: string;
  log: (line: string) => void;
}): Promise<string> {
  const { root, buildsDir, dataDir, log } = options;
  const dir = withProxyDir(buildsDir);
  const build = await prepareBuild(
    { root, dest: dir, withoutProxy: false },
    buildEnv(dataDir),
    log,
  );
  log(`build with proxy.ts: ${build.reused ? "reused" : `${build.seconds.toFixed(0)} s`}`);
  return dir;
}

/** `next build` in `dir`, killed after BUILD_TIMEOUT_MS or when the bench is stopped. */
export function runBuild(dir: string, env: Env): Promise<void> {
  const child = spawn(process.execPath, [nextBin(dir), "build"], {
    cwd: dir,
    env: { ...env, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  trackChild(child);
  const output = new Tail();
  output.attach(child);
  const dropCleanup = onCleanup(`stop next build in ${dir}`, () => killGroup(child, "SIGKILL"));
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      reject(new Error(`next build timed out after ${BUILD_TIMEOUT_MS} ms:\n${String(output)}`));
    }, BUILD_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      dropCleanup();
      reject(new Error(`could not run next build: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      dropCleanup();
      if (code === 0) resolve();
      else reject(new Error(`next build failed (${signal ?? `exit ${code}`}):\n${String(output)}`));
    });
  });
}

export function nextBin(dir: string): string {
  return join(dir, "node_modules", "next", "dist", "bin", "next");
}

/** Routes the build prerendered: served from files, not rendered per request. */
export function prerenderedRoutes(dir: string): string[] {
  const manifest = JSON.parse(
    readFileSync(join(dir, ".next", "prerender-manifest.json"), "utf8"),
  ) as { routes?: Record<string, unknown> };
  return Object.keys(manifest.routes ?? {});
}

// ---------------------------------------------------------------------------------------
// Servers

export interface AppServer {
  readonly label: string;
  readonly port: number;
  /** Origin as APP_URL names it (localhost, so Auth.js's URLs and cookies line up). */
  readonly url: string;
  /** The Node process spawned (`node server.mjs` runs Next in this same process). */
  readonly pid: number;
  /** From the spawn to the answer that made the server ready, ms (as finely as pollMs). */
  readonly readyMs: number;
  output(): string;
  /** A position in the output, for outputSince. */
  outputPosition(): number;
  outputSince(position: number): string;
  /** Every chunk the server prints from now on, however long the run; returns "stop". */
  onOutput(listener: (chunk: string) => void): () => void;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Node's arguments; `npm start`'s (server.mjs) unless given. */
  args?: readonly string[];
  /** Polled until it answers at all (any status): the server is up. */
  readyPath?: string;
  /** Polled until it answers with this status instead (200: healthy, not only listening). */
  readyStatus?: number;
  /** Between two polls, ms: coarse by default, finer where the start-up time is measured. */
  pollMs?: number;
}

/**
 * `npm start` (node server.mjs) in `dir`, answering on 127.0.0.1:`port`; or, with
 * `start.args`, another Node command that does (`next start -p … -H 127.0.0.1`).
 */
export async function startServer(
  label: string,
  dir: string,
  port: number,
  env: Env,
  start: StartOptions = {},
): Promise<AppServer> {
  const {
    args = [join(dir, "server.mjs")],
    readyPath = "/api/health",
    readyStatus,
    pollMs = 250,
  } = start;
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...args], {
    cwd: dir,
    env: { ...env, NODE_ENV: "production", HOSTNAME: "127.0.0.1", PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  trackChild(child);
  const output = new Tail();
  output.attach(child);
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ?? `exit ${code}`));
    child.once("error", (error) => resolve(`spawn error: ${error.message}`));
  });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    })());
  onCleanup(`stop the ${label} server`, stop);

  const url = `http://localhost:${port}`;
  const state: { exit: string | null } = { exit: null };
  void exited.then((reason) => (state.exit = reason));
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastAnswer = "no answer";
  let readyMs = Number.NaN;
  for (;;) {
    if (state.exit !== null) {
      throw new Error(`the ${label} server exited (${state.exit}) at start:\n${String(output)}`);
    }
    if (Date.now() > deadline) {
      const awaited = readyStatus === undefined ? "" : ` HTTP ${readyStatus}`;
      throw new Error(
        `the ${label} server did not answer${awaited} in time (last: ${lastAnswer}):\n` +
          String(output),
      );
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}${readyPath}`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.body?.cancel();
      if (readyStatus === undefined || response.status === readyStatus) {
        readyMs = performance.now() - spawnedAt;
        break;
      }
      lastAnswer = `HTTP ${response.status}`;
    } catch {
      // Not listening yet, or not answering within the fetch's own timeout.
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  // Set once the spawn succeeded, which a server that answered did.
  if (child.pid === undefined) throw new Error(`the ${label} server has no pid`);
  return {
    label,
    port,
    url,
    pid: child.pid,
    readyMs,
    output: () => String(output),
    outputPosition: () => output.position,
    outputSince: (position) => output.since(position),
    onOutput: (listener) => output.listen(listener),
    stop,
  };
}
