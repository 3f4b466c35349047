// Applies Prisma Migrate folders (`prisma/migrations/<timestamp>_<name>/migration.sql`) to
// PostgreSQL or PGlite without Prisma's native schema engine, which this project cannot
// download (docs/database.md, "Offline / air-gapped installs").
//
// It keeps Prisma's bookkeeping exactly, so `prisma migrate deploy/status` agree with it
// wherever the engine is available: the same `_prisma_migrations` table, one row per
// migration with a random UUID, the SHA-256 (hex) of migration.sql as checksum,
// started_at/finished_at, applied_steps_count = 1 and logs = NULL; the same advisory lock
// key; the same folder order. (Read from prisma-engines: schema-connector's checksum.rs
// and migration_persistence.rs, sql-schema-connector's postgres flavour; and from the
// Prisma CLI's listMigrations.)
//
// Where it deliberately differs: Prisma records a migration's row before running its script
// and, when the script fails, leaves that row marked failed, which blocks every later
// deploy until someone resolves it by hand. Here each migration runs in one transaction
// together with its bookkeeping row, so a failure leaves the database exactly as it was and
// records nothing: fix the SQL and run again. The price: statements that refuse to run in a
// transaction block (CREATE INDEX CONCURRENTLY, ALTER SYSTEM, VACUUM …) cannot appear in a
// migration.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

import type { SqlConnection } from "@/lib/db/sql-connection";
import { sleep } from "@/lib/retry";
import { kept } from "@/lib/process-slot";

/** Prisma Migrate's advisory lock key ("a unique number we chose to identify Migrate"). */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export const MIGRATIONS_TABLE = "_prisma_migrations";

/** The file Prisma reads in each migration folder; nothing else in the folder matters to it. */
export const MIGRATION_SCRIPT_FILE = "migration.sql";

export const MIGRATION_LOCK_FILE = "migration_lock.toml";

// Verbatim from prisma-engines (sql-schema-connector, postgres flavour,
// `create_migrations_table`), so Prisma's own tools find the table they expect.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

// Prisma waits 10 s for the lock; a migration on a large table can take longer than that,
// and the runner that waits is usually a second replica starting at the same time.
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

export interface MigrationLogger {
  info(message: string): void;
  warn(message: string): void;
}

const silentLogger: MigrationLogger = { info: () => {}, warn: () => {} };

/** A migration run that stopped. `migration` names the folder when one was at fault. */
export class MigrationError extends Error {
  readonly migration: string | undefined;

