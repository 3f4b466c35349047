// Runs `next dev` (what `npm run dev` runs) for the tests that are about development itself.
//
// It uses the project's own `.next/dev`, on purpose: what those tests check is what a
// developer meets on the second `npm run dev`, with the cache an earlier run left there.
// Next allows one dev server per directory, so stop your own `npm run dev` first (the
// server's output, printed on failure, then says "Another next dev server is already
// running"). Data (PGlite, the generated AUTH_SECRET) goes to a folder the caller owns, so
// several starts can share it while the developer's `.data` stays untouched.
import {
  baseEnv,
  blankedBackendVariables,
  nextBin,
  startNodeServer,
  type ServerEnv,
} from "./server";

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
  const server = await startNodeServer({
    what: "next dev",
    args: [nextBin, "dev", "--port", String(options.port)],
    // `next dev` sets NODE_ENV itself; the type wants it named.
    env: { ...env, NODE_ENV: "development" },
    // Next prints "✓ Ready in …" once it listens; nothing is compiled before a request.
    ready: (output) => output.text().includes("Ready in"),
    readyTimeoutMs: READY_TIMEOUT_MS,
    pollMs: 100,
    stopGraceMs: STOP_GRACE_MS,
  });
  return { url, output: () => server.output.text(), stop: () => server.stop() };
}
