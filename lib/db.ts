// The app's database: one Prisma client plus a raw SQL connection (migrations, health
// checks) over the same underlying connection(s), on PostgreSQL or on embedded PGlite.
//
// No `import "server-only"` here, although this is server-only code: that package throws
// on import outside React's "react-server" export condition, so it breaks `tsx
// scripts/db-migrate.ts` and vitest, which both load this file. Nothing in a client
// component may import it; keep it behind server modules (lib/auth, lib/actions …) that
// carry the marker themselves.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";

import { PrismaClient } from "@/lib/generated/prisma/client";
import {
  pgliteConnection,
  pgPoolConnection,
  type SqlConnection,
} from "@/lib/migrations/sql-connection";

export type DatabaseConfig =
  | {
      kind: "postgres";
      url: string;
      poolMax: number;
      connectionTimeoutMs: number;
      idleTimeoutMs: number;
      statementTimeoutMs: number;
    }
  | {
      kind: "pglite";
      /** A folder, created when missing, or "memory://" for a throw-away database. */
      dataDir: string;
    };

export interface Database {
  prisma: PrismaClient;
  sql: SqlConnection;
  kind: DatabaseConfig["kind"];
  /** One round trip (`SELECT 1`): resolves when the database answers. */
  ping(): Promise<void>;
  /** Disconnects Prisma, then closes the pool / PGlite. Safe to call more than once. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Where connection errors that no request is waiting for are reported. */
  logger?: Pick<Console, "error">;
}

const MEMORY_DATA_DIR = "memory://";

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function ping(sql: SqlConnection): Promise<void> {
  await sql.query("SELECT 1");
}

function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

function createPostgresDatabase(
  config: Extract<DatabaseConfig, { kind: "postgres" }>,
  logger: Pick<Console, "error">,
): Database {
  // One pool for Prisma and raw SQL, so DATABASE_POOL_MAX is the whole connection budget
  // of this process.
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax,
    connectionTimeoutMillis: config.connectionTimeoutMs,
    idleTimeoutMillis: config.idleTimeoutMs,
    // Bounds every statement the app sends; the migration runner lifts it per
    // transaction (SET LOCAL), since a schema change is not a request.
    statement_timeout: config.statementTimeoutMs,
  });
  // An idle client losing its server (restart, failover) is emitted on the pool; without
  // a listener Node would crash the process. The pool already drops that client, and the
  // next query opens a new one, so reporting is all that is left to do.
  pool.on("error", (error) => {
    logger.error(`[db] idle PostgreSQL connection failed: ${errorText(error)}`);
  });

  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const sql = pgPoolConnection(pool);
  return {
    prisma,
    sql,
    kind: "postgres",
    ping: () => ping(sql),
    close: once(async () => {
      await prisma.$disconnect();
      await pool.end();
    }),
  };
}

function createPgliteDatabase(
  config: Extract<DatabaseConfig, { kind: "pglite" }>,
  logger: Pick<Console, "error">,
): Database {
  const inMemory = config.dataDir.startsWith(MEMORY_DATA_DIR);
  const dataDir = inMemory ? config.dataDir : resolve(config.dataDir);
  if (!inMemory) {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw new Error(
        `Cannot create the embedded database folder ${dataDir}: ${errorText(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  // ONE PGlite instance serves Prisma and raw SQL: PGlite is a single Postgres backend in
  // this process, and two instances opened on one folder corrupt it.
  const db = new PGlite(dataDir);
  // Every query awaits the start-up itself and fails with its error, which is where it
  // gets handled; this handler only stops Node from calling the first rejection unhandled.
  db.waitReady.catch((error: unknown) => {
    logger.error(`[db] the embedded database at ${dataDir} failed to start: ${errorText(error)}`);
  });

  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  const sql = pgliteConnection(db);
  return {
    prisma,
    sql,
    kind: "pglite",
    ping: () => ping(sql),
    close: once(async () => {
      await prisma.$disconnect();
      await db.close();
    }),
  };
}

/** A new database handle. Tests use this directly; the app uses getDatabase. */
export function createDatabase(config: DatabaseConfig, options: DatabaseOptions = {}): Database {
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
export function getDatabase(config: DatabaseConfig, options: DatabaseOptions = {}): Database {
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
