// `npm run worker` (scripts/worker.ts) as a child process, the way it runs next to
// `npm start`: for the integration test of the process, the jobs e2e test and the bench's
// queue section. One place knows how to start it, what settings it needs beside the caller's,
// and when it is ready (its "worker started" line: it consumes from then on).
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr together. */
  output(): string;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code once it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface WorkerProcessOptions {
  /**
   * The worker's settings beyond the ones every caller shares (NODE_ENV=test, LOG_LEVEL=info,
   * PATH): DATABASE_URL, AMQP_URL, APP_URL, AUTH_SECRET, GATEHOUSE_DATA_DIR and the channels'.
   */
  env: Record<string, string>;
  /** In a process group of its own (the bench kills the group on Ctrl-C). */
  detached?: boolean;
  startTimeoutMs?: number;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

/** Starts the worker; resolves once it consumes, or throws with what it printed. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH, NODE_ENV: "test", LOG_LEVEL: "info", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const worker: WorkerProcess = {
    child,
    output: () => output,
    stop(signal = "SIGTERM") {
      const done = exited(child);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return done;
    },
  };
  // Polled by hand rather than with expect.poll: callers start it in hooks and in the bench.
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!output.includes('"message":"worker started"')) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await worker.stop("SIGKILL");
      throw new Error(`npm run worker did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return worker;
}
