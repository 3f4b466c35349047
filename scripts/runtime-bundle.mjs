// node scripts/runtime-bundle.mjs <out-dir> [--link]
//
// Writes to <out-dir> what `npm start`, the migrations and the worker need at run time, and
// nothing else: the Dockerfile's runtime stage is a copy of it, and e2e/container.test.ts
// runs the same script against the e2e build and starts what it wrote, so the image's
// contents are tested without a Docker engine.
//
// - the build (.next without its cache) and the files read at run time: server.mjs,
//   next.config.mjs, package.json, public/, lib/auth/common-passwords.txt, prisma/migrations;
// - node_modules reduced to the packages reachable from package.json's `dependencies`
//   through package-lock.json (dependencies, optional ones that are installed, required
//   peers), minus Next's SWC compiler, which only `next build` and `next dev` load;
// - dist/db-migrate.mjs, dist/worker.mjs and dist/bot-webhook.mjs: those scripts compiled by
//   esbuild to plain JavaScript (packages left as imports), so the image needs neither tsx
//   nor the TypeScript sources to migrate, to deliver or to register the bot's webhook.
//
// Why not Next's `output: "standalone"`: it writes its own minimal server.js instead of
// tracing a custom server (Next's custom-server guide: "These cannot be used together"),
// and `npm start` must be server.mjs, which records the client's address. Tracing server.mjs
// and the scripts ourselves would give a smaller node_modules but takes ~25 s per trace on
// a small machine; the lock file gives the same answer for every build in milliseconds.
//
// --link hard-links files instead of copying them (same file system only): the test uses it
// to build a bundle in a second.
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Paths under .next that `next start` never reads: the build cache and build-time records. */
const NEXT_BUILD_ONLY = new Set(["cache", "dev", "trace", "trace-build", "diagnostics", "types"]);

/** Packages in the dependency tree that only `next build` / `next dev` load. */
const BUILD_ONLY_PACKAGE = /^@next\/swc-/;

/** Files and folders of the project that run in production, besides .next and node_modules. */
const PROJECT_FILES = [
  "package.json",
  "server.mjs",
  "next.config.mjs",
  "public",
  "lib/auth/common-passwords.txt",
  "prisma/migrations",
];

/** Compiled entry points for the image's other commands: compose's migrate and worker, and
 *  registering the Telegram webhook (`npm run bot:webhook`) from the image. */
const SCRIPT_ENTRIES = {
  "db-migrate": "scripts/db-migrate.ts",
  worker: "scripts/worker.ts",
  "bot-webhook": "scripts/bot-webhook.ts",
};

/**
 * Copies (or hard-links) a file or a folder, keeping symbolic links as links: Next's build
 * refers to external packages through relative links in .next/node_modules.
 * @param {string} from
 * @param {string} to
 * @param {{ link: boolean, skip?: (path: string) => boolean }} options
 */
function copyTree(from, to, options) {
  const stat = lstatSync(from);
  if (stat.isSymbolicLink()) {
    mkdirSync(dirname(to), { recursive: true });
    symlinkSync(readlinkSync(from), to);
  } else if (stat.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) {
      const child = join(from, name);
      if (options.skip?.(child)) continue;
      copyTree(child, join(to, name), options);
    }
  } else if (options.link) {
    mkdirSync(dirname(to), { recursive: true });
    linkSync(from, to);
  } else {
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
}

/**
 * @typedef {{ dependencies?: Record<string, string>, optionalDependencies?: Record<string, string>,
 *   peerDependencies?: Record<string, string>,
 *   peerDependenciesMeta?: Record<string, { optional?: boolean }>, link?: boolean }} LockEntry
 */

/**
 * The installed package folders (relative to the project, "node_modules/…") that production
 * code can reach: a walk of package-lock.json from the root's `dependencies`, resolving each
 * name the way Node does (nearest node_modules first, then each parent's).
 * @param {Record<string, LockEntry>} packages package-lock.json's `packages`
 * @returns {string[]}
 */
export function productionPackages(packages) {
  /** @param {string} from @param {string} name */
  const resolve = (from, name) => {
    let base = from;
    for (;;) {
      const candidate = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (base === "") return null;
      const parent = base.lastIndexOf("/node_modules/");
      base = parent < 0 ? "" : base.slice(0, parent);
    }
  };
  const rootEntry = packages[""];
  if (!rootEntry) throw new Error("package-lock.json has no root package entry");
  const seen = new Set();
  const pending = Object.keys(rootEntry.dependencies ?? {}).map((name) => {
    const found = resolve("", name);
    if (!found) throw new Error(`package-lock.json does not list the dependency ${name}`);
    return found;
  });
  while (pending.length > 0) {
    const path = /** @type {string} */ (pending.pop());
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    if (seen.has(path) || BUILD_ONLY_PACKAGE.test(name)) continue;
    const entry = packages[path];
    if (!entry) continue;
    if (entry.link) throw new Error(`${path} is a linked package: not supported here`);
    seen.add(path);
    const peers = Object.keys(entry.peerDependencies ?? {}).filter(
      (peer) => !entry.peerDependenciesMeta?.[peer]?.optional,
    );
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...peers,
    ];
    for (const dependency of names) {
      const found = resolve(path, dependency);
      if (found) pending.push(found);
    }
  }
  return [...seen].sort();
}

/** @param {string} outDir @param {{ link: boolean }} options */
async function bundle(outDir, options) {
  if (!existsSync(join(root, ".next", "BUILD_ID"))) {
    throw new Error("no build in .next: run `npm run build` first");
  }
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    throw new Error(`${outDir} is not empty`);
  }
  mkdirSync(outDir, { recursive: true });

  for (const file of PROJECT_FILES) {
    if (existsSync(join(root, file))) copyTree(join(root, file), join(outDir, file), options);
  }
  const nextDir = join(root, ".next");
  copyTree(nextDir, join(outDir, ".next"), {
    ...options,
    skip: (path) => dirname(path) === nextDir && NEXT_BUILD_ONLY.has(relative(nextDir, path)),
  });

  /** @type {{ packages: Record<string, LockEntry> }} */
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  let count = 0;
  for (const path of productionPackages(lock.packages)) {
    const source = join(root, path);
    // An optional package for another platform (another CPU, musl) is listed but not installed.
    if (!existsSync(source)) continue;
    // Nested node_modules are packages of their own: copied when the walk reaches them.
    const nested = join(source, "node_modules");
    copyTree(source, join(outDir, path), { ...options, skip: (child) => child === nested });
    count += 1;
  }

  const { build } = await import("esbuild");
  await build({
    absWorkingDir: root,
    entryPoints: SCRIPT_ENTRIES,
    outdir: join(outDir, "dist"),
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    // Packages stay imports, resolved from the bundle's node_modules at run time; only the
    // project's own TypeScript (lib/, scripts/, the generated Prisma client) is compiled in.
    packages: "external",
    tsconfig: join(root, "tsconfig.json"),
    logLevel: "warning",
  });
  console.log(`runtime bundle written to ${outDir} (${count} packages)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const outDir = args.find((arg) => !arg.startsWith("--"));
  if (!outDir) {
    console.error("usage: node scripts/runtime-bundle.mjs <out-dir> [--link]");
    process.exit(2);
  }
  await bundle(outDir, { link: args.includes("--link") });
}
