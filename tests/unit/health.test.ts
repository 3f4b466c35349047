import { describe, expect, it } from "vitest";
import { checkHealth, healthResponse } from "@/lib/health";
import { memoryLogger } from "@/tests/support/logger";

const ok = () => Promise.resolve();
const down = () => Promise.reject(new Error("connect ECONNREFUSED 10.0.0.5:5432"));
const hang = () => new Promise<void>(() => {});

describe("health report", () => {
  it("is ok when every dependency answers", async () => {
    const logger = memoryLogger();
    expect(await checkHealth({ pingDatabase: ok, pingRedis: ok, timeoutMs: 100, logger })).toEqual({
      status: "ok",
      checks: { database: "ok", redis: "ok" },
    });
  });

  it("names the failing dependency and logs the details without exposing them", async () => {
    const logger = memoryLogger();
    const report = await checkHealth({ pingDatabase: down, pingRedis: ok, timeoutMs: 100, logger });
    expect(report).toEqual({
      status: "degraded",
      checks: { database: "unreachable", redis: "ok" },
    });
    expect(JSON.stringify(report)).not.toContain("10.0.0.5");
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: "warn",
        dependency: "database",
        error: expect.objectContaining({
          message: "connect ECONNREFUSED 10.0.0.5:5432",
        }) as unknown,
      }),
    ]);
  });

  // A hung ping would hang this test (and fail it on vitest's timeout) without the limit.
  it("gives up on a hung dependency after its timeout", async () => {
    const report = await checkHealth({
      pingDatabase: ok,
      pingRedis: hang,
      timeoutMs: 50,
      logger: memoryLogger(),
    });
    expect(report.checks.redis).toBe("unreachable");
  });

  it("reports RabbitMQ away as degraded but keeps answering 200: the outbox keeps the work", async () => {
    const logger = memoryLogger();
    let state: "up" | "down" = "down";
    const deps = {
      pingDatabase: ok,
      pingRedis: ok,
      brokerState: () => state,
      timeoutMs: 100,
      logger,
    };
    const away = await healthResponse(deps);
    expect(away.status).toBe(200);
    expect(await away.json()).toEqual({
      status: "degraded",
      checks: { database: "ok", redis: "ok", broker: "unreachable" },
    });
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: "warn",
        message: "health check: RabbitMQ is not connected",
      }),
    ]);

    state = "up";
    expect(await (await healthResponse(deps)).json()).toEqual({
      status: "ok",
      checks: { database: "ok", redis: "ok", broker: "ok" },
    });
    // The database away is still a 503, broker or not.
    const dbDown = await healthResponse({ ...deps, pingDatabase: down });
    expect(dbDown.status).toBe(503);
    expect(await dbDown.json()).toMatchObject({
      checks: { database: "unreachable", broker: "ok" },
    });
  });
});
