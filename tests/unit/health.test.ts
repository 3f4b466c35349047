import { afterEach, describe, expect, it, vi } from "vitest";
import { checkHealth, createHealthRoutes, healthResponse, type HealthSources } from "@/lib/health";
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

describe("the probes' route handlers", () => {
  const request = () => new Request("http://localhost/api/health/ready");
  // Services that cannot be built leave no logger: the route wrapper falls back to the console.
  const consoleErrors = () => vi.spyOn(console, "error").mockImplementation(() => {});
  afterEach(() => vi.restoreAllMocks());

  function services(overrides: Partial<HealthSources> = {}) {
    const logger = memoryLogger();
    const sources: HealthSources = {
      settings: { health: { timeoutMs: 100 } },
      logger,
      database: { ping: ok },
      redis: { ping: ok },
      broker: null,
      ...overrides,
    };
    return { sources, logger };
  }

  async function ready(overrides: Partial<HealthSources> = {}) {
    const { sources, logger } = services(overrides);
    const response = await createHealthRoutes(() => sources).ready(request());
    return { response, body: (await response.json()) as unknown, logger };
  }

  it("liveness touches no dependency: it answers while every service throws", async () => {
    let asked = 0;
    const broken = () => {
      throw new Error("liveness must not reach the services");
    };
    const throwing: HealthSources = {
      get settings() {
        return broken();
      },
      get logger() {
        return broken();
      },
      database: { ping: broken },
      redis: { ping: broken },
      broker: { state: broken },
    };
    const routes = createHealthRoutes(() => {
      asked += 1;
      return throwing;
    });
    const printed = consoleErrors();
    const response = routes.live();
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "ok" });
    expect(asked).toBe(0);
    // The same services make readiness fail, so they really are broken.
    expect((await routes.ready(request())).status).toBe(500);
    expect(asked).toBeGreaterThan(0);
    expect(printed).toHaveBeenCalled();
  });

  it("readiness: 200 when PostgreSQL and Redis answer, never cached", async () => {
    const { response, body } = await ready();
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(body).toEqual({ status: "ok", checks: { database: "ok", redis: "ok" } });
  });

  it.each([
    ["database", { database: { ping: down } }],
    ["redis", { redis: { ping: down } }],
    ["database", { database: { ping: hang } }],
    ["redis", { redis: { ping: hang } }],
  ] as const)("readiness: 503 naming %s when it fails or hangs", async (name, overrides) => {
    const { response, body, logger } = await ready(overrides);
    expect(response.status).toBe(503);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(body).toEqual({
      status: "degraded",
      checks: { database: "ok", redis: "ok", [name]: "unreachable" },
    });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ message: "health check failed", dependency: name }),
    );
  });

  it("readiness: RabbitMQ away is named but stays 200, up is ok", async () => {
    const away = await ready({ broker: { state: () => "down" } });
    expect(away.response.status).toBe(200);
    expect(away.body).toEqual({
      status: "degraded",
      checks: { database: "ok", redis: "ok", broker: "unreachable" },
    });
    const up = await ready({ broker: { state: () => "up" } });
    expect(up.response.status).toBe(200);
    expect(up.body).toEqual({
      status: "ok",
      checks: { database: "ok", redis: "ok", broker: "ok" },
    });
  });

  it("readiness: services that cannot be built give a JSON 500 with a reference, no details", async () => {
    const routes = createHealthRoutes(() => {
      throw new Error("DATABASE_URL: invalid url postgres://admin:hunter2@db");
    });
    const printed = consoleErrors();
    const response = await routes.ready(request());
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: "internal_error" });
    expect(text).not.toContain("hunter2");
    expect(JSON.stringify(printed.mock.calls)).not.toContain("hunter2");
  });
});
