// The migration runner and the migration history, against a real PostgreSQL server and
// against PGlite: what gets recorded, that re-runs are no-ops, that a failure undoes
// itself, that runs take turns, that Prisma's own schema engine agrees with the result,
// and that every CHECK constraint, ON DELETE rule and the append-only trigger hold.
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { MigrationList } from "@prisma/schema-engine-wasm";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { pgliteConnection, pgPoolConnection, type SqlConnection } from "@/lib/db";
import { openSchemaEngine } from "@/lib/migrations/diff";
import { applyMigrations, MigrationError, PRISMA_MIGRATE_LOCK_KEY } from "@/lib/migrations/runner";
import { createPostgresDatabase } from "@/tests/support/databases";

const migrationsDir = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));
const schemaPath = fileURLToPath(new URL("../../prisma/schema.prisma", import.meta.url));
const serverUrl = inject("databaseUrl");

// ---------------------------------------------------------------------------------------
// Fresh databases on each backend

interface FreshDatabase {
  connection: SqlConnection;
  /** Another connection to the same database (a separate session on PostgreSQL). */
  openConnection(): SqlConnection;
  /** A Prisma driver adapter factory on this database, for Prisma's own schema engine. */
  adapterFactory(): PrismaPg | PrismaPGlite;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  available: boolean;
  fresh(): Promise<FreshDatabase>;
  teardown(): Promise<void>;
}

function postgresBackend(): Backend {
  return {
    name: "PostgreSQL",
    available: serverUrl !== null,
    async fresh() {
      if (serverUrl === null) throw new Error("no PostgreSQL server for this run");
      const database = await createPostgresDatabase(serverUrl);
      const pools: pg.Pool[] = [];
      const openPool = () => {
        const pool = new pg.Pool({ connectionString: database.url, max: 3 });
        // pool.end() resolves before its sockets are closed, so the DROP DATABASE … WITH
        // (FORCE) in close() can still terminate one (57P01). Anything else is a real problem.
        pool.on("error", (error) => {
          if (!("code" in error && error.code === "57P01")) throw error;
        });
        pools.push(pool);
        return pool;
      };
      return {
        connection: pgPoolConnection(openPool()),
        openConnection: () => pgPoolConnection(openPool()),
        adapterFactory: () => new PrismaPg(openPool()),
        async close() {
          await Promise.all(pools.map((pool) => pool.end()));
          await database.drop();
        },
      };
    },
    async teardown() {},
  };
}

