// One small SQL interface over the two backends Gatehouse runs on: a real PostgreSQL server
// (node-postgres, postgres.ts) and PGlite (Postgres compiled to WASM, in-process, pglite.ts).
// The migration runner and anything else that needs raw SQL (health checks, tests) talks to
// this, never to a driver, so the same code path is exercised on both backends.
//
// Values come back as each driver parses them, and they differ: `int8`/`count(*)` is a
// string from node-postgres but a number from PGlite. Cast in SQL (`count(*)::int`,
// `x::text`) when a result must look the same on both.
export interface SqlConnection {
  /**
   * One statement, with `$1`-style parameters; returns its rows. `options.name` makes it a
   * named prepared statement on node-postgres (parsed and planned once per connection, for
   * a query run on every request); PGlite runs in process and ignores it.
   */
  query<T = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<T[]>;
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

export interface QueryOptions {
  /** A prepared statement's name: the same name must always mean the same SQL. */
  name?: string;
}

/** What both node-postgres's Client/PoolClient and a PGlite transaction can do. */
export interface Queryable {
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
export async function withSavepoint<T>(
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
