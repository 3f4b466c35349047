// A throw-away PostgreSQL and redis-server for the bench, through scripts/test-services.sh
// (the same script CI and the tests use), on ports of their own so that a test run going on
// at the same time on the default ports is neither disturbed nor measured.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

import { onCleanup } from "./cleanup";
import { freePort } from "./net";

const run = promisify(execFile);

export interface Services {
  databaseUrl: string;
  redisUrl: string;
}

export async function startServices(root: string, dir: string): Promise<Services> {
  const script = join(root, "scripts", "test-services.sh");
  mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    PG_PORT: String(await freePort()),
    REDIS_PORT: String(await freePort()),
  };
  // Registered before starting: a start that fails half-way (PostgreSQL up, Redis not) must
  // still be stopped. Synchronous, so it also works from the last-resort exit path.
  onCleanup("stop PostgreSQL and redis-server", () => {
    execFileSync("bash", [script, "stop", dir], { env, stdio: "ignore" });
  });
  const { stdout } = await run("bash", [script, "start", dir], { env, timeout: 120_000 });
  const value = (name: string) => {
    const match = new RegExp(`^export ${name}=(\\S+)$`, "m").exec(stdout);
    if (!match?.[1]) throw new Error(`test-services.sh printed no ${name}:\n${stdout}`);
    return match[1];
  };
  return { databaseUrl: value("TEST_DATABASE_URL"), redisUrl: value("TEST_REDIS_URL") };
}