  constructor(message: string, options: { migration?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "MigrationError";
    this.migration = options.migration;
  }
}

export interface MigrationFolder {
  /** The folder name, which is also `migration_name` in `_prisma_migrations`. */
  name: string;
  script: string;
  checksum: string;
}

export interface ApplyMigrationsOptions {
  connection: SqlConnection;
  migrationsDir: string;
  logger?: MigrationLogger;
  /** How long to wait for another runner (or `prisma migrate`) to release the lock. */
  lockTimeoutMs?: number;
}

export interface ApplyMigrationsResult {
  /** Folders applied by this run, in order. */
  applied: string[];
  /** Folders that were already recorded as applied. */
  alreadyApplied: string[];
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  logs: string | null;
  started_at: string;
  finished: boolean;
  rolled_back: boolean;
}

/** SHA-256 of the script as hex, zero-padded: Prisma's `render_checksum`. */
export function migrationChecksum(script: string): string {
  return createHash("sha256").update(script, "utf8").digest("hex");
}

// Prisma accepts a recorded checksum when it matches the script with either line ending,
// because git may check the file out with CRLF on Windows. Same rule here, so a checkout
// on another OS does not warn about an "edited" migration.
function scriptMatchesChecksum(script: string, checksum: string): boolean {
  return [script, script.replaceAll("\r\n", "\n"), script.replaceAll("\n", "\r\n")].some(
    (variant) => migrationChecksum(variant) === checksum,
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The migration folders, in the order Prisma applies them: every sub-directory of
 * `migrationsDir`, sorted with `localeCompare` exactly as the Prisma CLI's
 * `listMigrations` does, each with its `migration.sql`.
 */
export async function readMigrationFolders(migrationsDir: string): Promise<MigrationFolder[]> {
  let entries;
  try {
    entries = await readdir(migrationsDir, { withFileTypes: true });
  } catch (error) {
    throw new MigrationError(
      `Cannot read the migrations directory ${migrationsDir}: ${errorText(error)}`,
      { cause: error },
    );
  }

  await checkLockFileProvider(migrationsDir);

  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));

  return Promise.all(
    names.map(async (name) => {
      const path = join(migrationsDir, name, MIGRATION_SCRIPT_FILE);
      let script: string;
      try {
        script = await readFile(path, "utf8");
      } catch (error) {
        throw new MigrationError(`Migration ${name} has no readable ${path}: ${errorText(error)}`, {
          migration: name,
          cause: error,
        });
      }
      return { name, script, checksum: migrationChecksum(script) };
    }),
  );
}

// Prisma refuses to apply a history written for another database (P3019); a missing lock
// file is accepted, as Prisma does.
async function checkLockFileProvider(migrationsDir: string): Promise<void> {
  const path = join(migrationsDir, MIGRATION_LOCK_FILE);
  let content: string;
  try {
    content = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return;
    throw new MigrationError(`Cannot read ${path}: ${errorText(error)}`, { cause: error });
  }
  const line = content.split("\n").find((candidate) => candidate.startsWith("provider"));
  const provider = line
    ?.replace(/^provider\s*=\s*/, "")
    .trim()
    .replace(/^"|"$/g, "");
  if (provider !== "postgresql") {
    throw new MigrationError(
      `${path} says provider = ${JSON.stringify(provider ?? null)}; ` +
        `these migrations were written for another database than PostgreSQL.`,
    );
  }
}

// The runner wraps every migration in a transaction. A script that commits on its own
// would end that transaction halfway, and a later failure could no longer be undone.
// Only whole-line statements are matched: PL/pgSQL's `BEGIN` is never followed by `;`, and
// `END;` (which also closes PL/pgSQL blocks) is left alone for that reason.
const TRANSACTION_CONTROL =
  /^[ \t]*(BEGIN|START[ \t]+TRANSACTION|COMMIT|ROLLBACK)([ \t]+(WORK|TRANSACTION))?[ \t]*;/im;

function rejectTransactionControl(folder: MigrationFolder): void {
  const match = TRANSACTION_CONTROL.exec(folder.script);
  if (!match) return;
  const line = folder.script.slice(0, match.index).split("\n").length;
  throw new MigrationError(
    `Migration ${folder.name} controls transactions itself ("${match[0].trim()}" at line ${line} of ` +
      `${MIGRATION_SCRIPT_FILE}). The runner already applies each migration in its own transaction; ` +
      `remove the statement.`,
    { migration: folder.name },
  );
}

/** The database error as one line: message, SQLSTATE, and where in migration.sql. */
function describeDatabaseError(error: unknown, script: string): string {
  if (!(error instanceof Error)) return String(error);
  let text = error.message;
  if ("code" in error && typeof error.code === "string") text += ` (SQLSTATE ${error.code})`;
  // Postgres reports a 1-based character offset into the statement string we sent, which
  // for exec() is the whole script.
  if ("position" in error) {
    const position = Number(error.position);
    if (Number.isInteger(position) && position > 0 && position <= script.length + 1) {
      text += ` at line ${script.slice(0, position - 1).split("\n").length} of ${MIGRATION_SCRIPT_FILE}`;
    }
  }
  if ("detail" in error && typeof error.detail === "string" && error.detail) {
    text += ` — ${error.detail}`;
  }
  return text;
}

// pg_try_advisory_lock takes the same session-level lock as Prisma's
// `SELECT pg_advisory_lock(72707369)`, so this runner and `prisma migrate` exclude each
// other. Polling instead of blocking keeps the wait bounded without a statement_timeout,
// which would also cut the migrations themselves short.
async function acquireLock(session: SqlConnection, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delayMs = 50;
  for (;;) {
    const [row] = await session.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY}) AS locked`,
    );
    if (row?.locked) return;
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      throw new MigrationError(
        `Another migration run holds the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})) ` +
          `and did not release it within ${timeoutMs} ms. If no migration is running, a crashed ` +
          `session may still hold it: find it in pg_locks (locktype 'advisory', objid ${PRISMA_MIGRATE_LOCK_KEY}).`,
      );
    }
    await sleep(Math.min(delayMs, remainingMs));
    delayMs = Math.min(delayMs * 2, 1_000);
  }
}

// Looked up in current_schema(), where the unqualified CREATE TABLE puts it and where the
// app's tables live; a table of that name further down the search_path does not count.
async function migrationsTableExists(session: SqlConnection): Promise<boolean> {
  const [row] = await session.query<{ exists: boolean }>(
    `SELECT to_regclass(quote_ident(current_schema()) || '.${MIGRATIONS_TABLE}') IS NOT NULL AS "exists"`,
  );
  return row?.exists === true;
}

// Prisma refuses to start a history on a schema that already holds tables (P3005): the
// first migration would be applied next to, or on top of, tables nobody recorded.
// PostGIS's spatial_ref_sys is ignored, as Prisma does.
async function rejectUnrecordedTables(session: SqlConnection): Promise<void> {
  const rows = await session.query<{ name: string }>(
    `SELECT c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
        AND c.relname <> 'spatial_ref_sys'
      ORDER BY 1`,
  );
  if (rows.length === 0) return;
  throw new MigrationError(
    `The database schema is not empty (tables: ${rows.map((row) => row.name).join(", ")}) but has no ` +
      `${MIGRATIONS_TABLE} table, so nothing says which migrations it already has. Baseline it ` +
      `first (Prisma's guide "Baselining a database": prisma migrate resolve --applied <folder>), ` +
      `or use an empty database.`,
  );
}

