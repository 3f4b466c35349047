// npx tsx scripts/bench-password.ts [--iterations=30]
//
// What a password sign-in costs, measured as p50/p95 within one run on one machine:
// - argon2id verify alone (OWASP parameters), the floor of any password sign-in;
// - verifyCredentials for a known email (one query + one verify);
// - verifyCredentials for an unknown email (one query + one verify of the dummy hash).
// The known and unknown rows should be close to each other (no user enumeration by
// timing) and close to the verify row (docs/performance.md: p95 within 40 ms of it at low load).
// Runs on an in-memory PGlite database built by the migrations, so it needs no server.
// Numbers are printed, never asserted: timing belongs here, not in tests.
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import { getDummyHash, hashPassword, verifyCredentials, verifyPassword } from "@/lib/auth/password";
import { createDatabase } from "@/lib/db";
import { applyMigrations } from "@/lib/migrations/runner";

const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
const PASSWORD = "bench password 1843";
const WARM_UP = 3;

function iterationsFromArgs(): number {
  const flag = process.argv.find((arg) => arg.startsWith("--iterations="));
  const value = flag === undefined ? 30 : Number(flag.slice("--iterations=".length));
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--iterations must be a positive integer, got ${flag ?? ""}`);
  }
  return value;
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

interface Row {
  name: string;
  p50: number;
  p95: number;
}

async function measure(
  name: string,
  iterations: number,
  run: () => Promise<unknown>,
): Promise<Row> {
  // Warm-up runs fill caches (query plans, the dummy hash) that a server has warm too.
  for (let i = 0; i < WARM_UP; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { name, p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

async function main(): Promise<void> {
  const iterations = iterationsFromArgs();
  const database = createDatabase({ kind: "pglite", dataDir: "memory://" });
  try {
    await applyMigrations({ connection: database.sql, migrationsDir });
    const prisma = database.prisma;
    const hash = await hashPassword(PASSWORD);
    await prisma.user.create({
      data: { email: "bench@example.com", password: { create: { hash } } },
    });
    await getDummyHash();

    const rows = [
      await measure("argon2id verify", iterations, () => verifyPassword(hash, PASSWORD)),
      await measure("verifyCredentials, known email", iterations, () =>
        verifyCredentials({ prisma, email: "bench@example.com", password: PASSWORD }),
      ),
      await measure("verifyCredentials, unknown email", iterations, () =>
        verifyCredentials({ prisma, email: "nobody@example.com", password: PASSWORD }),
      ),
    ];

    const width = Math.max(...rows.map((row) => row.name.length));
    const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;
    console.log(`password (${iterations} iterations each, PGlite in memory)`);
    console.log(`${"".padEnd(width)}      p50        p95`);
    for (const row of rows) console.log(`${row.name.padEnd(width)}  ${ms(row.p50)} ${ms(row.p95)}`);

    const [verifyRow, known, unknown] = rows;
    if (verifyRow && known && unknown) {
      console.log(
        `known vs unknown email, p50 difference: ${(unknown.p50 - known.p50).toFixed(1)} ms; ` +
          `sign-in p95 beyond verify p95: ${(known.p95 - verifyRow.p95).toFixed(1)} ms`,
      );
    }
  } finally {
    await database.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error("bench-password failed:", error);
    process.exit(1);
  },
);
