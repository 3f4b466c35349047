// The health report behind GET /api/health: each dependency pinged with a time limit, in
// parallel, so one hung dependency cannot make the check itself hang.
import type { Logger } from "@/lib/logger";
import { withTimeout } from "@/lib/timeout";

export type DependencyName = "database" | "redis";
export type CheckResult = "ok" | "unreachable";

export interface HealthReport {
  status: "ok" | "degraded";
  checks: Record<DependencyName, CheckResult>;
}

export interface HealthDeps {
  pingDatabase: () => Promise<void>;
  pingRedis: () => Promise<void>;
  timeoutMs: number;
  logger: Logger;
}

export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const probe = async (name: DependencyName, ping: () => Promise<void>): Promise<CheckResult> => {
    try {
      await withTimeout(ping(), deps.timeoutMs, { what: name });
      return "ok";
    } catch (error) {
      // The details go to the log only: the health answer is public and must not leak
      // hostnames, driver messages or stack traces.
      deps.logger.warn("health check failed", { dependency: name, error });
      return "unreachable";
    }
  };
  const [database, redis] = await Promise.all([
    probe("database", deps.pingDatabase),
    probe("redis", deps.pingRedis),
  ]);
  const checks = { database, redis };
  const ok = Object.values(checks).every((result) => result === "ok");
  return { status: ok ? "ok" : "degraded", checks };
}

/** The HTTP answer: 200 when everything is reachable, 503 naming what is not. */
export async function healthResponse(deps: HealthDeps): Promise<Response> {
  const report = await checkHealth(deps);
  return Response.json(report, {
    status: report.status === "ok" ? 200 : 503,
    // A load balancer must see the state now, never a cached answer.
    headers: { "cache-control": "no-store" },
  });
}
