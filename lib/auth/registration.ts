// Email + password sign-up, answered the same whether or not the address has an account:
// sign-up must not tell anyone which addresses are members.
//
// - A new address: the user and its password are created (the email unverified), SIGN_UP is
//   recorded, and a VERIFY_EMAIL link is mailed, in one transaction.
// - An address that already has an account (of any kind): nothing is created or changed;
//   its owner is mailed "someone tried to create an account with your address" (sign in, or
//   reset the password). The caller answers exactly as for a new address.
// Both paths do the same work where it costs time: the typed password is hashed (argon2,
// the bulk of the time), the address is looked up, and one transaction writes the mail's
// outbox row. `npm run bench` prints both medians. The caller has already counted the mail
// against the per-address and per-IP mail budget, so the owner's mail cannot be sent in a
// loop either.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { queueVerificationMail, type VerificationMailDeps } from "@/lib/auth/email-verification";
import { hashPassword } from "@/lib/auth/password";
import { normalizeEmail } from "@/lib/email";
import { recordSecurityEvent } from "@/lib/security/events";

/** What happened; the person is told the same in both cases. */
export type RegistrationResult =
  { outcome: "created"; userId: string } | { outcome: "existing"; userId: string };

export interface RegistrationInput {
  email: string;
  password: string;
  name?: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export interface RegistrationDeps extends Omit<VerificationMailDeps, "now"> {
  prisma: PrismaClient;
  now: () => Date;
}

export async function registerWithPassword(
  deps: RegistrationDeps,
  input: RegistrationInput,
): Promise<RegistrationResult> {
  const email = normalizeEmail(input.email);
  // Hash outside the transaction (argon2 should not hold a connection), and on both paths:
  // skipping it for a taken address would make that answer measurably faster.
  const hash = await hashPassword(input.password);
  try {
    return await deps.prisma.$transaction(async (tx) => {
      const owner = await tx.user.findUnique({ where: { email }, select: { id: true } });
      if (owner) return tellOwner(tx, deps, { userId: owner.id, email });
      const user = await tx.user.create({
        data: { email, name: input.name ?? null, password: { create: { hash } } },
      });
      await recordSecurityEvent(tx, {
        userId: user.id,
        type: "SIGN_UP",
        method: "password",
        ip: input.ip,
        userAgent: input.userAgent,
        requestId: input.requestId,
      });
      await queueVerificationMail(tx, { ...deps, now: deps.now() }, { userId: user.id, email });
      return { outcome: "created" as const, userId: user.id };
    });
  } catch (error) {
    // Two sign-ups with one address at once: the unique index on User.email lets exactly one
    // create it; the other is a sign-up with a taken address, and answered as one.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      return deps.prisma.$transaction(async (tx) => {
        const owner = await tx.user.findUniqueOrThrow({ where: { email }, select: { id: true } });
        return tellOwner(tx, deps, { userId: owner.id, email });
      });
    }
    throw error;
  }
}

async function tellOwner(
  tx: Prisma.TransactionClient,
  deps: RegistrationDeps,
  owner: { userId: string; email: string },
): Promise<RegistrationResult> {
  await deps.queueMail(tx, {
    userId: owner.userId,
    to: owner.email,
    kind: "SIGN_UP_EXISTING",
    data: {},
  });
  return { outcome: "existing", userId: owner.userId };
}
