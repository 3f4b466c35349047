// npm run db:diff -- <name>
//
// Writes the next migration folder, prisma/migrations/<UTC timestamp>_<name>/, holding the
// SQL from the schema as of the newest migration to the current prisma/schema.prisma
// (generated offline by Prisma's WASM schema engine), plus a snapshot of that schema for
// the next diff. Prints "no changes" when there is nothing to migrate.
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

import { createMigration } from "@/lib/migrations/diff";

const root = fileURLToPath(new URL("..", import.meta.url));
const schemaPath = fileURLToPath(new URL("../prisma/schema.prisma", import.meta.url));
const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

async function main(): Promise<number> {
  const name = process.argv[2];
  if (!name || process.argv.length > 3) {
    console.error(
      "Usage: npm run db:diff -- <name>   (for example: npm run db:diff -- add_user_locale)",
    );
    return 2;
  }

  const result = await createMigration({ schemaPath, migrationsDir, name });
  if (result.status === "unchanged") {
    console.log(`No changes: prisma/schema.prisma matches ${result.since ?? "an empty database"}.`);
    return 0;
  }
  console.log(`Wrote ${relative(root, result.path)}/migration.sql:\n`);
  console.log(result.sql);
  console.log(
    "Review it, and append hand-written SQL Prisma cannot express (CHECK constraints, triggers) " +
      "at the end of migration.sql before applying it with `npm run db:migrate`.",
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A CLI error is for the person at the terminal: the message, not a stack trace.
    console.error(`db:diff failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