async function listRecordedMigrations(session: SqlConnection): Promise<MigrationRow[]> {
  // Booleans and text instead of raw timestamps: the two drivers parse timestamptz alike,
  // but this keeps the rows identical on both without relying on it.
  return session.query<MigrationRow>(
    `SELECT migration_name, checksum, logs, started_at::text AS started_at,
            finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
       FROM ${MIGRATIONS_TABLE}
      ORDER BY started_at`,
  );
}

// A row Prisma left when a script failed: finished_at and rolled_back_at both NULL. The
// database may hold half of that migration; applying anything on top would build on an
// unknown state, so refuse, as `prisma migrate deploy` does (P3009).
function rejectFailedMigrations(rows: readonly MigrationRow[]): void {
  const failed = rows.filter((row) => !row.finished && !row.rolled_back);
  const first = failed[0];
  if (!first) return;
  const logs = first.logs?.trim() ? ` Its logs: ${first.logs.trim()}` : "";
  throw new MigrationError(
    `Migration ${first.migration_name} failed in an earlier run (started ${first.started_at}) and is ` +
      `still marked as failed in ${MIGRATIONS_TABLE}; its changes may be half-applied.${logs} ` +
      `Repair the database by hand, then record the outcome with ` +
      `"prisma migrate resolve --rolled-back ${first.migration_name}" (or --applied), or set ` +
      `rolled_back_at on that row, and run again.`,
    { migration: first.migration_name },
  );
}

function warnAboutDrift(
  folders: readonly MigrationFolder[],
  applied: ReadonlyMap<string, MigrationRow>,
  logger: MigrationLogger,
): void {
  // Prisma also only warns about an edited migration: the database keeps what the old
  // script did, and refusing to start would not change that.
  for (const folder of folders) {
    const row = applied.get(folder.name);
    if (row && !scriptMatchesChecksum(folder.script, row.checksum)) {
      logger.warn(
        `Migration ${folder.name} was modified after it was applied: its ${MIGRATION_SCRIPT_FILE} no ` +
          `longer matches the checksum recorded in ${MIGRATIONS_TABLE}. The database still has the ` +
          `old version; put further changes in a new migration.`,
      );
    }
  }
  const names = new Set(folders.map((folder) => folder.name));
  for (const name of applied.keys()) {
    if (!names.has(name)) {
      logger.warn(
        `Migration ${name} is recorded in ${MIGRATIONS_TABLE} but has no folder in the migrations directory.`,
      );
    }
  }
}