function pgliteBackend(): Backend {
  // Booting PGlite takes seconds here; cloning a booted, empty instance takes about one.
  let template: Promise<PGlite> | undefined;
  return {
    name: "PGlite",
    available: true,
    async fresh() {
      template ??= PGlite.create();
      const db = await (await template).clone();
      // clone() is typed as the interface; PrismaPGlite wants the class it really is.
      if (!(db instanceof PGlite)) throw new Error("PGlite.clone() returned something else");
      return {
        connection: pgliteConnection(db),
        // One PGlite is one session: a second "connection" is the same one.
        openConnection: () => pgliteConnection(db),
        adapterFactory: () => new PrismaPGlite(db),
        close: () => db.close(),
      };
    },
    async teardown() {
      await (await template)?.close();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Helpers

interface RecordedMigration {
  id: string;
  checksum: string;
  migration_name: string;
  logs: string | null;
  applied_steps_count: number;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function recordedMigrations(connection: SqlConnection): Promise<RecordedMigration[]> {
  return connection.query<RecordedMigration>(
    `SELECT id, checksum, migration_name, logs, applied_steps_count::int AS applied_steps_count,
            started_at, finished_at, rolled_back_at
       FROM _prisma_migrations ORDER BY started_at`,
  );
}

/** Everything a migration could change, as text: compared before and after a run. */
async function databaseFingerprint(connection: SqlConnection): Promise<string> {
  const [row] = await connection.query<{ fingerprint: string | null }>(`
    SELECT string_agg(line, E'\\n' ORDER BY line) AS fingerprint FROM (
      SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' ||
             is_nullable || ' ' || coalesce(column_default, '') AS line
        FROM information_schema.columns WHERE table_schema = current_schema()
      UNION ALL
      SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
      UNION ALL
      SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()
      UNION ALL
      SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
      UNION ALL
      SELECT 'type ' || typname FROM pg_type
       WHERE typnamespace = current_schema()::regnamespace AND typtype = 'e'
      UNION ALL
      SELECT 'history ' || coalesce((SELECT json_agg(m ORDER BY migration_name)::text
                                       FROM _prisma_migrations m), '[]')
       WHERE to_regclass('_prisma_migrations') IS NOT NULL
      UNION ALL
      SELECT 'verification tokens ' || count(*)::text FROM "VerificationToken"
       WHERE to_regclass('"VerificationToken"') IS NOT NULL
    ) lines`);
  return row?.fingerprint ?? "";
}

async function tableExists(connection: SqlConnection, name: string): Promise<boolean> {
  const [row] = await connection.query<{ exists: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS "exists"`,
    [`"${name}"`],
  );
  return row?.exists === true;
}

/** The real migration folders and their checksums, read independently of the runner. */
async function expectedMigrations(): Promise<{ name: string; checksum: string }[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      checksum: createHash("sha256")
        .update(await readFile(join(migrationsDir, name, "migration.sql")))
        .digest("hex"),
    })),
  );
}

/** A scratch copy of the real migrations directory, plus extra folders. */
async function migrationsCopy(extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-migrations-"));
  await cp(migrationsDir, dir, { recursive: true });
  for (const [folder, sql] of Object.entries(extra)) {
    await mkdir(join(dir, folder));
    await writeFile(join(dir, folder, "migration.sql"), sql);
  }
  return dir;
}

/** What the Prisma CLI hands its engine: the lock file and each folder's migration.sql. */
async function prismaMigrationsList(dir: string): Promise<MigrationList> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  names.sort((a, b) => a.localeCompare(b));
  return {
    baseDir: dir,
    lockfile: {
      path: "migration_lock.toml",
      content: await readFile(join(dir, "migration_lock.toml"), "utf8"),
    },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: {
          path: "migration.sql",
          content: {
            tag: "ok" as const,
            value: await readFile(join(dir, name, "migration.sql"), "utf8"),
          },
        },
      })),
    ),
  };
}

const noFilters = { externalTables: [], externalEnums: [] };

function collectingLogger() {
  const warnings: string[] = [];
  return {
    warnings,
    logger: { info: () => {}, warn: (message: string) => warnings.push(message) },
  };
}

/**
 * The constraint names in the "CHECK: … (name)" comments of schema.prisma, sorted: the
 * schema's promise of what the migrations enforce.
 */
function checkConstraintsListedIn(schema: string): string[] {
  const names: string[] = [];
  for (const block of schema.matchAll(/(?:^[ \t]*\/\/.*\n?)+/gm)) {
    const text = block[0].replace(/^[ \t]*\/\/ ?/gm, "").replace(/\n/g, " ");
    const check = text.indexOf("CHECK:");
    if (check === -1) continue;
    for (const group of text.slice(check).matchAll(/\(([a-z0-9_]+(?:,\s*[a-z0-9_]+)*)\)/g)) {
      names.push(...(group[1] ?? "").split(/,\s*/));
    }
  }
  return names.sort();
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

// ---------------------------------------------------------------------------------------

const backends = [postgresBackend(), pgliteBackend()];

describe.each(backends)("migrations on $name", (backend) => {
  // The PostgreSQL variant runs only where a server is installed (the setup says so).
  describe.runIf(backend.available)("runner", () => {
    let db: FreshDatabase;
    let firstRun: Awaited<ReturnType<typeof applyMigrations>>;
    const scratchDirs: string[] = [];
    const scratch = async (extra?: Record<string, string>) => {
      const dir = await migrationsCopy(extra);
      scratchDirs.push(dir);
      return dir;
    };

    beforeAll(async () => {
      db = await backend.fresh();
      firstRun = await applyMigrations({ connection: db.connection, migrationsDir });
    });

    afterAll(async () => {
      await db?.close();
      await backend.teardown();
      await Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    });

    it("applies every folder in order and records it the way Prisma Migrate does", async () => {
      const expected = await expectedMigrations();
      expect(expected.length).toBeGreaterThan(0);
      expect(firstRun).toEqual({ applied: expected.map((m) => m.name), alreadyApplied: [] });

      const rows = await recordedMigrations(db.connection);
      expect(rows.map((row) => row.migration_name)).toEqual(expected.map((m) => m.name));
      rows.forEach((row, index) => {
        expect(row.id).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        expect(row.checksum).toBe(expected[index]?.checksum);
        expect(row.logs).toBeNull();
        expect(row.applied_steps_count).toBe(1);
        expect(row.rolled_back_at).toBeNull();
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.finished_at?.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      });
    });

    it("creates _prisma_migrations with Prisma's exact column definitions", async () => {
      const columns = await db.connection.query(
        `SELECT column_name, data_type, character_maximum_length::int AS length, is_nullable, column_default
           FROM information_schema.columns
          WHERE table_name = '_prisma_migrations' AND table_schema = current_schema()
          ORDER BY ordinal_position`,
      );
      expect(columns).toEqual([
        {
          column_name: "id",
          data_type: "character varying",
          length: 36,
          is_nullable: "NO",
          column_default: null,
        },
        {
          column_name: "checksum",
          data_type: "character varying",
          length: 64,
          is_nullable: "NO",
          column_default: null,
        },
        {
          column_name: "finished_at",
          data_type: "timestamp with time zone",
          length: null,
          is_nullable: "YES",
          column_default: null,
        },
        {
          column_name: "migration_name",
          data_type: "character varying",
          length: 255,
          is_nullable: "NO",
          column_default: null,
        },
        {
          column_name: "logs",
          data_type: "text",
          length: null,
          is_nullable: "YES",
          column_default: null,
        },
        {
          column_name: "rolled_back_at",
          data_type: "timestamp with time zone",
          length: null,
          is_nullable: "YES",
          column_default: null,
        },
        {
          column_name: "started_at",
          data_type: "timestamp with time zone",
          length: null,
          is_nullable: "NO",
          column_default: "now()",
        },
        {
          column_name: "applied_steps_count",
          data_type: "integer",
          length: null,
          is_nullable: "NO",
          column_default: "0",
        },
      ]);
    });

    it("applies nothing and changes nothing when run again", async () => {
      const before = await databaseFingerprint(db.connection);
      const expected = await expectedMigrations();

      const again = await applyMigrations({ connection: db.connection, migrationsDir });

      expect(again).toEqual({ applied: [], alreadyApplied: expected.map((m) => m.name) });
      expect(await databaseFingerprint(db.connection)).toBe(before);
    });

    it("rolls a failing migration back completely and names its folder", async () => {
      const broken = "29991231235959_broken";
      const dir = await scratch({
        [broken]: [
          `CREATE TABLE "BrokenMigrationProbe" ("id" INTEGER NOT NULL);`,
          `INSERT INTO "VerificationToken" ("identifier", "token", "expires") VALUES ('probe', 'probe', '2999-01-01');`,
          `INSERT INTO "NoSuchTable" ("x") VALUES (1);`,
        ].join("\n"),
      });
      const before = await databaseFingerprint(db.connection);

      const error = await captureError(
        applyMigrations({ connection: db.connection, migrationsDir: dir }),
      );

      expect(error).toBeInstanceOf(MigrationError);
      expect(error).toMatchObject({ migration: broken });
      const message = (error as MigrationError).message;
      expect(message).toContain(broken);
      expect(message).toContain('relation "NoSuchTable" does not exist');
      expect(message).toContain("line 3 of migration.sql");
      expect(await tableExists(db.connection, "BrokenMigrationProbe")).toBe(false);
      expect(await databaseFingerprint(db.connection)).toBe(before);
      const names = (await recordedMigrations(db.connection)).map((row) => row.migration_name);
      expect(names).not.toContain(broken);
    });

    it("leaves no trace, not even the history table, when the first migration fails", async () => {
      const fresh = await backend.fresh();
      try {
        const dir = await mkdtemp(join(tmpdir(), "gatehouse-migrations-"));
        scratchDirs.push(dir);
        await mkdir(join(dir, "20000101000000_first"));
        await writeFile(
          join(dir, "20000101000000_first", "migration.sql"),
          `CREATE TABLE "Probe" ("id" INTEGER);\nSELECT 1 / 0;\n`,
        );

        const error = await captureError(
          applyMigrations({ connection: fresh.connection, migrationsDir: dir }),
        );

        expect(error).toBeInstanceOf(MigrationError);
        expect((error as Error).message).toMatch(/20000101000000_first.*division by zero/);
        expect(await tableExists(fresh.connection, "Probe")).toBe(false);
        expect(await tableExists(fresh.connection, "_prisma_migrations")).toBe(false);
      } finally {
        await fresh.close();
      }
    });

    it("refuses a script that commits on its own, before touching the database", async () => {
      const folder = "29991231235959_commits";
      const dir = await scratch({
        [folder]: `CREATE TABLE "Committed" ("id" INTEGER);\nCOMMIT;\n`,
      });

      const error = await captureError(
        applyMigrations({ connection: db.connection, migrationsDir: dir }),
      );

      expect(error).toBeInstanceOf(MigrationError);
      expect((error as Error).message).toContain(
        `${folder} controls transactions itself ("COMMIT;" at line 2`,
      );
      expect(await tableExists(db.connection, "Committed")).toBe(false);
    });

    it("warns about an applied migration whose file changed, but not about line endings", async () => {
      const [first] = await expectedMigrations();
      if (!first) throw new Error("no migrations");
      const edited = await scratch();
      const file = join(edited, first.name, "migration.sql");
      const original = await readFile(file, "utf8");
      await writeFile(file, `${original}\n-- an edit after the fact\n`);
      const crlf = await scratch();
      await writeFile(join(crlf, first.name, "migration.sql"), original.replaceAll("\n", "\r\n"));

      const editedRun = collectingLogger();
      const result = await applyMigrations({
        connection: db.connection,
        migrationsDir: edited,
        ...editedRun,
      });
      const crlfRun = collectingLogger();
      await applyMigrations({ connection: db.connection, migrationsDir: crlf, ...crlfRun });

      expect(result.applied).toEqual([]);
      expect(editedRun.warnings).toEqual([
        expect.stringContaining(`${first.name} was modified after it was applied`),
      ]);
      expect(crlfRun.warnings).toEqual([]);
    });

    it("refuses to build on a migration Prisma left failed, and retries it once resolved", async () => {
      const fresh = await backend.fresh();
      try {
        await applyMigrations({ connection: fresh.connection, migrationsDir });
        const folder = "29991231235959_half_done";
        const dir = await scratch({ [folder]: `CREATE TABLE "HalfDone" ("id" INTEGER);` });
        // What `prisma migrate deploy` leaves when a script fails halfway.
        await fresh.connection.query(
          `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
           VALUES ('00000000-0000-4000-8000-000000000001', $1, $2, 'ERROR: boom', now(), 0)`,
          ["0".repeat(64), folder],
        );

        const error = await captureError(
          applyMigrations({ connection: fresh.connection, migrationsDir: dir }),
        );

        expect(error).toBeInstanceOf(MigrationError);
        expect((error as Error).message).toContain(`${folder} failed in an earlier run`);
        expect((error as Error).message).toContain(
          `prisma migrate resolve --rolled-back ${folder}`,
        );
        expect(await tableExists(fresh.connection, "HalfDone")).toBe(false);

        // `prisma migrate resolve --rolled-back` sets rolled_back_at; Prisma then applies it again.
        await fresh.connection.query(
          `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1`,
          [folder],
        );
        const retry = await applyMigrations({ connection: fresh.connection, migrationsDir: dir });
        expect(retry.applied).toEqual([folder]);
        expect(await tableExists(fresh.connection, "HalfDone")).toBe(true);
      } finally {
        await fresh.close();
      }
    });

    it("refuses a database that has tables but no migration history", async () => {
      const fresh = await backend.fresh();
      try {
        await fresh.connection.exec(`CREATE TABLE "Legacy" ("id" INTEGER)`);

        const error = await captureError(
          applyMigrations({ connection: fresh.connection, migrationsDir }),
        );

        expect(error).toBeInstanceOf(MigrationError);
        expect((error as Error).message).toMatch(/not empty \(tables: Legacy\)/);
        expect(await tableExists(fresh.connection, "User")).toBe(false);
      } finally {
        await fresh.close();
      }
    });

    it("lets two runs started together take turns", async () => {
      const fresh = await backend.fresh();
      try {
        const expected = (await expectedMigrations()).map((m) => m.name);

        const runs = await Promise.all([
          applyMigrations({ connection: fresh.connection, migrationsDir }),
          applyMigrations({ connection: fresh.openConnection(), migrationsDir }),
        ]);

        const appliedByEach = runs.map((run) => run.applied);
        expect(appliedByEach).toContainEqual(expected);
        expect(appliedByEach).toContainEqual([]);
        expect(
          (await recordedMigrations(fresh.connection)).map((row) => row.migration_name),
        ).toEqual(expected);
      } finally {
        await fresh.close();
      }
    });

    // Only a server has other sessions that can hold the lock; PGlite is one session.
    if (backend.name === "PostgreSQL") {
      it("waits for Prisma's advisory lock, within a bound", async () => {
        const holder = db.openConnection();
        await holder.session(async (session) => {
          await session.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})`);
          try {
            const error = await captureError(
              applyMigrations({ connection: db.connection, migrationsDir, lockTimeoutMs: 300 }),
            );
            expect(error).toBeInstanceOf(MigrationError);
            expect((error as Error).message).toContain(
              `pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})`,
            );
          } finally {
            await session.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_KEY})`);
          }
        });
        const result = await applyMigrations({
          connection: db.connection,
          migrationsDir,
          lockTimeoutMs: 300,
        });
        expect(result.applied).toEqual([]);
      });
    }

    it("satisfies Prisma's own schema engine: nothing edited, failed or pending", async () => {
      const engine = await openSchemaEngine({ adapterFactory: db.adapterFactory() });
      try {
        const migrationsList = await prismaMigrationsList(migrationsDir);
        const diagnosis = await engine.diagnoseMigrationHistory({
          migrationsList,
          optInToShadowDatabase: false,
          filters: noFilters,
        });
        expect(diagnosis).toMatchObject({
          editedMigrationNames: [],
          failedMigrationNames: [],
          hasMigrationsTable: true,
          history: null,
        });
        const applied = await engine.applyMigrations({ migrationsList, filters: noFilters });
        expect(applied.appliedMigrationNames).toEqual([]);
      } finally {
        engine.free();
      }
    });

    // Only through PGlite: @prisma/adapter-pg's executeScript splits a script on every ";",
    // which cuts the append-only trigger's PL/pgSQL body apart. (Prisma's native engine,
    // which `prisma migrate deploy` uses with a URL, sends the script whole.)
    if (backend.name === "PGlite") {
      it("accepts a history written by Prisma's own schema engine", async () => {
        const fresh = await backend.fresh();
        const engine = await openSchemaEngine({ adapterFactory: fresh.adapterFactory() });
        try {
          const expected = (await expectedMigrations()).map((m) => m.name);
          const byPrisma = await engine.applyMigrations({
            migrationsList: await prismaMigrationsList(migrationsDir),
            filters: noFilters,
          });
          expect(byPrisma.appliedMigrationNames).toEqual(expected);

          const { warnings, logger } = collectingLogger();
          const result = await applyMigrations({
            connection: fresh.connection,
            migrationsDir,
            logger,
          });

          expect(result).toEqual({ applied: [], alreadyApplied: expected });
          expect(warnings).toEqual([]);
        } finally {
          engine.free();
          await fresh.close();
        }
      });
    }

    // ------------------------------------------------------------------------------------
    // Integrity the migration adds by hand

    describe("constraints", () => {
      const T0 = "2026-01-01T00:00:00.000Z";
      const T1 = "2026-01-02T00:00:00.000Z";
      const BEFORE_T0 = "2025-12-31T23:59:59.000Z";
      const userId = "check-fixture-user";
      const argon2idHash =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObGq8CKvHDZ8c0";

      async function insert(
        connection: SqlConnection,
        table: string,
        row: Record<string, unknown>,
      ) {
        const columns = Object.keys(row);
        await connection.query(
          `INSERT INTO "${table}" (${columns.map((column) => `"${column}"`).join(", ")})
           VALUES (${columns.map((_, index) => `$${index + 1}`).join(", ")})`,
          Object.values(row),
        );
      }

      class RolledBack extends Error {}

      /** Runs `fn` in a transaction that is always rolled back: the database stays as it was. */
      async function rolledBack(fn: (tx: SqlConnection) => Promise<void>): Promise<void> {
        await db.connection
          .transaction(async (tx) => {
            await fn(tx);
            throw new RolledBack();
          })
          .catch((error: unknown) => {
            if (!(error instanceof RolledBack)) throw error;
          });
      }

      beforeAll(async () => {
        await insert(db.connection, "User", {
          id: userId,
          email: "fixture@example.com",
          updatedAt: T0,
        });
      });

      const emailToken = {
        tokenHash: "b".repeat(64),
        userId,
        kind: "RESET_PASSWORD",
        email: "a@b.com",
        createdAt: T0,
        expiresAt: T1,
      };
      const totpCredential = {
        userId,
        secret: "v1.bm90LWEtcmVhbC1zZWFsLWJ1dC13ZWxsLWZvcm1lZA",
        createdAt: T0,
      };
      const recoveryCode = {
        id: "check-recovery-code",
        userId,
        hash: "c".repeat(64),
        createdAt: T0,
      };
      const pendingSignIn = {
        tokenHash: "d".repeat(64),
        userId,
        method: "password",
        returnTo: "/account",
        createdAt: T0,
        expiresAt: T1,
      };
      const waitingApproval = {
        ...pendingSignIn,
        approvalId: "A".repeat(22),
        approval: "WAITING",
        approvalChatId: 42,
      };
      const passkey = {
        id: "check-passkey",
        userId,
        credentialId: "Y3JlZGVudGlhbC1pZA",
        publicKey: Buffer.from([0xa5, 0x01, 0x02]),
        counter: 0,
        transports: ["internal", "hybrid"],
        deviceType: "SINGLE_DEVICE",
        backedUp: false,
        userHandle: "h".repeat(43),
        aaguid: "adce0002-35bc-c60a-648b-0b25f1f05503",
        name: "Work laptop",
        createdAt: T0,
      };
      const registerChallenge = {
        idHash: "d".repeat(64),
        purpose: "register",
        challenge: "c".repeat(43),
        userId,
        userHandle: "h".repeat(43),
        createdAt: T0,
        expiresAt: T1,
      };
      const signInChallenge = {
        idHash: "e".repeat(64),
        purpose: "sign-in",
        challenge: "c".repeat(43),
        createdAt: T0,
        expiresAt: T1,
      };
      const cases: {
        constraint: string;
        table: string;
        valid: Record<string, unknown>;
        invalid: Record<string, unknown>[];
      }[] = [
        {
          constraint: "users_email_normalized",
          table: "User",
          valid: { id: "check-user", email: "a@b.com", updatedAt: T0 },
          invalid: [
            { email: " A@B.com" },
            { email: "A@b.com" },
            { email: "a@b.com " },
            { email: "" },
          ],
        },
        {
          constraint: "accounts_provider_nonempty",
          table: "Account",
          valid: {
            id: "check-account",
            userId,
            type: "oauth",
            provider: "github",
            providerAccountId: "42",
            updatedAt: T0,
          },
          invalid: [{ provider: "" }, { provider: "   " }],
        },
        {
          constraint: "accounts_provider_account_id_nonempty",
          table: "Account",
          valid: {
            id: "check-account",
            userId,
            type: "oauth",
            provider: "github",
            providerAccountId: "42",
            updatedAt: T0,
          },
          invalid: [{ providerAccountId: "" }, { providerAccountId: " " }],
        },
        {
          constraint: "sessions_expires_after_created",
          table: "Session",
          valid: {
            id: "check-session",
            sessionToken: "check-token",
            userId,
            expires: T1,
            createdAt: T0,
            lastSeenAt: T0,
          },
          invalid: [{ expires: T0 }, { expires: BEFORE_T0 }],
        },
        {
          constraint: "sessions_last_seen_after_created",
          table: "Session",
          valid: {
            id: "check-session",
            sessionToken: "check-token",
            userId,
            expires: T1,
            createdAt: T0,
            lastSeenAt: T0,
          },
          invalid: [{ lastSeenAt: BEFORE_T0 }],
        },
        {
          constraint: "verification_tokens_identifier_nonempty",
          table: "VerificationToken",
          valid: { identifier: "a@b.com", token: "check-token", expires: T1, createdAt: T0 },
          invalid: [{ identifier: "" }, { identifier: "  " }],
        },
        {
          constraint: "verification_tokens_expires_after_created",
          table: "VerificationToken",
          valid: { identifier: "a@b.com", token: "check-token", expires: T1, createdAt: T0 },
          invalid: [{ expires: T0 }, { expires: BEFORE_T0 }],
        },
        {
          constraint: "password_credentials_argon2id",
          table: "PasswordCredential",
          valid: { userId, hash: argon2idHash, updatedAt: T0 },
          invalid: [
            { hash: "hunter2" },
            { hash: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW" },
            { hash: argon2idHash.replace("$argon2id$", "$argon2i$") },
            { hash: `${argon2idHash} ` },
          ],
        },
        {
          constraint: "security_events_method_nonempty",
          table: "SecurityEvent",
          valid: { id: "check-event", userId, type: "SIGN_IN", method: "password" },
          invalid: [{ method: "" }, { method: " " }],
        },
        {
          constraint: "telegram_link_tokens_hash_format",
          table: "TelegramLinkToken",
          valid: { tokenHash: "a".repeat(64), userId, createdAt: T0, expiresAt: T1 },
          invalid: [
            { tokenHash: "A".repeat(64) },
            { tokenHash: "a".repeat(63) },
            { tokenHash: "g".repeat(64) },
            { tokenHash: "raw-token" },
          ],
        },
        {
          constraint: "telegram_link_tokens_expires_after_created",
          table: "TelegramLinkToken",
          valid: { tokenHash: "a".repeat(64), userId, createdAt: T0, expiresAt: T1 },
          invalid: [{ expiresAt: T0 }, { expiresAt: BEFORE_T0 }],
        },
        {
          constraint: "telegram_link_tokens_used_after_created",
          table: "TelegramLinkToken",
          valid: { tokenHash: "a".repeat(64), userId, createdAt: T0, expiresAt: T1, usedAt: T0 },
          invalid: [{ usedAt: BEFORE_T0 }],
        },
        {
          constraint: "email_tokens_hash_format",
          table: "EmailToken",
          valid: emailToken,
          invalid: [
            { tokenHash: "B".repeat(64) },
            { tokenHash: "b".repeat(65) },
            { tokenHash: "z".repeat(64) },
            { tokenHash: "A".repeat(43) },
          ],
        },
        {
          constraint: "email_tokens_expires_after_created",
          table: "EmailToken",
          valid: emailToken,
          invalid: [{ expiresAt: T0 }, { expiresAt: BEFORE_T0 }],
        },
        {
          constraint: "email_tokens_used_after_created",
          table: "EmailToken",
          valid: { ...emailToken, usedAt: T0 },
          invalid: [{ usedAt: BEFORE_T0 }],
        },
        {
          constraint: "email_tokens_email_normalized",
          table: "EmailToken",
          valid: emailToken,
          invalid: [
            { email: "A@b.com" },
            { email: " a@b.com" },
            { email: "a@b.com " },
            { email: "" },
          ],
        },
        {
          constraint: "totp_credentials_secret_sealed",
          table: "TotpCredential",
          valid: totpCredential,
          invalid: [
            // A bare base32 key, upper or lower case; an empty seal; another version.
            { secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" },
            { secret: "jbswy3dpehpk3pxpjbswy3dpehpk3pxp" },
            { secret: "v1." },
            { secret: "v2.AAAA" },
            { secret: "v1.AAAA=" },
            { secret: "" },
          ],
        },
        {
          constraint: "totp_credentials_confirmed_after_created",
          table: "TotpCredential",
          valid: { ...totpCredential, confirmedAt: T1, lastUsedStep: 59_000_000 },
          invalid: [{ confirmedAt: BEFORE_T0 }],
        },
        {
          constraint: "totp_credentials_step_when_confirmed",
          table: "TotpCredential",
          valid: { ...totpCredential, confirmedAt: T1, lastUsedStep: 59_000_000 },
          invalid: [{ lastUsedStep: null }, { confirmedAt: null }],
        },
        {
          constraint: "totp_credentials_step_positive",
          table: "TotpCredential",
          valid: { ...totpCredential, confirmedAt: T1, lastUsedStep: 59_000_000 },
          invalid: [{ lastUsedStep: 0 }, { lastUsedStep: -1 }],
        },
        {
          constraint: "recovery_codes_hash_format",
          table: "RecoveryCode",
          valid: recoveryCode,
          invalid: [
            { hash: "C".repeat(64) },
            { hash: "c".repeat(63) },
            { hash: "x".repeat(64) },
            // A code in clear, as handed out.
            { hash: "7k2mq-x9d4r" },
          ],
        },
        {
          constraint: "recovery_codes_used_after_created",
          table: "RecoveryCode",
          valid: { ...recoveryCode, usedAt: T0 },
          invalid: [{ usedAt: BEFORE_T0 }],
        },
        {
          constraint: "pending_sign_ins_hash_format",
          table: "PendingSignIn",
          valid: pendingSignIn,
          invalid: [
            { tokenHash: "D".repeat(64) },
            { tokenHash: "d".repeat(63) },
            // A token in clear, as the cookie carries it.
            { tokenHash: "q".repeat(43) },
          ],
        },
        {
          constraint: "pending_sign_ins_expires_after_created",
          table: "PendingSignIn",
          valid: pendingSignIn,
          invalid: [{ expiresAt: T0 }, { expiresAt: BEFORE_T0 }],
        },
        {
          constraint: "pending_sign_ins_failed_attempts_range",
          table: "PendingSignIn",
          valid: { ...pendingSignIn, failedAttempts: 4 },
          invalid: [{ failedAttempts: -1 }],
        },
        {
          constraint: "pending_sign_ins_method_nonempty",
          table: "PendingSignIn",
          valid: pendingSignIn,
          invalid: [{ method: "" }],
        },
        {
          constraint: "pending_sign_ins_return_to_path",
          table: "PendingSignIn",
          valid: pendingSignIn,
          invalid: [
            { returnTo: "https://evil.example/" },
            { returnTo: "//evil.example/" },
            { returnTo: "/\\evil.example" },
            { returnTo: "" },
            { returnTo: "account" },
          ],
        },
        {
          constraint: "pending_sign_ins_approval_complete",
          table: "PendingSignIn",
          valid: waitingApproval,
          invalid: [
            { approvalId: null },
            { approval: null },
            { approvalChatId: null },
            { approvalId: null, approval: null },
          ],
        },
        {
          constraint: "pending_sign_ins_approval_id_format",
          table: "PendingSignIn",
          valid: waitingApproval,
          invalid: [
            { approvalId: "A".repeat(21) },
            { approvalId: "A".repeat(43) },
            { approvalId: "a+b/".repeat(5) + "==" },
          ],
        },
        {
          constraint: "pending_sign_ins_answered_when_answered",
          table: "PendingSignIn",
          valid: { ...waitingApproval, approval: "APPROVED", answeredAt: T1 },
          invalid: [{ answeredAt: null }, { approval: "WAITING" }],
        },
        {
          constraint: "pending_sign_ins_answered_after_created",
          table: "PendingSignIn",
          valid: { ...waitingApproval, approval: "DENIED", answeredAt: T0 },
          invalid: [{ answeredAt: BEFORE_T0 }],
        },
        {
          constraint: "passkeys_credential_id_format",
          table: "Passkey",
          valid: { ...passkey, credentialId: "A".repeat(1364) },
          invalid: [
            { credentialId: "" },
            { credentialId: "Y3JlZA==" },
            { credentialId: "Y3J+ZA/" },
            { credentialId: "A".repeat(1365) },
          ],
        },
        {
          constraint: "passkeys_public_key_nonempty",
          table: "Passkey",
          valid: passkey,
          invalid: [{ publicKey: Buffer.alloc(0) }],
        },
        {
          constraint: "passkeys_counter_range",
          table: "Passkey",
          valid: { ...passkey, counter: 4_294_967_295 },
          invalid: [{ counter: -1 }, { counter: 4_294_967_296 }],
        },
        {
          constraint: "passkeys_transports_known",
          table: "Passkey",
          valid: {
            ...passkey,
            transports: ["ble", "hybrid", "internal", "nfc", "smart-card", "usb"],
          },
          invalid: [
            { transports: ["carrier-pigeon"] },
            { transports: ["usb", null] },
            { transports: null },
          ],
        },
        {
          constraint: "passkeys_backed_up_multi_device",
          table: "Passkey",
          valid: { ...passkey, deviceType: "MULTI_DEVICE", backedUp: true },
          invalid: [{ deviceType: "SINGLE_DEVICE" }],
        },
        {
          constraint: "passkeys_user_handle_format",
          table: "Passkey",
          valid: passkey,
          invalid: [
            { userHandle: "h".repeat(42) },
            { userHandle: "h".repeat(44) },
            { userHandle: `${"h".repeat(42)}=` },
            // Never an address, whatever its length.
            { userHandle: "ada.lovelace.analytical-engine@example.com" },
          ],
        },
        {
          constraint: "passkeys_aaguid_format",
          table: "Passkey",
          valid: passkey,
          invalid: [
            { aaguid: "ADCE0002-35BC-C60A-648B-0B25F1F05503" },
            { aaguid: "adce000235bcc60a648b0b25f1f05503" },
            { aaguid: "" },
          ],
        },
        {
          constraint: "passkeys_name_format",
          table: "Passkey",
          valid: { ...passkey, name: "ÿ".repeat(64) },
          invalid: [
            { name: "" },
            { name: " Work laptop" },
            { name: "Work laptop " },
            { name: "x".repeat(65) },
            { name: "two\nlines" },
            { name: "bell\u0007" },
          ],
        },
        {
          constraint: "passkeys_last_used_after_created",
          table: "Passkey",
          valid: { ...passkey, lastUsedAt: T0 },
          invalid: [{ lastUsedAt: BEFORE_T0 }],
        },
        {
          constraint: "webauthn_challenges_id_hash_format",
          table: "WebAuthnChallenge",
          valid: signInChallenge,
          invalid: [
            { idHash: "E".repeat(64) },
            { idHash: "e".repeat(63) },
            // The id the browser keeps, stored as is.
            { idHash: "c".repeat(43) },
          ],
        },
        {
          constraint: "webauthn_challenges_purpose_known",
          table: "WebAuthnChallenge",
          valid: signInChallenge,
          invalid: [{ purpose: "authenticate" }, { purpose: "" }],
        },
        {
          constraint: "webauthn_challenges_user_for_register",
          table: "WebAuthnChallenge",
          valid: registerChallenge,
          invalid: [{ userId: null }, { purpose: "sign-in", userHandle: null }],
        },
        {
          constraint: "webauthn_challenges_handle_for_register",
          table: "WebAuthnChallenge",
          valid: registerChallenge,
          invalid: [{ userHandle: null }, { userHandle: "h".repeat(42) }],
        },
        {
          constraint: "webauthn_challenges_challenge_format",
          table: "WebAuthnChallenge",
          valid: signInChallenge,
          invalid: [
            { challenge: "c".repeat(42) },
            { challenge: `${"c".repeat(42)}=` },
            { challenge: "" },
          ],
        },
        {
          constraint: "webauthn_challenges_expires_after_created",
          table: "WebAuthnChallenge",
          valid: signInChallenge,
          invalid: [{ expiresAt: T0 }, { expiresAt: BEFORE_T0 }],
        },
        {
          constraint: "notification_outbox_attempts_nonnegative",
          table: "NotificationOutbox",
          valid: {
            id: "check-notification",
            userId,
            kind: "sign_in_alert",
            payload: { at: T0 },
            attempts: 0,
          },
          invalid: [{ attempts: -1 }],
        },
        {
          constraint: "notification_outbox_kind_nonempty",
          table: "NotificationOutbox",
          valid: {
            id: "check-notification",
            userId,
            kind: "sign_in_alert",
            payload: { at: T0 },
            attempts: 0,
          },
          invalid: [{ kind: "" }, { kind: "  " }],
        },
      ];

      it("has exactly the CHECK constraints schema.prisma lists, each covered here", async () => {
        const listed = checkConstraintsListedIn(await readFile(schemaPath, "utf8"));
        expect(listed.length).toBeGreaterThan(0);
        const inDatabase = await db.connection.query<{ name: string }>(
          `SELECT conname AS name FROM pg_constraint
            WHERE contype = 'c' AND connamespace = current_schema()::regnamespace`,
        );
        expect(inDatabase.map((row) => row.name).sort()).toEqual(listed);
        expect(cases.map((c) => c.constraint).sort()).toEqual(listed);
      });

      it.each(cases)(
        "$constraint rejects a bad $table row",
        async ({ constraint, table, valid, invalid }) => {
          // The valid row goes in, so each rejection below is this constraint's doing.
          await rolledBack((tx) => insert(tx, table, valid));
          for (const change of invalid) {
            await expect(
              rolledBack((tx) => insert(tx, table, { ...valid, ...change })),
              JSON.stringify(change),
            ).rejects.toMatchObject({ code: "23514", constraint });
          }
        },
      );

      it("keeps SecurityEvent append-only, yet lets its rows leave with their user", async () => {
        await insert(db.connection, "User", { id: "append-only-user", updatedAt: T0 });
        await insert(db.connection, "SecurityEvent", {
          id: "append-only-event",
          userId: "append-only-user",
          type: "SIGN_IN",
          detail: "original",
        });

        await expect(
          db.connection.query(
            `UPDATE "SecurityEvent" SET "detail" = 'rewritten' WHERE "id" = 'append-only-event'`,
          ),
        ).rejects.toMatchObject({ code: "23000", constraint: "security_events_append_only" });
        const [event] = await db.connection.query<{ detail: string }>(
          `SELECT "detail" FROM "SecurityEvent" WHERE "id" = 'append-only-event'`,
        );
        expect(event?.detail).toBe("original");

        await db.connection.query(`DELETE FROM "User" WHERE "id" = 'append-only-user'`);
        expect(
          await db.connection.query(
            `SELECT 1 FROM "SecurityEvent" WHERE "id" = 'append-only-event'`,
          ),
        ).toEqual([]);
      });

      it("gives every foreign key the ON DELETE rule the schema declares", async () => {
        const schema = await readFile(schemaPath, "utf8");
        const actionCodes: Record<string, string> = {
          Cascade: "c",
          Restrict: "r",
          NoAction: "a",
          SetNull: "n",
          SetDefault: "d",
        };
        const declared: Record<string, string> = {};
        for (const model of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
          for (const relation of (model[2] ?? "").matchAll(
            /^\s*\w+\s+\w+(\??)\s+@relation\(fields: \[(\w+)\][^)]*?(?:onDelete: (\w+))?\)/gm,
          )) {
            // Prisma's defaults when onDelete is omitted: Restrict when required, SetNull when optional.
            const action = relation[3] ?? (relation[1] === "?" ? "SetNull" : "Restrict");
            declared[`${model[1]}.${relation[2]}`] = actionCodes[action] ?? `unknown ${action}`;
          }
        }
        expect(Object.keys(declared).length).toBeGreaterThan(0);

        const keys = await db.connection.query<{ key: string; action: string }>(
          `SELECT cl.relname || '.' || a.attname AS key, c.confdeltype::text AS action
             FROM pg_constraint c
             JOIN pg_class cl ON cl.oid = c.conrelid
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`,
        );
        expect(Object.fromEntries(keys.map((row) => [row.key, row.action]))).toEqual(declared);
      });
    });
  });
});
