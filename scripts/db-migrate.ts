// npm run db:migrate
//
// Applies pending prisma/migrations folders to the database the settings name
// (DATABASE_URL, or the embedded PGlite folder when it is unset). Safe to run at any time
// and from several machines at once: applied migrations are skipped, and runs take turns
// through Prisma's advisory lock.
import { fileURLToPath } from "node:url";

import { createDatabase } from "@/lib/db";
import { getSettings, SettingsError } from "@/lib/env";
import { applyMigrations, MigrationError } from "@/lib/migrations/runner";

import { loadEnvFiles } from "./load-env";

const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

async function main(): Promise<void> {
  // DATABASE_URL in .env.local is the database `npm run dev` uses: migrate that one.
  loadEnvFiles(process.env.NODE_ENV !== "production");
  const settings = getSettings();
  const database = createDatabase(settings.database);
  try {
    const { applied } = await applyMigrations({
      connection: database.sql,
      migrationsDir,
      logger: {
        info: (message) => console.log(message),
        warn: (message) => console.warn(`Warning: ${message}`),
      },
    });
    console.log(
      applied.length === 0
        ? "Database is up to date"
        : `Applied ${applied.length} migration${applied.length === 1 ? "" : "s"}.`,
    );
  } finally {
    await database.close();
  }
}

// One line per failure for the operator. node-postgres reports a refused connection as an
// AggregateError with an empty message (one error per address tried), so unwrap it.
function describeError(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    return error.errors.map(describeError).join("; ");
  }
  return error instanceof Error ? error.message : String(error);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // Known failures (a bad migration, bad settings) carry the whole story in their
    // message; a stack trace would only bury it.
    if (error instanceof MigrationError || error instanceof SettingsError) {
      console.error(error.message);
    } else {
      console.error(`db:migrate failed: ${describeError(error)}`);
    }
    process.exit(1);
  },
);