async function applyOne(
  session: SqlConnection,
  folder: MigrationFolder,
  createTable: boolean,
): Promise<void> {
  await session.transaction(async (tx) => {
    // Migrations are not requests: the pool's per-request statement_timeout must not cut a
    // schema change short. SET LOCAL ends with this transaction.
    await tx.exec("SET LOCAL statement_timeout = 0");
    // Created with the first migration, so a failing first migration leaves no trace.
    if (createTable) await tx.exec(CREATE_MIGRATIONS_TABLE);
    const id = randomUUID();
    // The same steps as Prisma: a started row, the script, then the step count and
    // finished_at. clock_timestamp() (not now(), frozen at BEGIN) gives real times.
    await tx.query(
      `INSERT INTO ${MIGRATIONS_TABLE} (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, clock_timestamp(), 0)`,
      [id, folder.checksum, folder.name],
    );
    await tx.exec(folder.script);
    await tx.query(
      `UPDATE ${MIGRATIONS_TABLE}
          SET applied_steps_count = applied_steps_count + 1, finished_at = clock_timestamp()
        WHERE id = $1`,
      [id],
    );
  });
}

// Advisory locks are per session and re-entrant: two runs in this process on PGlite (one
// session) would both "hold" the lock. Runs in one process therefore queue behind each
// other. Kept in the process slot so a module reloaded by Next's dev server shares the queue.
function inProcessQueue<T>(run: () => Promise<T>): Promise<T> {
  const queue = kept<{ tail: Promise<unknown> }>("migrationQueue", () => ({
    tail: Promise.resolve(),
  }));
  const next = queue.tail.then(run);
  // The queue only orders runs; each caller still sees its own result or error.
  queue.tail = next.catch(() => undefined);
  return next;
}

/**
 * Applies every migration folder not yet recorded, in order, each in its own transaction.
 * Throws a MigrationError (naming the folder and the database error) and stops at the
 * first failure; earlier migrations of the same run stay applied.
 */
export function applyMigrations({
  connection,
  migrationsDir,
  logger = silentLogger,
  lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS,
}: ApplyMigrationsOptions): Promise<ApplyMigrationsResult> {
  return inProcessQueue(async () => {
    const folders = await readMigrationFolders(migrationsDir);
    folders.forEach(rejectTransactionControl);

    return connection.session(async (session) => {
      await acquireLock(session, lockTimeoutMs);
      let outcome: { ok: true; result: ApplyMigrationsResult } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, result: await applyPending(session, folders, logger) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      try {
        await session.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_KEY})`);
      } catch (unlockError) {
        // The lock dies with the session, and a session that threw is discarded (see
        // pgPoolConnection), so throwing here is what frees it.
        if (outcome.ok) {
          throw new MigrationError(
            `Migrations were applied, but releasing the migration lock failed: ${errorText(unlockError)}`,
            { cause: unlockError },
          );
        }
        logger.warn(`Releasing the migration lock failed too: ${errorText(unlockError)}`);
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.result;
    });
  });
}

async function applyPending(
  session: SqlConnection,
  folders: readonly MigrationFolder[],
  logger: MigrationLogger,
): Promise<ApplyMigrationsResult> {
  let tableExists = await migrationsTableExists(session);
  const rows = tableExists ? await listRecordedMigrations(session) : [];
  if (!tableExists && folders.length > 0) await rejectUnrecordedTables(session);
  rejectFailedMigrations(rows);

  // Rows marked rolled back (by `prisma migrate resolve`) do not count: Prisma applies
  // such a migration again.
  const applied = new Map(
    rows.filter((row) => !row.rolled_back).map((row) => [row.migration_name, row] as const),
  );
  warnAboutDrift(folders, applied, logger);

  const result: ApplyMigrationsResult = { applied: [], alreadyApplied: [] };
  for (const folder of folders) {
    if (applied.has(folder.name)) {
      result.alreadyApplied.push(folder.name);
      continue;
    }
    const startedAt = Date.now();
    try {
      await applyOne(session, folder, !tableExists);
    } catch (error) {
      throw new MigrationError(
        `Migration ${folder.name} failed and was rolled back: ${describeDatabaseError(error, folder.script)}`,
        { migration: folder.name, cause: error },
      );
    }
    tableExists = true;
    result.applied.push(folder.name);
    logger.info(`Applied ${folder.name} (${Date.now() - startedAt} ms)`);
  }
  return result;
}
