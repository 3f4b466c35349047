// The composition root's protection half: the Redis store, the rate limiter and the password
// guard, built once from settings. Split from lib/services.ts because proxy.ts needs the
// limiter on every request and must not pull the database client into its bundle.
//
// Everything is kept on globalThis: the proxy and the app are bundled separately but run in
// one process, so they share one Redis connection and — with the in-memory backend — one
// set of counters; and Next's dev hot reload reuses them instead of leaking a connection per
// edit.
import { getSettings, type Settings } from "@/lib/env";
import { createLogger, type Logger } from "@/lib/logger";
import { createRateLimitBackend, createRateLimiter, type RateLimiter } from "@/lib/rate-limit";
import { createRedisStore, type RedisStore } from "@/lib/redis";
import { createAccountThrottle } from "@/lib/security/account-throttle";
import { createPasswordGuard, type PasswordGuard } from "@/lib/security/password-guard";

export interface Protection {
  settings: Settings;
  logger: Logger;
  redis: RedisStore;
  limiter: RateLimiter;
  passwordGuard: PasswordGuard;
}

const globalForProtection = globalThis as typeof globalThis & {
  gatehouseProtection?: Protection;
};

export function getProtection(): Protection {
  if (!globalForProtection.gatehouseProtection) {
    const settings = getSettings();
    const logger = createLogger({ level: settings.logLevel });
    const redis = createRedisStore(settings.redis, { logger });
    const limiter = createRateLimiter({
      backend: createRateLimitBackend(redis),
      now: Date.now,
      logger,
      settings: settings.rateLimits,
    });
    const throttle = createAccountThrottle({
      store: redis,
      logger,
      timeoutMs: settings.rateLimits.timeoutMs,
    });
    globalForProtection.gatehouseProtection = {
      settings,
      logger,
      redis,
      limiter,
      passwordGuard: createPasswordGuard({ limiter, throttle, now: Date.now }),
    };
  }
  return globalForProtection.gatehouseProtection;
}
