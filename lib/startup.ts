// The start-up procedure, independent of where its dependencies come from (tests inject
// fakes; lib/root/start.ts wires the real ones): settings are already valid by the time
// this runs; reach the database (migrating it in development) and Redis with bounded
// retries, and fail with a message naming what is unreachable.
import type { Logger } from "@/lib/logger";
import { retry } from "@/lib/retry";

export class StartupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StartupError";
  }
}

export interface StartupDeps {
  logger: Logger;
  /** e.g. "PostgreSQL at db.internal:5432/gatehouse" — never with a password. */
  databaseLabel: string;
  redisLabel: string;
  pingDatabase: () => Promise<void>;
  pingRedis: () => Promise<void>;
  /** Applies pending migrations; null when migrations are a deploy step (production). */
  migrate: (() => Promise<{ applied: string[] }>) | null;
  maxAttempts: number;
  retryBaseMs: number;
  sleep?: (ms: number) => Promise<void>;
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}

async function reach(name: string, label: string, ping: () => Promise<void>, deps: StartupDeps) {
  try {
    await retry(ping, {
      attempts: deps.maxAttempts,
      baseDelayMs: deps.retryBaseMs,
      maxDelayMs: 5_000,
      sleep: deps.sleep,
      onRetry: (error, attempt, delayMs) =>
        deps.logger.warn(`${name} is not reachable yet; retrying`, {
          target: label,
          attempt,
          delayMs,
          reason: reason(error),
        }),
    });
  } catch (error) {
    throw new StartupError(
      `Cannot reach ${name} (${label}) after ${deps.maxAttempts} attempts: ${reason(error)}`,
      { cause: error },
    );
  }
}

export async function startServer(deps: StartupDeps): Promise<void> {
  // Both checks run together: when both are down, one message names both.
  const results = await Promise.allSettled([
    reach("the database", deps.databaseLabel, deps.pingDatabase, deps),
    reach("Redis", deps.redisLabel, deps.pingRedis, deps),
  ]);
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (failures.length > 0) {
    throw new StartupError(failures.map((f) => f.message).join("\n"), { cause: failures[0] });
  }
  if (deps.migrate) {
    try {
      const { applied } = await deps.migrate();
      if (applied.length > 0) deps.logger.info("applied migrations", { applied });
    } catch (error) {
      throw new StartupError(`Database migration failed: ${reason(error)}`, { cause: error });
    }
  }
  deps.logger.info("server ready", { database: deps.databaseLabel, redis: deps.redisLabel });
}

/** A connection URL without its password, fit for logs and error messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname && parsed.pathname !== "/" ? parsed.pathname : "";
    return `${parsed.protocol}//${parsed.hostname}${parsed.port ? `:${parsed.port}` : ""}${path}`;
  } catch {
    return "(unparseable URL)";
  }
}
