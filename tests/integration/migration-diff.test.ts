// Schema and migrations stay honest: the schema as of the newest migration must equal
// prisma/schema.prisma (no schema change without a migration), and every migration.sql
// must begin with exactly the SQL Prisma's engine generates for its change.
//
// An integration test although nothing is mocked away from a unit: the WASM schema
// engine boots an embedded Postgres (PGlite) to run, which takes seconds.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  createMigration,
  createSchemaDiffer,
  migrationTimestamp,
  normalizeMigrationName,
  readLatestSchemaSnapshot,
  SCHEMA_SNAPSHOT_FILE,
  type SchemaDiffer,
} from "@/lib/migrations/diff";

const migrationsDir = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));
const schemaPath = fileURLToPath(new URL("../../prisma/schema.prisma", import.meta.url));

/** The schema with one more column on User: a change that needs a migration. */
function withUserLocale(schema: string): string {
  const changed = schema.replace(/^model User \{\n/m, "model User {\n  locale String?\n");
  if (changed === schema) throw new Error("could not find model User in the schema");
  return changed;
}

describe("migration SQL from the schema", () => {
  let differ: SchemaDiffer;
  let schema: string;
  const scratchDirs: string[] = [];

  beforeAll(async () => {
    differ = await createSchemaDiffer();
    schema = await readFile(schemaPath, "utf8");
  });

  afterAll(async () => {
    await differ?.close();
    await Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("has no schema change without a migration: the newest snapshot equals prisma/schema.prisma", async () => {
    const latest = await readLatestSchemaSnapshot(migrationsDir);
    expect(latest).not.toBeNull();

    const sql = await differ.diff(latest?.schema ?? null, schema);

    expect(
      sql,
      `prisma/schema.prisma changed since ${latest?.folder}: run npm run db:diff -- <name>`,
    ).toBe("");
  });

  it("creates every model's table and every enum from an empty database", async () => {
    const sql = await differ.diff(null, schema);

    const models = [...schema.matchAll(/^model (\w+) \{/gm)].map((match) => match[1]);
    const enums = [...schema.matchAll(/^enum (\w+) \{/gm)].map((match) => match[1]);
    expect(models.length).toBeGreaterThan(0);
    for (const model of models) expect(sql).toContain(`CREATE TABLE "${model}" (`);
    for (const name of enums) expect(sql).toContain(`CREATE TYPE "${name}" AS ENUM`);
  });

  it("finds a schema change: one new column is one ALTER TABLE", async () => {
    const sql = await differ.diff(schema, withUserLocale(schema));

    expect(sql).toContain(`ALTER TABLE "User" ADD COLUMN     "locale" TEXT;`);
    expect(sql).not.toContain("CREATE TABLE");
  });

  it("starts every migration.sql with exactly the SQL generated for its schema change", async () => {
    const folders = (await readdir(migrationsDir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort((a, b) => a.localeCompare(b));
    expect(folders.length).toBeGreaterThan(0);

    let previous: string | null = null;
    for (const folder of folders) {
      const snapshot = await readFile(join(migrationsDir, folder, SCHEMA_SNAPSHOT_FILE), "utf8");
      const script = await readFile(join(migrationsDir, folder, "migration.sql"), "utf8");
      const generated = await differ.diff(previous, snapshot);

      expect(generated, folder).not.toBe("");
      // Hand-written SQL goes after the generated part, never into it.
      expect(
        script.startsWith(generated),
        `${folder}/migration.sql no longer begins with the generated SQL`,
      ).toBe(true);
      previous = snapshot;
    }
  });

  describe("createMigration (npm run db:diff)", () => {
    async function scratchCopy(): Promise<{ dir: string; schemaFile: string }> {
      const root = await mkdtemp(join(tmpdir(), "gatehouse-db-diff-"));
      scratchDirs.push(root);
      const dir = join(root, "migrations");
      await cp(migrationsDir, dir, { recursive: true });
      const schemaFile = join(root, "schema.prisma");
      await writeFile(schemaFile, schema);
      return { dir, schemaFile };
    }

    it("says nothing changed when the schema matches the newest migration", async () => {
      const { dir, schemaFile } = await scratchCopy();
      const before = (await readdir(dir)).sort();

      const result = await createMigration({
        schemaPath: schemaFile,
        migrationsDir: dir,
        name: "noop",
        differ,
      });

      expect(result).toEqual({
        status: "unchanged",
        since: before.filter((name) => /^\d{14}_/.test(name)).at(-1),
      });
      expect((await readdir(dir)).sort()).toEqual(before);
    });

    it("writes <UTC timestamp>_<name>/ with the SQL and a snapshot of the schema", async () => {
      const { dir, schemaFile } = await scratchCopy();
      const changed = withUserLocale(schema);
      await writeFile(schemaFile, changed);
      const lockBefore = await readFile(join(dir, "migration_lock.toml"), "utf8");

      const result = await createMigration({
        schemaPath: schemaFile,
        migrationsDir: dir,
        name: "Add user locale!",
        now: new Date("2030-01-02T03:04:05.678Z"),
        differ,
      });

      expect(result).toMatchObject({ status: "created", folder: "20300102030405_add_user_locale" });
      const folder = join(dir, "20300102030405_add_user_locale");
      const sql = await readFile(join(folder, "migration.sql"), "utf8");
      expect(sql).toContain(`ALTER TABLE "User" ADD COLUMN     "locale" TEXT;`);
      await expect(readFile(join(folder, SCHEMA_SNAPSHOT_FILE), "utf8")).resolves.toBe(changed);
      await expect(readFile(join(dir, "migration_lock.toml"), "utf8")).resolves.toBe(lockBefore);
      // The new folder is now the newest migration, and nothing is left to diff.
      await expect(
        createMigration({ schemaPath: schemaFile, migrationsDir: dir, name: "again", differ }),
      ).resolves.toEqual({ status: "unchanged", since: "20300102030405_add_user_locale" });
    });

    it("refuses a timestamp that would sort before the newest migration", async () => {
      const { dir, schemaFile } = await scratchCopy();
      await writeFile(schemaFile, withUserLocale(schema));

      await expect(
        createMigration({
          schemaPath: schemaFile,
          migrationsDir: dir,
          name: "late",
          now: new Date("2001-01-01T00:00:00Z"),
          differ,
        }),
      ).rejects.toThrow(/would sort before or equal to the newest one/);
    });

    it("formats folder names the way Prisma does", () => {
      expect(migrationTimestamp(new Date("2026-11-22T00:00:09.999Z"))).toBe("20261122000009");
      expect(normalizeMigrationName("  Add Telegram-link tokens ")).toBe(
        "add_telegram_link_tokens",
      );
      expect(normalizeMigrationName("!!!")).toBe("");
    });
  });
});
