// Password accounts for the bench, made the way sign-up makes them (lib/auth/registration.ts)
// but without queueing the verification mail: the bench measures sign-ins, not mail.
import { registerWithPassword } from "@/lib/auth/registration";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { QueueMail } from "@/lib/mail/outbox";

const noMail: QueueMail = () => Promise.resolve("not queued");

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
