// npm run bench:profile [-- --seconds=N] [-- --keep-builds=DIR] [-- --out=DIR] [-- --app=DIR]
//
// Where a page request spends its CPU: the production build with proxy.ts behind
// `npm start` (PostgreSQL and redis-server, as the bench's pages section runs it), one
// server per page under `node --cpu-prof`, the bench's closed-loop load on it, then the
// profile folded into CPU time per request:
// - by where the code lives (a package, our bundled code, Node itself, the garbage collector);
// - by function, inclusive (a function and everything it called), for the functions whose
//   inclusive time a signed-in "/" adds over the anonymous one.
// --app=DIR profiles the app in another checkout (a `git worktree` of an earlier commit, say)
// with this script, so a before and an after are measured the same way.
// The .cpuprofile files stay in --out (default: a folder under /tmp, printed) for Chrome's
// DevTools (Performance → Load profile) or https://www.speedscope.app.
// Informational only, like `npm run bench`: nothing is asserted, and each server profiles
// its whole life (start-up included; the load runs long enough to outweigh it).
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { BENCH_USER, createBenchUser } from "./bench/accounts";
import { prepareProxyBuild, randomSecret, startServer } from "./bench/app";
import { CookieJar, signIn } from "./bench/browser";
import { installSignalHandlers, onCleanup, runCleanups } from "./bench/cleanup";
import { runLoad } from "./bench/load";
import { freePort } from "./bench/net";
import { fold, type CpuProfile, type Folded } from "./bench/cpu-profile";
import { appEnv } from "./bench/pages";
import { startServices } from "./bench/services";
import { table } from "./bench/stats";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Options {
  seconds: number;
  keepBuilds: string | null;
  out: string | null;
  app: string;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { seconds: 30, keepBuilds: null, out: null, app: root };
  for (const arg of argv) {
    const [name, value] = arg.split("=", 2);
    if (name === "--seconds" && value && Number(value) >= 5) options.seconds = Number(value);
    else if (name === "--keep-builds" && value) options.keepBuilds = resolve(value);
    else if (name === "--out" && value) options.out = resolve(value);
    else if (name === "--app" && value) options.app = resolve(value);
    else {
      throw new Error(
        `unknown argument ${arg}; usage: npm run bench:profile -- [--seconds=N (≥ 5)] ` +
          `[--keep-builds=DIR] [--out=DIR] [--app=DIR]`,
      );
    }
  }
  return options;
}

interface PageProfile {
  label: string;
  requests: number;
  folded: Folded;
}

const perRequest = (micros: number, requests: number) => (micros / requests / 1_000).toFixed(2);

function printPlaces(pages: readonly PageProfile[]): void {
  const places = new Set(pages.flatMap((page) => [...page.folded.selfByPlace.keys()]));
  const rows = [...places]
    .map((place) => ({
      place,
      values: pages.map((page) => (page.folded.selfByPlace.get(place) ?? 0) / page.requests),
    }))
    .sort((a, b) => Math.max(...b.values) - Math.max(...a.values))
    .filter((row) => Math.max(...row.values) >= 10); // ≥ 10 µs per request somewhere
  console.log(
    table(
      ["self CPU ms per request, by where the code lives", ...pages.map((page) => page.label)],
      [
        ...rows.map((row) => [row.place, ...row.values.map((value) => (value / 1_000).toFixed(2))]),
        ["all (idle excluded)", ...pages.map((p) => perRequest(p.folded.busyMicros, p.requests))],
      ],
    ),
  );
}

