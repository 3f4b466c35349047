// Sign-up's two paths, timed where they differ (lib/auth/registration.ts, against the bench's
// PostgreSQL): a new address (account, event, link, mail) and an address that already has
// an account (the owner's mail only). The person gets the same answer from both, so they
// should take the same time: the medians and their ratio are printed, never asserted.
import { performance } from "node:perf_hooks";

import { registerWithPassword, type RegistrationDeps } from "@/lib/auth/registration";
import { createQueueMail } from "@/lib/mail/outbox";
import { createLinkSealer } from "@/lib/security/sealed-link";

import { openBenchDatabase } from "./accounts";
import { randomSecret } from "./app";
import { distribution, ms, ratio, table, type Distribution } from "./stats";

export interface SignUpOptions {
  databaseUrl: string;
  /** Sign-ups of each kind, alternating new / taken, taken / new … */
  iterations: number;
  warmUp: number;
}

export interface SignUpResult {
  fresh: Distribution;
  taken: Distribution;
  /** Median of a taken address ÷ median of a new one (1.00: indistinguishable). */
  ratio: number;
}

const PASSWORD = "bench sign-up passphrase 7";
const context = { ip: "203.0.113.77", userAgent: "gatehouse-bench", requestId: "bench" };

export async function benchSignUp(options: SignUpOptions): Promise<SignUpResult> {
  const database = await openBenchDatabase(options.databaseUrl);
  try {
    const appUrl = "http://localhost:3000";
    const deps: RegistrationDeps = {
      prisma: database.prisma,
      queueMail: createQueueMail({
        sealer: createLinkSealer(randomSecret()),
        appUrl,
        deliverSoon: () => {},
      }),
      appUrl,
      lifetimes: { VERIFY_EMAIL: 86_400, RESET_PASSWORD: 1_800, CHANGE_EMAIL: 86_400 },
      now: () => new Date(),
    };
    const run = `${Date.now().toString(36)}`;
    const owner = `signup-bench-owner-${run}@example.com`;
    let fresh = 0;
    const signUp = async (email: string) => {
      const started = performance.now();
      await registerWithPassword(deps, { email, password: PASSWORD, ...context });
      return performance.now() - started;
    };
    const newAddress = () => `signup-bench-${run}-${(fresh += 1)}@example.com`;
    await signUp(owner);
    for (let n = 0; n < options.warmUp; n += 1) {
      await signUp(newAddress());
      await signUp(owner);
    }
    const samples = { fresh: [] as number[], taken: [] as number[] };
    for (let n = 0; n < options.iterations; n += 1) {
      // A B B A: a slow stretch of the machine weighs on both sides alike.
      if (n % 2 === 0) {
        samples.fresh.push(await signUp(newAddress()));
        samples.taken.push(await signUp(owner));
      } else {
        samples.taken.push(await signUp(owner));
        samples.fresh.push(await signUp(newAddress()));
      }
    }
    const result = {
      fresh: distribution(samples.fresh),
      taken: distribution(samples.taken),
      ratio: Number.NaN,
    };
    result.ratio = result.taken.p50 / result.fresh.p50;
    const row = (label: string, d: Distribution) => [
      label,
      String(d.count),
      ms(d.p50),
      ms(d.p99),
      ms(d.max),
    ];
    console.log(
      table(
        ["address", "sign-ups", "p50", "p99", "max"],
        [
          row("new (account, event, link, mail)", result.fresh),
          row("taken (the owner's mail)", result.taken),
        ],
      ),
    );
    console.log(`  median taken ÷ median new: ${ratio(result.ratio)}`);
    return result;
  } finally {
    await database.close();
  }
}
