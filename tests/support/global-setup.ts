// Finds or starts the real PostgreSQL, redis-server and RabbitMQ the integration suites run
// against.
//
// - TEST_DATABASE_URL / TEST_REDIS_URL / TEST_AMQP_URL set: use them.
// - otherwise, if Debian's `postgresql` and `redis-server` are installed, start throw-away
//   ones on 127.0.0.1 with scripts/test-services.sh, and, at the same time, if
//   `rabbitmq-server` is installed, a throw-away broker with tests/support/rabbitmq.ts;
//   stop them afterwards. The broker is not in test-services.sh because the bench starts
//   its servers with that script too (scripts/bench/services.ts) and has no use for a broker,
//   which takes seconds longer to start than the other two; and tests that stop a broker
//   start their own with the same helper.
// - otherwise the real-server variants are reported as not run (the embedded backends
//   still are), unless GATEHOUSE_TEST_SERVICES=required, which CI sets: then it fails.
import { execFile, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

import { rabbitMqInstalled, startRabbitMq } from "./rabbitmq";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string | null;
    redisUrl: string | null;
    /** amqp://… of a RabbitMQ broker shared by the run; tests that stop a broker start their
     *  own (tests/support/rabbitmq.ts). */
    amqpUrl: string | null;
  }
}

const script = join(import.meta.dirname, "..", "..", "scripts", "test-services.sh");
const required = process.env.GATEHOUSE_TEST_SERVICES === "required";

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

/** Fails the run when the servers are required; otherwise says which tests will not run. */
function unavailable(servers: string, reason: string, hint: string) {
  if (required) throw new Error(`${servers} required but could not start: ${reason}`);
  console.warn(
    `\n[tests] ${servers} not available (${reason.split("\n")[0]}); ` +
      `real-server variants will not run. ${hint}\n`,
  );
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function startServices() {
  let databaseUrl = process.env.TEST_DATABASE_URL ?? null;
  let redisUrl = process.env.TEST_REDIS_URL ?? null;
  let teardown = () => {};
  if (!databaseUrl || !redisUrl) {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-services-"));
    try {
      const ports = { PG_PORT: String(await freePort()), REDIS_PORT: String(await freePort()) };
      const { stdout } = await promisify(execFile)("bash", [script, "start", dir], {
        encoding: "utf8",
        env: { ...process.env, ...ports },
      });
      databaseUrl ??= /TEST_DATABASE_URL=(\S+)/.exec(stdout)?.[1] ?? null;
      redisUrl ??= /TEST_REDIS_URL=(\S+)/.exec(stdout)?.[1] ?? null;
      teardown = () => {
        execFileSync("bash", [script, "stop", dir], {
          stdio: "ignore",
          env: { ...process.env, ...ports },
        });
        rmSync(dir, { recursive: true, force: true });
      };
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      // execFile's error has the script's stderr (the server's log) in its message.
      unavailable(
        "PostgreSQL/redis-server are",
        message(error),
        "Install Debian's postgresql and redis-server or set TEST_DATABASE_URL and TEST_REDIS_URL.",
      );
    }
  }
  return { databaseUrl, redisUrl, teardown };
}

async function startBroker() {
  const hint = "Install Debian's rabbitmq-server or set TEST_AMQP_URL.";
  if (process.env.TEST_AMQP_URL) {
    return { amqpUrl: process.env.TEST_AMQP_URL, teardown: () => Promise.resolve() };
  }
  if (!rabbitMqInstalled) {
    unavailable("rabbitmq-server is", "not installed", hint);
    return { amqpUrl: null, teardown: () => Promise.resolve() };
  }
  try {
    const broker = await startRabbitMq();
    return {
      amqpUrl: broker.url,
      async teardown() {
        await broker.stop();
        rmSync(broker.dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    unavailable("rabbitmq-server is", message(error), hint);
    return { amqpUrl: null, teardown: () => Promise.resolve() };
  }
}

export default async function setup(project: TestProject) {
  // Started side by side: the broker takes longest, and PostgreSQL starts meanwhile.
  const [services, broker] = await Promise.allSettled([startServices(), startBroker()]);
  if (services.status === "fulfilled" && broker.status === "fulfilled") {
    project.provide("databaseUrl", services.value.databaseUrl);
    project.provide("redisUrl", services.value.redisUrl);
    project.provide("amqpUrl", broker.value.amqpUrl);
    return async () => {
      services.value.teardown();
      await broker.value.teardown();
    };
  }
  // Required and missing: stop whichever did start, then fail the run.
  if (services.status === "fulfilled") services.value.teardown();
  if (broker.status === "fulfilled") await broker.value.teardown();
  const failed = [services, broker].find((r) => r.status === "rejected");
  throw failed?.reason instanceof Error ? failed.reason : new Error(String(failed?.reason));
}
