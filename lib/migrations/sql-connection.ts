// One small SQL interface over the two backends Gatehouse runs on: a real PostgreSQL server
// (node-postgres) and PGlite (Postgres compiled to WASM, in-process). The migration runner
// and anything else that needs raw SQL (health checks, tests) talks to this, never to a
// driver, so the same code path is exercised on both backends.
//
// Values come back as each driver parses them, and they differ: `int8`/`count(*)` is a
// string from node-postgres but a number from PGlite. Cast in SQL (`count(*)::int`,
// `x::text`) when a result must look the same on both.
import type { PGliteInterface, Transaction as PGliteTransaction } from "@electric-sql/pglite";
import type { Client, Pool, PoolClient } from "pg";

export interface SqlConnection {
  /** One statement, with `$1`-style parameters; returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A script of any number of statements, without parameters (simple query protocol). */
  exec(script: string): Promise<void>;
  /**
   * Runs `fn` inside a transaction on one connection: COMMIT when it resolves, ROLLBACK
   * when it throws (the error is rethrown). Nested calls on `tx` use savepoints.
   *
   * On PGlite every query goes through one connection: while a transaction is open,
   * anything not issued through `tx` (including Prisma queries) waits for it to end.
   */
  transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on one dedicated connection, for session state that must not be spread over
   * a pool (advisory locks, `SET`). A pool hands out a client for the duration; a single
   * client, a transaction and PGlite are already one session.
   */
  session<T>(fn: (session: SqlConnection) => Promise<T>): Promise<T>;
}

/** What both node-postgres's Client/PoolClient and a PGlite transaction can do. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

// Savepoint names only need to be unique per nesting level of one connection.
function savepointName(depth: number): string {
  return `gatehouse_savepoint_${depth}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Undoing a failed transaction failed too (typically: the connection dropped). Carries
 * the original failure as `cause`; the connection must not be reused.
 */
export class RollbackFailedError extends Error {
  constructor(statement: string, rollbackError: unknown, original: unknown) {
    super(`${statement} failed (${describe(rollbackError)}) after: ${describe(original)}`, {
      cause: original,
    });
    this.name = "RollbackFailedError";
  }
}

/**
 * A transaction on a connection that already has one open: a savepoint, so a failing
 * inner block undoes only its own work.
 */
async function withSavepoint<T>(
  connection: Queryable,
  depth: number,
  nested: SqlConnection,
  fn: (tx: SqlConnection) => Promise<T>,
): Promise<T> {
  const name = savepointName(depth);
  await connection.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn(nested);
    await connection.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    try {
      await connection.query(`ROLLBACK TO SAVEPOINT ${name}`);
    } catch (rollbackError) {
      // The caller must learn both: its own failure, and that the outer transaction is
      // now in an unknown state (it will fail on COMMIT).
      throw new RollbackFailedError(`ROLLBACK TO SAVEPOINT ${name}`, rollbackError, error);
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// node-postgres

type PgClientLike = Client | PoolClient;

/**
 * A connection over one node-postgres client (a `Client`, or a `PoolClient` checked out
 * of a pool). `depth` counts open transactions on it: 0 = none.
 */
export function pgClientConnection(client: PgClientLike, depth = 0): SqlConnection {
  const connection: SqlConnection = {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = await client.query(sql, [...params]);
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
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = await pool.query(sql, [...params]);
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

// ---------------------------------------------------------------------------------------
// PGlite

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
