// The database on a PostgreSQL server: one node-postgres pool behind Prisma (@prisma/adapter-pg)
// and behind the raw SQL connection.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { Client, Pool, PoolClient, QueryConfig } from "pg";

import { errorText, once, ping, type Database } from "@/lib/db/database";
import {
  RollbackFailedError,
  withSavepoint,
  type QueryOptions,
  type SqlConnection,
} from "@/lib/db/sql-connection";
import type { DatabaseSettings } from "@/lib/env";
import { PrismaClient } from "@/lib/generated/prisma/client";

export function createPostgresDatabase(
  config: Extract<DatabaseSettings, { kind: "postgres" }>,
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

// ---------------------------------------------------------------------------------------
// Its SQL connection (sql-connection.ts)

type PgClientLike = Client | PoolClient;

/** node-postgres's query config: with a name, a prepared statement kept per connection. */
function pgQuery(text: string, params: readonly unknown[], options: QueryOptions): QueryConfig {
  return { text, values: [...params], ...(options.name ? { name: options.name } : {}) };
}

/**
 * A connection over one node-postgres client (a `Client`, or a `PoolClient` checked out
 * of a pool). `depth` counts open transactions on it: 0 = none.
 */
export function pgClientConnection(client: PgClientLike, depth = 0): SqlConnection {
  const connection: SqlConnection = {
    async query<T>(
      sql: string,
      params: readonly unknown[] = [],
      options: QueryOptions = {},
    ): Promise<T[]> {
      const result = await client.query(pgQuery(sql, params, options));
      // node-postgres types rows as `any`; the caller names the row shape it selected.
      return result.rows as T[];
    },
    async exec(script: string): Promise<void> {
      // Without parameters node-postgres uses the simple query protocol, which accepts
      // several statements in one string.
      await client.query(script);
    },
    async transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
      const inner = pgClientConnection(client, depth + 1);
      if (depth > 0) return withSavepoint(client, depth, inner, fn);
      await client.query("BEGIN");
      try {
        const result = await fn(inner);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          throw new RollbackFailedError("ROLLBACK", rollbackError, error);
        }
        throw error;
      }
    },
    session<T>(fn: (session: SqlConnection) => Promise<T>): Promise<T> {
      return fn(connection);
    },
  };
  return connection;
}

/** A connection over a node-postgres pool: each call borrows a client for its duration. */
export function pgPoolConnection(pool: Pool): SqlConnection {
  return {
    async query<T>(
      sql: string,
      params: readonly unknown[] = [],
      options: QueryOptions = {},
    ): Promise<T[]> {
      const result = await pool.query(pgQuery(sql, params, options));
      return result.rows as T[];
    },
    async exec(script: string): Promise<void> {
      await pool.query(script);
    },
    async transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let reusable = true;
      try {
        return await pgClientConnection(client).transaction(fn);
      } catch (error) {
        // A cleanly rolled-back client is fine to reuse; one whose ROLLBACK failed is not.
        if (error instanceof RollbackFailedError) reusable = false;
        throw error;
      } finally {
        client.release(!reusable);
      }
    },
    async session<T>(fn: (session: SqlConnection) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let reusable = true;
      try {
        return await fn(pgClientConnection(client));
      } catch (error) {
        // A session whose work failed may still carry session state (an advisory lock
        // that could not be released, a SET, a half-read socket): destroy the client
        // rather than hand that state to the next borrower.
        reusable = false;
        throw error;
      } finally {
        client.release(!reusable);
      }
    },
  };
}
