// Email + password sign-up. The email is unverified (nothing in scope sends mail to prove
// it), which is why a verified OAuth identity with the same email later takes precedence
// (docs/sign-in.md, "The claim rule").
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { hashPassword } from "@/lib/auth/password";
import { recordSecurityEvent } from "@/lib/security/events";

export type RegistrationResult =
  { ok: true; userId: string } | { ok: false; reason: "email-taken" };

export interface RegistrationInput {
  email: string;
  password: string;
  name?: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export async function registerWithPassword(
  prisma: PrismaClient,
  input: RegistrationInput,
): Promise<RegistrationResult> {
  // Hash outside the transaction: argon2 takes ~20 ms and should not hold a connection.
  const hash = await hashPassword(input.password);
  try {
    return await prisma.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: {
          email: input.email,
          name: input.name ?? null,
          password: { create: { hash } },
        },
      });
      await recordSecurityEvent(tx, {
        userId: user.id,
        type: "SIGN_UP",
        method: "password",
        ip: input.ip,
        userAgent: input.userAgent,
        requestId: input.requestId,
      });
      return { ok: true as const, userId: user.id };
    });
  } catch (error) {
    // The unique index on User.email decides, so two parallel sign-ups cannot both win.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      return { ok: false, reason: "email-taken" };
    }
    throw error;
  }
}
