// The composition root's slice for proxy.ts: settings, the logger, the Redis store, the rate
// limiter, the password guard and the process's metrics registry. The proxy runs on every request and imports only this
// file, so the database client never enters its bundle; lib/root/index.ts builds the rest
// on top of the same instance.
import { getSettings, type Settings } from "@/lib/env";
import { createLogger, type LogFormat, type Logger } from "@/lib/logger";
import { createMetrics, type Metrics } from "@/lib/metrics";
import { createRateLimitBackend, createRateLimiter, type RateLimiter } from "@/lib/rate-limit";
import { createRedisStore, type RedisStore } from "@/lib/redis";
import { kept } from "@/lib/process-slot";
import { createAccountThrottle } from "@/lib/security/account-throttle";
import { createPasswordGuard, type PasswordGuard } from "@/lib/security/password-guard";

export interface Protection {
  settings: Settings;
  logger: Logger;
  redis: RedisStore;
  limiter: RateLimiter;
  passwordGuard: PasswordGuard;
  /** The process's one metrics registry (lib/metrics): the limiter counts its decisions here. */
  metrics: Metrics;
}

/**
 * LOG_FORMAT, or when unset: pino-pretty for a person at a terminal in development, JSON for
 * everything else (a pipe, a file, a log collector, production).
 */
export function logFormat(
  settings: Pick<Settings, "logFormat" | "isProduction">,
  stdoutIsTerminal: boolean,
): LogFormat {
  if (settings.logFormat) return settings.logFormat;
  return !settings.isProduction && stdoutIsTerminal ? "pretty" : "json";
}

/** Builds the protection slice from settings (no caching: getProtection keeps one). */
export function createProtection(settings: Settings): Protection {
  const logger = createLogger({
    level: settings.logLevel,
    format: logFormat(settings, process.stdout.isTTY === true),
  });
  const redis = createRedisStore(settings.redis, { logger });
  const metrics = createMetrics({ defaultMetrics: true });
  const limiter = createRateLimiter({
    backend: createRateLimitBackend(redis),
    now: Date.now,
    logger,
    settings: settings.rateLimits,
    metrics,
  });
  const throttle = createAccountThrottle({
    store: redis,
    logger,
    timeoutMs: settings.rateLimits.timeoutMs,
  });
  return {
    settings,
    logger,
    redis,
    limiter,
    passwordGuard: createPasswordGuard({ limiter, throttle, now: Date.now }),
    metrics,
  };
}

/** The process's protection slice, built from the environment's settings on first use. */
export function getProtection(): Protection {
  return kept("protection", () => createProtection(getSettings()));
}
