// The health report behind GET /api/health: each dependency pinged with a time limit, in
// parallel, so one hung dependency cannot make the check itself hang.
//
// RabbitMQ (when AMQP_URL is set) is reported but never makes the answer 503: while it is
// away the outbox keeps the work in PostgreSQL and the instance serves as before, so a load
// balancer must keep sending it traffic. Its state is the connection's own (it reconnects in
// the background), not a ping.
import type { Logger } from "@/lib/logger";
import { withTimeout } from "@/lib/timeout";

export type DependencyName = "database" | "redis" | "broker";
export type CheckResult = "ok" | "unreachable";

export interface HealthReport {
  status: "ok" | "degraded";
  /** The broker only when one is configured. */
  checks: Record<"database" | "redis", CheckResult> & { broker?: CheckResult };
}

export interface HealthDeps {
  pingDatabase: () => Promise<void>;
  pingRedis: () => Promise<void>;
  /** RabbitMQ's connection state, when AMQP_URL is set. */
  brokerState?: () => "up" | "down";
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
  const checks: HealthReport["checks"] = { database, redis };
  if (deps.brokerState) {
    checks.broker = deps.brokerState() === "up" ? "ok" : "unreachable";
    if (checks.broker !== "ok") deps.logger.warn("health check: RabbitMQ is not connected");
  }
  const ok = Object.values(checks).every((result) => result === "ok");
  return { status: ok ? "ok" : "degraded", checks };
}

/** Whether this instance can serve: the database and Redis answer (the broker may not). */
export function canServe(report: HealthReport): boolean {
  return report.checks.database === "ok" && report.checks.redis === "ok";
}

/**
 * The HTTP answer, naming what is unreachable: 503 when the database or Redis is, 200
 * otherwise (with "degraded" while only the broker is away).
 */
export async function healthResponse(deps: HealthDeps): Promise<Response> {
  const report = await checkHealth(deps);
  return Response.json(report, {
    status: canServe(report) ? 200 : 503,
    // A load balancer must see the state now, never a cached answer.
    headers: { "cache-control": "no-store" },
  });
}
