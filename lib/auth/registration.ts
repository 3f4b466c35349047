// Email + password sign-up, answered the same whether or not the address has an account:
// sign-up must not tell anyone which addresses are members.
//
// - A new address: the user and its password are created (the email unverified), SIGN_UP is
//   recorded, and a VERIFY_EMAIL link is mailed, in one transaction.
// - An address that already has an account (of any kind): nothing is created or changed;
//   its owner is mailed "someone tried to create an account with your address" (sign in, or
//   reset the password). The caller answers exactly as for a new address.
// Both paths take the same time: the typed password is hashed on both (argon2, the bulk of
// it), and the taken path also writes the new path's rows for a throw-away address in a
// transaction it rolls back, so the database does the same work too; `npm run bench --
// --only=signup` prints both medians. The caller has already counted the mail against the
// per-address and per-IP mail budget, so the owner's mail cannot be sent in a loop either.
import { randomBytes } from "node:crypto";

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

type NewAccount = Omit<RegistrationInput, "password"> & { hash: string };

export async function registerWithPassword(
  deps: RegistrationDeps,
  input: RegistrationInput,
): Promise<RegistrationResult> {
  const { password, ...rest } = input;
  // Hash outside the transaction (argon2 should not hold a connection), and on both paths:
  // skipping it for a taken address would make that answer measurably faster.
  const hash = await hashPassword(password);
  const account: NewAccount = { ...rest, email: normalizeEmail(input.email), hash };
  // Two transactions on both paths: the lookup (with the owner's mail when taken), then the
  // new account's rows (committed when new, rolled back as a stand-in when taken).
  const ownerId = await deps.prisma.$transaction((tx) => tellOwnerIfTaken(tx, deps, account));
  if (ownerId !== null) {
    await writeStandIn(deps, account);
    return { outcome: "existing", userId: ownerId };
  }
  try {
    const userId = await deps.prisma.$transaction((tx) => createAccount(tx, deps, account));
    return { outcome: "created", userId };
  } catch (error) {
    // Two sign-ups with one address at once: the unique index on User.email lets exactly one
    // create it; the other is a sign-up with a taken address, and answered as one.
    if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")) {
      throw error;
    }
    const userId = await deps.prisma.$transaction((tx) => tellOwnerIfTaken(tx, deps, account));
    if (userId === null) throw error;
    return { outcome: "existing", userId };
  }
}

/** Queues the owner's mail when the address has an account; its id, or null. */
async function tellOwnerIfTaken(
  tx: Prisma.TransactionClient,
  deps: RegistrationDeps,
  account: NewAccount,
): Promise<string | null> {
  const owner = await tx.user.findUnique({ where: { email: account.email }, select: { id: true } });
  if (!owner) return null;
  await deps.queueMail(tx, {
    userId: owner.id,
    to: account.email,
    kind: "SIGN_UP_EXISTING",
    data: {},
  });
  return owner.id;
}

/** The new path's rows: user, password, SIGN_UP, the link and its mail. */
async function createAccount(
  tx: Prisma.TransactionClient,
  deps: RegistrationDeps,
  account: NewAccount,
): Promise<string> {
  const { email } = account;
  const user = await tx.user.create({
    data: { email, name: account.name ?? null, password: { create: { hash: account.hash } } },
  });
  await recordSecurityEvent(tx, {
    userId: user.id,
    type: "SIGN_UP",
    method: "password",
    ip: account.ip,
    userAgent: account.userAgent,
    requestId: account.requestId,
  });
  await queueVerificationMail(tx, { ...deps, now: deps.now() }, { userId: user.id, email });
  return user.id;
}

/** Thrown to roll back the stand-in rows of a taken address's sign-up. */
class StandInRollback extends Error {}

/**
 * The new path's writes for a throw-away address (.invalid never receives mail), rolled
 * back: what the answer's timing shows does not depend on whether the address was taken.
 */
async function writeStandIn(deps: RegistrationDeps, account: NewAccount): Promise<void> {
  const standIn = { ...account, email: `${randomBytes(12).toString("hex")}@sign-up.invalid` };
  await deps.prisma
    .$transaction(async (tx) => {
      await createAccount(tx, deps, standIn);
      throw new StandInRollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof StandInRollback)) throw error;
    });
}
