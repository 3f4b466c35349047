// Runs `next dev` (what `npm run dev` runs) for the tests that are about development itself.
//
// It uses the project's own `.next/dev`, on purpose: what those tests check is what a
// developer meets on the second `npm run dev`, with the cache an earlier run left there.
// Next allows one dev server per directory, so stop your own `npm run dev` first (the
// server's output, printed on failure, then says "Another next dev server is already
// running"). Data (PGlite, the generated AUTH_SECRET) goes to a folder the caller owns, so
// several starts can share it while the developer's `.data` stays untouched.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import {
  baseEnv,
  blankedBackendVariables,
  killGroup,
  OutputBuffer,
  type ServerEnv,
} from "./server";

const root = fileURLToPath(new URL("../..", import.meta.url));
const nextBin = join(root, "node_modules", "next", "dist", "bin", "next");

// Generous: `next dev` itself is ready in seconds, but a loaded 2-core machine is slow.
const READY_TIMEOUT_MS = 3 * 60_000;
// Turbopack writes its cache to `.next/dev` while shutting down; a kill before it is done
// would leave the next start a different cache from the one a developer's Ctrl-C leaves.
const STOP_GRACE_MS = 60_000;

export interface DevServer {
  /** Origin without a trailing slash, e.g. http://localhost:41234 */
  readonly url: string;
  output(): string;
  /** Stops the whole process group and waits until it has exited. */
  stop(): Promise<void>;
}

export interface StartDevServerOptions {
  port: number;
  /** GATEHOUSE_DATA_DIR: the embedded database and the development secret. */
  dataDir: string;
  env?: ServerEnv;
}

/** Starts `next dev` with the embedded defaults and resolves once Next says it is ready. */
export async function startDevServer(options: StartDevServerOptions): Promise<DevServer> {
  const url = `http://localhost:${options.port}`;
  const env: ServerEnv = {
    ...baseEnv(),
    ...blankedBackendVariables,
    // APP_URL follows the port: the proxy refuses form posts from any other origin.
    APP_URL: url,
    GATEHOUSE_DATA_DIR: options.dataDir,
    ...options.env,
  };
  const child = spawn(process.execPath, [nextBin, "dev", "--port", String(options.port)], {
    cwd: root,
    // `next dev` sets NODE_ENV itself; the type wants it named.
    env: { ...env, NODE_ENV: "development" },
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
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitForReady(output, exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, output: () => output.text(), stop };
}

/** Next prints "✓ Ready in …" once it listens; nothing is compiled before a request. */
async function waitForReady(output: OutputBuffer, exited: Promise<string>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  // An object, not a `let`: TypeScript cannot see the callback assign it inside the loop.
  const child: { exitReason: string | null } = { exitReason: null };
  void exited.then((reason) => (child.exitReason = reason));
  while (Date.now() < deadline) {
    if (child.exitReason !== null) {
      throw new Error(
        `next dev exited (${child.exitReason}) before it was ready:\n${output.text()}`,
      );
    }
    if (output.text().includes("Ready in")) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`next dev was not ready within ${READY_TIMEOUT_MS} ms:\n${output.text()}`);
}
