// The health probes (docs/production.md, "Health probes"):
// - GET /api/health/live — liveness: the process answers HTTP. It calls no dependency and
//   does not even build the services: a PostgreSQL or Redis outage must never make an
//   orchestrator restart instances that would come back to the same outage.
// - GET /api/health/ready — readiness: each dependency pinged with a time limit, in
//   parallel, so one hung dependency cannot make the check itself hang; 503 naming the one
//   that does not answer. GET /api/health is the same answer under its older name.
//
// RabbitMQ (when AMQP_URL is set) is reported but never makes the answer 503: while it is
// away the outbox keeps the work in PostgreSQL and the instance serves as before, so a load
// balancer must keep sending it traffic. Its state is the connection's own (it reconnects in
// the background), not a ping.
import { withRouteErrors } from "@/lib/http/route";
import type { Logger } from "@/lib/logger";
import { withTimeout } from "@/lib/timeout";

/** A probe must see the state now, never a cached answer (nor a proxy's copy of one). */
const NO_STORE = { "cache-control": "no-store" };

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
    headers: NO_STORE,
  });
}

/** What the probes read from the composition root (getServices() satisfies it). */
export interface HealthSources {
  settings: { health: { timeoutMs: number } };
  logger: Logger;
  database: { ping(): Promise<void> };
  redis: { ping(): Promise<void> };
  /** null: no AMQP_URL, nothing to report. */
  broker: { state(): "up" | "down" } | null;
}

export interface HealthRoutes {
  /** GET /api/health/live */
  live: () => Response;
  /** GET /api/health/ready, and GET /api/health */
  ready: (request: Request) => Promise<Response>;
}

/**
 * The probes' route handlers. `sources` is called per readiness request (getServices keeps
 * one instance) and never by liveness.
 */
export function createHealthRoutes(sources: () => HealthSources): HealthRoutes {
  return {
    // Not wrapped in withRouteErrors: its logger comes from the services, and nothing here
    // can throw. The proxy adds the request id and the security headers as everywhere.
    live: () => Response.json({ status: "ok" }, { headers: NO_STORE }),
    ready: withRouteErrors(
      () => sources().logger,
      (_request, { logger }) => {
        const { settings, database, redis, broker } = sources();
        return healthResponse({
          pingDatabase: () => database.ping(),
          pingRedis: () => redis.ping(),
          ...(broker ? { brokerState: () => broker.state() } : {}),
          timeoutMs: settings.health.timeoutMs,
          logger,
        });
      },
    ),
  };
}
