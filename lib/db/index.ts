// The app's database: one Prisma client plus a raw SQL connection (migrations, health
// checks) over the same underlying connection(s), on PostgreSQL or on embedded PGlite.
//
// No `import "server-only"` here, although this is server-only code: that package throws
// on import outside React's "react-server" export condition, so it breaks `tsx
// scripts/db-migrate.ts` and vitest, which both load this file. Nothing in a client
// component may import it; keep it behind server modules (lib/auth, lib/actions …) that
// carry the marker themselves.
import { once, type Database, type DatabaseOptions } from "@/lib/db/database";
import { createPgliteDatabase } from "@/lib/db/pglite";
import { createPostgresDatabase } from "@/lib/db/postgres";
import type { DatabaseSettings } from "@/lib/env";

export type { Database, DatabaseOptions } from "@/lib/db/database";
export { pgliteConnection } from "@/lib/db/pglite";
export { pgClientConnection, pgPoolConnection } from "@/lib/db/postgres";
export { RollbackFailedError, type SqlConnection } from "@/lib/db/sql-connection";

/** A new database handle. Tests use this directly; the app uses getDatabase. */
export function createDatabase(config: DatabaseSettings, options: DatabaseOptions = {}): Database {
  const logger = options.logger ?? console;
  return config.kind === "postgres"
    ? createPostgresDatabase(config, logger)
    : createPgliteDatabase(config, logger);
}

// Next's dev server re-evaluates modules on every edit; a module-level singleton would open
// a new pool (or a second PGlite on the same folder) each time. globalThis survives that.
const cacheKey = Symbol.for("gatehouse.databases");
type DatabaseCache = Map<string, Database>;

/**
 * The process-wide handle for `config`: created on first use, then shared. Closing it
 * removes it from the cache, so the next call opens a new one.
 */
export function getDatabase(config: DatabaseSettings, options: DatabaseOptions = {}): Database {
  const holder = globalThis as { [cacheKey]?: DatabaseCache };
  const cache = (holder[cacheKey] ??= new Map<string, Database>());
  // The key holds the URL (and its password) only in this process's memory.
  const key = JSON.stringify(config);
  const cached = cache.get(key);
  if (cached) return cached;

  const database = createDatabase(config, options);
  const shared: Database = {
    ...database,
    close: once(async () => {
      cache.delete(key);
      await database.close();
    }),
  };
  cache.set(key, shared);
  return shared;
}
