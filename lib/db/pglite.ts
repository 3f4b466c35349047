// The embedded database: PGlite (Postgres compiled to WASM) in this process, behind Prisma
// (pglite-prisma-adapter) and behind the raw SQL connection.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

import { PGlite } from "@electric-sql/pglite";
import type { PGliteInterface, Transaction as PGliteTransaction } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";

import { errorText, once, ping, type Database } from "@/lib/db/database";
import { withSavepoint, type SqlConnection } from "@/lib/db/sql-connection";
import type { DatabaseSettings } from "@/lib/env";
import { PrismaClient } from "@/lib/generated/prisma/client";

const MEMORY_DATA_DIR = "memory://";

export function createPgliteDatabase(
  config: Extract<DatabaseSettings, { kind: "pglite" }>,
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

// ---------------------------------------------------------------------------------------
// Its SQL connection (sql-connection.ts)

function pgliteTransactionConnection(tx: PGliteTransaction, depth: number): SqlConnection {
  const connection: SqlConnection = {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await tx.query<T>(sql, [...params])).rows;
    },
    async exec(script: string): Promise<void> {
      await tx.exec(script);
    },
    transaction<T>(fn: (inner: SqlConnection) => Promise<T>): Promise<T> {
      return withSavepoint(tx, depth, pgliteTransactionConnection(tx, depth + 1), fn);
    },
    session<T>(fn: (session: SqlConnection) => Promise<T>): Promise<T> {
      return fn(connection);
    },
  };
  return connection;
}

/**
 * A connection over a PGlite instance (or a clone of one). PGlite is one Postgres backend
 * in this process: there is exactly one session, so `session` is the instance itself, and
 * `transaction` uses PGlite's own, which holds its query mutex until COMMIT/ROLLBACK.
 */
export function pgliteConnection(db: PGliteInterface): SqlConnection {
  const connection: SqlConnection = {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await db.query<T>(sql, [...params])).rows;
    },
    async exec(script: string): Promise<void> {
      await db.exec(script);
    },
    transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
      // PGlite rolls back and rethrows when `fn` throws.
      return db.transaction((tx) => fn(pgliteTransactionConnection(tx, 1)));
    },
    session<T>(fn: (session: SqlConnection) => Promise<T>): Promise<T> {
      return fn(connection);
    },
  };
  return connection;
}
