// /api/health against real dependencies: a migrated database and a Redis that answer, and
// ones that do not (a closed port), through the same response code the route handler uses.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, type Database } from "@/lib/db";
import { healthResponse } from "@/lib/health";
import { createRedisStore, type RedisStore } from "@/lib/redis";
import { createPostgresDatabase, type TestPostgresDatabase } from "@/tests/support/databases";
import { memoryLogger } from "@/tests/support/logger";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");

// Port 1 on loopback: nothing listens there, so connecting is refused at once.
const closedPostgres = "postgres://postgres@127.0.0.1:1/none";
const closedRedis = "redis://127.0.0.1:1";

// Generous bounds: the servers that are up must answer "ok" however busy the CI machine is
// (a 1 s connect timeout did not, once); the closed ports refuse at once and never wait.
const pgConfig = (url: string) =>
  ({
    kind: "postgres",
    url,
    poolMax: 2,
    connectionTimeoutMs: 15_000,
    idleTimeoutMs: 1_000,
    statementTimeoutMs: 15_000,
  }) as const;
const ioredisConfig = (url: string) =>
  ({
    kind: "ioredis",
    url,
    connectTimeoutMs: 15_000,
    commandTimeoutMs: 15_000,
    maxReconnectAttempts: 1,
  }) as const;

async function answer(database: Database, redis: RedisStore) {
  const logger = memoryLogger();
  const response = await healthResponse({
    pingDatabase: () => database.ping(),
    pingRedis: () => redis.ping(),
    // Generous: a cold PGlite (WebAssembly) can take seconds to boot on a busy CI machine, and
    // the "down" cases here fail at once (connection refused), not by timing out. The timeout
    // itself is tested in tests/unit/health.test.ts with fakes.
    timeoutMs: 30_000,
    logger,
  });
  return { status: response.status, body: (await response.json()) as unknown, logger, response };
}

describe.runIf(databaseUrl && redisUrl)("health on PostgreSQL and redis-server", () => {
  let testDb: TestPostgresDatabase;
  const open: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(resource: T) => {
    open.push(resource);
    return resource;
  };

  beforeAll(async () => {
    testDb = await createPostgresDatabase(databaseUrl!);
  });
  afterAll(async () => {
    await Promise.all(open.map((r) => r.close()));
    await testDb.drop();
  });

  it("answers 200 when both answer", async () => {
    const { status, body, response } = await answer(
      track(createDatabase(pgConfig(testDb.url))),
      track(createRedisStore(ioredisConfig(redisUrl!))),
    );
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok", checks: { database: "ok", redis: "ok" } });
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("answers 503 naming redis when Redis is down", async () => {
    const { status, body, logger } = await answer(
      track(createDatabase(pgConfig(testDb.url))),
      track(createRedisStore(ioredisConfig(closedRedis))),
    );
    expect(status).toBe(503);
    expect(body).toEqual({ status: "degraded", checks: { database: "ok", redis: "unreachable" } });
    expect(logger.lines).toContainEqual(expect.objectContaining({ dependency: "redis" }));
  });

  it("answers 503 naming the database when PostgreSQL is down, without leaking details", async () => {
    const { status, body } = await answer(
      track(createDatabase(pgConfig(closedPostgres))),
      track(createRedisStore(ioredisConfig(redisUrl!))),
    );
    expect(status).toBe(503);
    expect(body).toEqual({ status: "degraded", checks: { database: "unreachable", redis: "ok" } });
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/i);
  });
});

describe("health on the embedded backends", () => {
  const database = createDatabase({ kind: "pglite", dataDir: "memory://" });
  const redis = createRedisStore({ kind: "memory" });
  // Opened first, as the server's start-up does: loading PGlite's WebAssembly can take many
  // seconds on a busy machine, and it is not what the health check is about.
  beforeAll(() => database.ping(), 120_000);
  afterAll(async () => {
    await database.close();
    await redis.close();
  });

  it("answers 200 with PGlite and the in-memory store", async () => {
    const { status, body } = await answer(database, redis);
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok", checks: { database: "ok", redis: "ok" } });
  });
});
