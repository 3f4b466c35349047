// The two database backends every data test runs on: a fresh database on the test
// PostgreSQL server (when the setup found one) and an in-memory PGlite.
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll } from "vitest";

import { createDatabase, type Database } from "@/lib/db";
import { applyMigrations } from "@/lib/migrations/runner";
import { createPostgresDatabase } from "@/tests/support/databases";

export const migrationsDir = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

export interface DatabaseBackend {
  name: "PostgreSQL" | "PGlite";
  available: boolean;
  open: () => Promise<{ database: Database; drop: () => Promise<void> }>;
}

export function databaseBackends(
  serverUrl: string | null,
  { poolMax = 4 }: { poolMax?: number } = {},
): DatabaseBackend[] {
  return [
    {
      name: "PostgreSQL",
      available: serverUrl !== null,
      async open() {
        if (serverUrl === null) throw new Error("no PostgreSQL server for this run");
        const server = await createPostgresDatabase(serverUrl);
        const database = createDatabase({
          kind: "postgres",
          url: server.url,
          poolMax,
          connectionTimeoutMs: 5_000,
          idleTimeoutMs: 10_000,
          statementTimeoutMs: 10_000,
        });
        return { database, drop: () => server.drop() };
      },
    },
    {
      name: "PGlite",
      available: true,
      open: () =>
        Promise.resolve({
          database: createDatabase({ kind: "pglite", dataDir: "memory://" }),
          drop: () => Promise.resolve(),
        }),
    },
  ];
}

/**
 * Opens `backend` and applies every migration before the suite, closes (and drops) it
 * after; call it inside the suite's describe. Returns the open database.
 */
export function migratedDatabase(backend: DatabaseBackend): () => Database {
  let database: Database | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ database, drop } = await backend.open());
    await applyMigrations({ connection: database.sql, migrationsDir });
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });
  return () => {
    if (!database) throw new Error(`the ${backend.name} database is not open (see beforeAll)`);
    return database;
  };
}
