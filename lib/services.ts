// The composition root: the one place that turns settings into real dependencies. Route
// handlers, server actions and pages call getServices(); services themselves receive what
// they need as arguments, so tests can wire real test infrastructure instead.
import "server-only";
import { getDatabase, type Database } from "@/lib/db";
import { getSettings, type Settings } from "@/lib/env";
import { createLogger, type Logger } from "@/lib/logger";
import { createRedisStore, type RedisStore } from "@/lib/redis";

export interface Services {
  settings: Settings;
  logger: Logger;
  database: Database;
  redis: RedisStore;
}

// Kept on globalThis so Next's dev hot reload reuses one database (PGlite must not be
// opened twice) and one Redis connection instead of leaking a new one per edit.
const globalForServices = globalThis as typeof globalThis & { gatehouseServices?: Services };

export function getServices(): Services {
  if (!globalForServices.gatehouseServices) {
    const settings = getSettings();
    const logger = createLogger({ level: settings.logLevel });
    globalForServices.gatehouseServices = {
      settings,
      logger,
      database: getDatabase(settings.database),
      redis: createRedisStore(settings.redis, { logger }),
    };
  }
  return globalForServices.gatehouseServices;
}