/** The functions whose inclusive time per request grew most from `base` to `page`. */
function printGrowth(base: PageProfile, page: PageProfile, count: number): void {
  const rows = [...page.folded.inclusive.entries()]
    .map(([key, micros]) => {
      const before = (base.folded.inclusive.get(key) ?? 0) / base.requests;
      return { key, before, after: micros / page.requests };
    })
    .sort((a, b) => b.after - b.before - (a.after - a.before))
    .slice(0, count);
  console.log(
    table(
      [
        `inclusive CPU ms per request: ${page.label} vs ${base.label}`,
        base.label,
        page.label,
        "added",
      ],
      rows.map(({ key, before, after }) => [
        key.length > 90 ? `${key.slice(0, 87)}…` : key,
        (before / 1_000).toFixed(3),
        (after / 1_000).toFixed(3),
        ((after - before) / 1_000).toFixed(3),
      ]),
    ),
  );
}

async function main(): Promise<void> {
  installSignalHandlers();
  const options = parseArgs(process.argv.slice(2));
  const workDir = mkdtempSync(join(tmpdir(), "gatehouse-profile-"));
  // The PostgreSQL cluster runs as `postgres` when this runs as root (test-services.sh).
  chmodSync(workDir, 0o755);
  onCleanup(`remove ${workDir}`, () => rmSync(workDir, { recursive: true, force: true }));
  const out = options.out ?? mkdtempSync(join(tmpdir(), "gatehouse-cpuprofiles-"));
  mkdirSync(out, { recursive: true });
  const log = (line: string) => console.log(`  ${line}`);

  const services = await startServices(root, join(workDir, "services"));
  const dest = await prepareProxyBuild({
    root: options.app,
    buildsDir: options.keepBuilds ?? join(workDir, "builds"),
    dataDir: join(workDir, "data"),
    log,
  });
  await createBenchUser(services.databaseUrl);
  const benchRun = { services, dataDir: join(workDir, "data"), secret: randomSecret() };

  const pages = [
    { label: "/ anonymous", path: "/", signedIn: false },
    { label: "/ signed in", path: "/", signedIn: true },
    { label: "/account", path: "/account", signedIn: true },
  ];
  const profiles: PageProfile[] = [];
  for (const [index, page] of pages.entries()) {
    const port = await freePort();
    const dir = join(out, String(index));
    mkdirSync(dir, { recursive: true });
    const server = await startServer(
      page.label,
      dest,
      port,
      appEnv(benchRun, port, String(index)),
      {
        args: ["--cpu-prof", `--cpu-prof-dir=${dir}`, join(dest, "server.mjs")],
      },
    );
    const cookie = page.signedIn
      ? await signIn(server, { provider: "password", ...BENCH_USER })
      : undefined;
    const target = {
      label: page.label,
      port,
      host: new URL(server.url).host,
      path: page.path,
      cookies: cookie ? new CookieJar(cookie) : undefined,
      expectStatus: 200,
    };
    // A warm-up a third as long: Next loads a route's modules on its first request.
    const warmUp = await runLoad(target, {
      connections: 16,
      durationMs: (options.seconds * 1_000) / 3,
    });
    const run = await runLoad(target, { connections: 16, durationMs: options.seconds * 1_000 });
    await server.stop(); // SIGTERM: server.mjs exits, and Node writes the profile
    const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
    if (!file) throw new Error(`no .cpuprofile in ${dir}: did the server exit cleanly?`);
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
    // The warm-up's requests were profiled too: count them, or every figure is too high.
    const requests = warmUp.requests + run.requests;
    log(
      `${page.label}: ${run.requests} requests in ${options.seconds} s (${run.errors} errors) ` +
        `→ ${join(dir, file)}`,
    );
    profiles.push({ label: page.label, requests, folded: fold(profile) });
  }

  console.log("");
  printPlaces(profiles);
  const [anonymous, signedIn, account] = profiles;
  if (anonymous && signedIn) printGrowth(anonymous, signedIn, 25);
  if (signedIn && account) printGrowth(signedIn, account, 15);
  console.log(`\nprofiles: ${out}`);
}

void main()
  .then(
    () => 0,
    (error: unknown) => {
      console.error("bench:profile failed:", error);
      return 1;
    },
  )
  .then(async (code) => {
    await runCleanups();
    process.exit(code);
  });
