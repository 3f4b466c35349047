// What the app holds of its database, whichever backend it runs on (postgres.ts, pglite.ts):
// one Prisma client plus a raw SQL connection over the same underlying connection(s).
import type { SqlConnection } from "@/lib/db/sql-connection";
import type { DatabaseSettings } from "@/lib/env";
import type { PrismaClient } from "@/lib/generated/prisma/client";

export interface Database {
  prisma: PrismaClient;
  sql: SqlConnection;
  kind: DatabaseSettings["kind"];
  /** One round trip (`SELECT 1`): resolves when the database answers. */
  ping(): Promise<void>;
  /** Disconnects Prisma, then closes the pool / PGlite. Safe to call more than once. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Where connection errors that no request is waiting for are reported. */
  logger?: Pick<Console, "error">;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function ping(sql: SqlConnection): Promise<void> {
  await sql.query("SELECT 1");
}

/** `close`, run once however often it is called. */
export function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}
