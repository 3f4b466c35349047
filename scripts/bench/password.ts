// The password bench, run as its own process: scripts/bench-password.ts runs itself on
// import and ends with process.exit, and a child also keeps its argon2 threads and PGlite
// out of the other sections' timings.
import { spawn } from "node:child_process";
import { join } from "node:path";

import { killGroup, onCleanup, trackChild } from "./cleanup";

export interface PasswordResult {
  /** Sign-in p95 minus argon2id-verify p95, ms (docs/performance.md: within 40 ms). */
  beyondVerifyP95: number | null;
  /** Unknown-email p50 minus known-email p50, ms (close to 0: no enumeration by timing). */
  knownUnknownP50: number | null;
}

export async function benchPassword(root: string, iterations: number): Promise<PasswordResult> {
  const child = spawn(
    process.execPath,
    [
      join(root, "node_modules", "tsx", "dist", "cli.mjs"),
      join(root, "scripts", "bench-password.ts"),
      `--iterations=${iterations}`,
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  trackChild(child);
  const dropCleanup = onCleanup("stop bench-password", () => killGroup(child, "SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const status = await new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ?? String(code)));
    child.once("error", (error) => resolve(error.message));
  });
  dropCleanup();
  if (status !== "0") {
    throw new Error(`scripts/bench-password.ts failed (${status}):\n${stdout}${stderr}`);
  }
  console.log(stdout.trimEnd());

  const figure = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    return match?.[1] === undefined ? null : Number(match[1]);
  };
  return {
    beyondVerifyP95: figure(/sign-in p95 beyond verify p95: (-?[\d.]+) ms/),
    knownUnknownP50: figure(/p50 difference: (-?[\d.]+) ms/),
  };
}
