// Password accounts for the bench, made the way sign-up makes them (lib/auth/registration.ts)
// but without queueing the verification mail: the bench measures sign-ins, not mail.
import { fileURLToPath } from "node:url";

import { registerWithPassword } from "@/lib/auth/registration";
import { createDatabase, type Database } from "@/lib/db";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { QueueMail } from "@/lib/mail/outbox";
import { applyMigrations } from "@/lib/migrations/runner";

const migrationsDir = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

const noMail: QueueMail = () => Promise.resolve("not queued");

/** The one account the page sections sign in with. */
export const BENCH_USER = {
  email: "bench@example.com",
  name: "Bench Person",
  password: "a long bench password 5150",
} as const;

export async function createBenchAccount(
  prisma: PrismaClient,
  account: { email: string; name: string; password: string },
): Promise<void> {
  const result = await registerWithPassword(
    {
      prisma,
      queueMail: noMail,
      appUrl: "http://localhost",
      lifetimes: { VERIFY_EMAIL: 86_400, RESET_PASSWORD: 1_800, CHANGE_EMAIL: 86_400 },
      now: () => new Date(),
    },
    { ...account, ip: null, userAgent: "gatehouse-bench", requestId: "bench" },
  );
  // The cluster is new for every run, so the address is free unless something is wrong.
  if (result.outcome !== "created") throw new Error(`${account.email} already had an account`);
}

/** A small pool on the run's PostgreSQL, its schema migrated (idempotent); the caller closes it. */
export async function openBenchDatabase(databaseUrl: string): Promise<Database> {
  const database = createDatabase({
    kind: "postgres",
    url: databaseUrl,
    poolMax: 2,
    connectionTimeoutMs: 5_000,
    idleTimeoutMs: 10_000,
    statementTimeoutMs: 60_000,
  });
  try {
    await applyMigrations({ connection: database.sql, migrationsDir });
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** `work` on the run's PostgreSQL (migrated), closed afterwards. */
export async function withBenchDatabase(
  databaseUrl: string,
  work: (prisma: PrismaClient) => Promise<void>,
): Promise<void> {
  const database = await openBenchDatabase(databaseUrl);
  try {
    await work(database.prisma);
  } finally {
    await database.close();
  }
}

const benchUsers = new Map<string, Promise<void>>();

/**
 * BENCH_USER in the run's database, created by whichever section asks first: the sections
 * of one run share the cluster, and a second registration would find the address taken.
 */
export function createBenchUser(databaseUrl: string): Promise<void> {
  let created = benchUsers.get(databaseUrl);
  if (!created) {
    created = withBenchDatabase(databaseUrl, (prisma) => createBenchAccount(prisma, BENCH_USER));
    // A failed attempt is not remembered: the next section tries again (and says why).
    void created.catch(() => benchUsers.delete(databaseUrl));
    benchUsers.set(databaseUrl, created);
  }
  return created;
}
