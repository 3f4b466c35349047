// The app's database: one Prisma client plus a raw SQL connection (migrations, health
// checks) over the same underlying connection(s), on PostgreSQL or on embedded PGlite.
//
// No `import "server-only"` here, although this is server-only code: that package throws
// on import outside React's "react-server" export condition, so it breaks `tsx
// scripts/db-migrate.ts` and vitest, which both load this file. Nothing in a client
// component may import it; keep it behind server modules (lib/auth, lib/actions …) that
// carry the marker themselves.
import type { Database, DatabaseOptions } from "@/lib/db/database";
import { createPgliteDatabase } from "@/lib/db/pglite";
import { createPostgresDatabase } from "@/lib/db/postgres";
import type { DatabaseSettings } from "@/lib/env";

export type { Database, DatabaseOptions } from "@/lib/db/database";
export { pgliteConnection } from "@/lib/db/pglite";
export { pgClientConnection, pgPoolConnection } from "@/lib/db/postgres";
export { RollbackFailedError, type SqlConnection } from "@/lib/db/sql-connection";

/** A new database handle. The app keeps one (lib/root); tests open their own. */
export function createDatabase(config: DatabaseSettings, options: DatabaseOptions = {}): Database {
  const logger = options.logger ?? console;
  return config.kind === "postgres"
    ? createPostgresDatabase(config, logger)
    : createPgliteDatabase(config, logger);
}
