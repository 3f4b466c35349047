// Finds or starts the real PostgreSQL and redis-server the integration suites run against.
//
// - TEST_DATABASE_URL / TEST_REDIS_URL set (CI's .ci/run does this): use them.
// - otherwise, if Debian's `postgresql` and `redis-server` are installed, start throw-away
//   ones on 127.0.0.1 with scripts/test-services.sh and stop them afterwards.
// - otherwise the real-server variants are reported as not run (the embedded backends
//   still are), unless GATEHOUSE_TEST_SERVICES=required, which CI sets: then it fails.
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string | null;
    redisUrl: string | null;
  }
}

const script = join(import.meta.dirname, "..", "..", "scripts", "test-services.sh");

/** A port nothing listens on right now, so parallel test runs do not collide. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

export default async function setup(project: TestProject) {
  let databaseUrl = process.env.TEST_DATABASE_URL ?? null;
  let redisUrl = process.env.TEST_REDIS_URL ?? null;
  let teardown = () => {};

  if (!databaseUrl || !redisUrl) {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-services-"));
    try {
      const ports = { PG_PORT: String(await freePort()), REDIS_PORT: String(await freePort()) };
      const out = execFileSync("bash", [script, "start", dir], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...ports },
      });
      databaseUrl ??= /TEST_DATABASE_URL=(\S+)/.exec(out)?.[1] ?? null;
      redisUrl ??= /TEST_REDIS_URL=(\S+)/.exec(out)?.[1] ?? null;
      teardown = () => {
        execFileSync("bash", [script, "stop", dir], {
          stdio: "ignore",
          env: { ...process.env, ...ports },
        });
        rmSync(dir, { recursive: true, force: true });
      };
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      const reason = error instanceof Error ? error.message : String(error);
      if (process.env.GATEHOUSE_TEST_SERVICES === "required") {
        throw new Error(`PostgreSQL/redis-server are required but could not start: ${reason}`);
      }
      console.warn(
        `\n[tests] PostgreSQL/redis-server not available (${reason.split("\n")[0]}); ` +
          "real-server variants will not run. Install Debian's postgresql and redis-server " +
          "or set TEST_DATABASE_URL and TEST_REDIS_URL.\n",
      );
    }
  }

  project.provide("databaseUrl", databaseUrl);
  project.provide("redisUrl", redisUrl);
  return teardown;
}
