// The two database backends every data test runs on: a fresh database on the test
// PostgreSQL server (when the setup found one) and an in-memory PGlite.
import { fileURLToPath } from "node:url";

import { createDatabase, type Database } from "@/lib/db";
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
