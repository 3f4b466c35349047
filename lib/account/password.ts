// Setting and changing the account's password from the account page. Hashing happens
// before the transaction opens: argon2id takes tens of milliseconds, and a row lock held
// that long would stall the user's other requests for nothing.
import { AccountError } from "@/lib/account/errors";
import { lockUser } from "@/lib/auth/user-lock";
import { deleteEmailTokens } from "@/lib/auth/email-tokens";
import { queueVerificationMail, type VerificationMailDeps } from "@/lib/auth/email-verification";
import { revokeAllSessions } from "@/lib/auth/sessions";
import { argon2Hasher, type PasswordHasher } from "@/lib/auth/password";
import { passwordMatchesEmail } from "@/lib/auth/schemas";
import { Prisma, type PrismaClient } from "@/lib/generated/prisma/client";
import {
  recordSecurityEvent,
  type AfterRecordHook,
  type EventContext,
} from "@/lib/security/events";
import type { PasswordGuard } from "@/lib/security/password-guard";

export type { PasswordHasher };

/**
 * A reset link asked for before the password changed must not undo the change (someone who
 * read the old mail could set a password of their own), so every password change or set
 * deletes the pending ones.
 */
const RESET_INVALIDATED_BY_PASSWORD = ["RESET_PASSWORD"] as const;

export interface SetPasswordInput {
  userId: string;
  /** Already validated by newPasswordSchema. */
  password: string;
  /** Needed only when the account has no email yet; ignored otherwise. */
  email?: string;
  now: Date;
  context?: EventContext;
  afterRecord?: AfterRecordHook;
  /** For the confirmation link mailed to an address added here (the clock is `now`). */
  verificationMail: Omit<VerificationMailDeps, "now">;
}

/**
 * Adds email + password sign-in to an account that has none. An account without an email
 * must bring one (stored unverified, exactly as a password sign-up would store it, so the
 * same-email policy treats it the same way, and sent a confirmation link, as a sign-up's
 * is). Refusals: "password-exists", "email-required",
 * "email-taken", "password-is-email"; nothing changes.
 */
export async function setPassword(
  prisma: PrismaClient,
  input: SetPasswordInput,
  hasher: PasswordHasher = argon2Hasher,
): Promise<void> {
  const before = await prisma.user.findUnique({
    where: { id: input.userId },
    select: { email: true },
  });
  if (!before) throw new AccountError("not-found");
  const email = before.email ?? input.email ?? null;
  if (email === null) throw new AccountError("email-required");
  if (passwordMatchesEmail(input.password, email)) throw new AccountError("password-is-email");
  const hash = await hasher.hash(input.password);

  try {
    await prisma.$transaction(async (tx) => {
      if (!(await lockUser(tx, input.userId))) throw new AccountError("not-found");
      const user = await tx.user.findUniqueOrThrow({
        where: { id: input.userId },
        select: { email: true, password: { select: { userId: true } } },
      });
      if (user.password) throw new AccountError("password-exists");
      // The email may have been set in the meantime; the hash was checked against `email`.
      if (user.email !== null && user.email !== email) throw new AccountError("password-exists");
      if (user.email === null) {
        await tx.user.update({ where: { id: input.userId }, data: { email, emailVerified: null } });
        await queueVerificationMail(
          tx,
          { ...input.verificationMail, now: input.now },
          { userId: input.userId, email },
        );
      }
      await tx.passwordCredential.create({ data: { userId: input.userId, hash } });
      await deleteEmailTokens(tx, input.userId, RESET_INVALIDATED_BY_PASSWORD);
      await recordSecurityEvent(
        tx,
        {
          userId: input.userId,
          type: "PASSWORD_SET",
          method: "password",
          detail:
            user.email === null
              ? "password and email added from the account page"
              : "password added from the account page",
          at: input.now,
          ...input.context,
        },
        { afterRecord: input.afterRecord },
      );
    });
  } catch (error) {
    // users.email is unique: someone else has that address.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new AccountError("email-taken");
    }
    throw error;
  }
}

export interface ChangePasswordInput {
  userId: string;
  currentPassword: string;
  /** Already validated by newPasswordSchema. */
  newPassword: string;
  /** Revoke every other session of the user (the browser making the change stays). */
  signOutOtherSessions: boolean;
  /** The Session row of the browser making the change. */
  currentSessionId: string;
  now: Date;
  context?: EventContext;
  afterRecord?: AfterRecordHook;
  /**
   * The same limits and throttle as password sign-in (lib/security/password-guard.ts): a
   * stolen session must not become an unlimited oracle for the account's password.
   */
  guard: PasswordGuard;
}

/**
 * Replaces the password after checking the current one. Refusals: "no-password",
 * "wrong-password", "same-password", "password-is-email"; nothing changes. Returns how many
 * other sessions were signed out.
 */
export async function changePassword(
  prisma: PrismaClient,
  input: ChangePasswordInput,
  hasher: PasswordHasher = argon2Hasher,
): Promise<{ signedOutSessions: number }> {
  const user = await prisma.user.findUnique({
    where: { id: input.userId },
    select: { email: true, password: { select: { hash: true } } },
  });
  if (!user) throw new AccountError("not-found");
  if (!user.password) throw new AccountError("no-password");
  // The same per-account budget as signing in with that email, so guesses here and on the
  // sign-in page add up. No per-IP limit: the session already names who is asking.
  const account = user.email ?? `user:${input.userId}`;
  const admission = await input.guard.admit({ ip: null, account });
  if (!admission.ok) {
    throw new AccountError(
      admission.reason === "unavailable" ? "try-again-shortly" : "too-many-attempts",
    );
  }
  if (!(await hasher.verify(user.password.hash, input.currentPassword))) {
    await input.guard.failed(account);
    throw new AccountError("wrong-password");
  }
  await input.guard.succeeded(account);
  if (input.newPassword === input.currentPassword) throw new AccountError("same-password");
  if (user.email !== null && passwordMatchesEmail(input.newPassword, user.email)) {
    throw new AccountError("password-is-email");
  }
  const hash = await hasher.hash(input.newPassword);

  return prisma.$transaction(async (tx) => {
    if (!(await lockUser(tx, input.userId))) throw new AccountError("not-found");
    // Only if the hash is still the one just verified: a parallel change (or a takeover
    // removal) in between wins, and this request must prove the current password again.
    const { count } = await tx.passwordCredential.updateMany({
      where: { userId: input.userId, hash: user.password?.hash },
      data: { hash },
    });
    if (count === 0) throw new AccountError("wrong-password");
    await deleteEmailTokens(tx, input.userId, RESET_INVALIDATED_BY_PASSWORD);
    let signedOutSessions = 0;
    if (input.signOutOtherSessions) {
      signedOutSessions = await revokeAllSessions(tx, {
        userId: input.userId,
        exceptSessionId: input.currentSessionId,
        now: input.now,
        context: input.context,
        reason: "password changed: all other sessions revoked",
        afterRecord: input.afterRecord,
      });
    }
    await recordSecurityEvent(
      tx,
      {
        userId: input.userId,
        type: "PASSWORD_CHANGED",
        method: "password",
        detail: input.signOutOtherSessions
          ? `password changed; other sessions signed out (${signedOutSessions})`
          : "password changed; other sessions kept",
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    return { signedOutSessions };
  });
}
