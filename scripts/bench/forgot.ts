// Forgot password: how long the answer takes for an address an account uses and for one
// nobody uses (lib/actions/auth/password-reset.ts). The action answers before the lookup
// and hands the rest to after(); here that work is collected and run outside the timing,
// as Next runs it after the response. In process, on PGlite and the in-memory limiter:
// what is compared is the action's own work for the two kinds of address, alternated so
// that a busy machine slows both alike. Printed, never asserted.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import { createPasswordResetActions } from "@/lib/actions/auth/password-reset";
import { hashPassword } from "@/lib/auth/password";
import { createDatabase } from "@/lib/db";
import { parseSettings } from "@/lib/env";
import { createLogger } from "@/lib/logger";
import { createMail } from "@/lib/mail/service";
import { applyMigrations } from "@/lib/migrations/runner";
import { createRateLimiter } from "@/lib/rate-limit";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { ROOMY_LIMITS } from "./limits";
import { distribution, ms, ratio, table, type Distribution } from "./stats";

const migrationsDir = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

export interface ForgotResult {
  known: Distribution;
  unknown: Distribution;
  /** Median for an address nobody uses ÷ median for a member's (1.00: the same). */
  ratio: number;
}

export async function benchForgot(options: {
  requests: number;
  warmUp: number;
}): Promise<ForgotResult> {
  const settings = parseSettings({}, { devSecret: () => "b".repeat(43) });
  const logger = createLogger({ level: "error", sink: () => undefined });
  const database = createDatabase({ kind: "pglite", dataDir: "memory://" });
  try {
    await applyMigrations({ connection: database.sql, migrationsDir });
    const limiter = createRateLimiter({
      backend: createMemoryRateLimitBackend(),
      now: Date.now,
      logger,
      settings: ROOMY_LIMITS,
    });
    const deliverSoon = () => undefined;
    const idle = { deliverDue: () => Promise.resolve({ sent: 0, failed: 0, deferred: 0 }) };
    const mail = createMail({
      settings: null,
      secret: settings.auth.secret,
      appUrl: settings.appUrl,
      logger,
      deliverSoon,
    });
    const later: (() => Promise<unknown>)[] = [];
    const actions = createPasswordResetActions({
      services: () => ({
        settings,
        logger,
        database,
        limiter,
        mail,
        notifications: {
          delivery: idle,
          sweep: idle,
          deliverSoon,
        },
        afterRecord: () => Promise.resolve(),
      }),
      requestContext: () =>
        Promise.resolve({ ip: "203.0.113.1", userAgent: "bench", requestId: "b" }),
      runAfter: (work) => later.push(work),
    });

    const hash = await hashPassword("violet tram 71 under the pier");
    const members: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      const email = `member-${i}-${randomBytes(3).toString("hex")}@example.com`;
      await database.prisma.user.create({
        data: { email, emailVerified: new Date(), password: { create: { hash } } },
      });
      members.push(email);
    }

    const samples = { known: [] as number[], unknown: [] as number[] };
    const total = options.warmUp + options.requests;
    for (let i = 0; i < total; i += 1) {
      // A B B A: each kind goes first as often as the other.
      const order = i % 2 === 0 ? (["known", "unknown"] as const) : (["unknown", "known"] as const);
      for (const kind of order) {
        const email =
          kind === "known"
            ? (members[i % members.length] ?? "")
            : `nobody-${randomBytes(4).toString("hex")}@example.com`;
        const started = performance.now();
        const answer = await actions.forgotPassword({ email });
        const took = performance.now() - started;
        if (!answer?.data?.sent)
          throw new Error(`forgot password refused: ${JSON.stringify(answer)}`);
        if (i >= options.warmUp) samples[kind].push(took);
        // What Next runs after the response, outside the timing.
        for (const work of later.splice(0)) await work();
      }
    }
    const known = distribution(samples.known);
    const unknown = distribution(samples.unknown);
    const result: ForgotResult = { known, unknown, ratio: unknown.p50 / known.p50 };
    console.log(
      table(
        ["address", "p50", "p99", "max"],
        [
          ["an account uses it", ms(known.p50), ms(known.p99), ms(known.max)],
          ["nobody uses it", ms(unknown.p50), ms(unknown.p99), ms(unknown.max)],
        ],
      ),
    );
    console.log(`  median, nobody ÷ member: ${ratio(result.ratio)}`);
    return result;
  } finally {
    await database.close();
  }
}
