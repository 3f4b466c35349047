// The composition root: the one place that turns settings into real dependencies. Route
// handlers, server actions and pages call getServices(); services themselves receive what
// they need as arguments, so tests can wire real test infrastructure instead.
import "server-only";
import { getDatabase, type Database } from "@/lib/db";
import type { Settings } from "@/lib/env";
import type { Logger } from "@/lib/logger";
import { getProtection, type Protection } from "@/lib/protection";
import type { RedisStore } from "@/lib/redis";

export interface Services {
  settings: Settings;
  logger: Logger;
  database: Database;
  redis: RedisStore;
  limiter: Protection["limiter"];
  passwordGuard: Protection["passwordGuard"];
}

// Kept on globalThis so Next's dev hot reload reuses one database (PGlite must not be
// opened twice) and one Redis connection instead of leaking a new one per edit.
const globalForServices = globalThis as typeof globalThis & { gatehouseServices?: Services };

export function getServices(): Services {
  if (!globalForServices.gatehouseServices) {
    // The logger, Redis and the limiter are shared with proxy.ts (lib/protection.ts).
    const { settings, logger, redis, limiter, passwordGuard } = getProtection();
    globalForServices.gatehouseServices = {
      settings,
      logger,
      database: getDatabase(settings.database),
      redis,
      limiter,
      passwordGuard,
    };
  }
  return globalForServices.gatehouseServices;
}
