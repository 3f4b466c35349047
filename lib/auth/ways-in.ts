// The last-method guard's count: how many ways an account has to sign in. Every removal of
// a way in (unlinking an identity, lib/account/methods.ts; removing a passkey,
// lib/auth/passkeys/manage.ts) counts them inside its transaction, after the user's row
// lock (lib/auth/user-lock.ts), and refuses to take the last one away.
import type { DbClient } from "@/lib/security/events";

/**
 * How many ways the user can sign in: linked identities, passkeys (each one its own way:
 * another device or security key), plus the password when the account has an email.
 */
export async function countSignInMethods(tx: DbClient, userId: string): Promise<number> {
  const user = await tx.user.findUnique({
    where: { id: userId },
    select: {
      email: true,
      password: { select: { userId: true } },
      _count: { select: { accounts: true, passkeys: true } },
    },
  });
  if (!user) return 0;
  // A password without an email cannot be used: sign-in asks for both.
  const password = user.password !== null && user.email !== null ? 1 : 0;
  return user._count.accounts + user._count.passkeys + password;
}
