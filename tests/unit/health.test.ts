import { describe, expect, it } from "vitest";
import { checkHealth } from "@/lib/health";
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
});
