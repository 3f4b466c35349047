// The user row's lock. Every change to how an account signs in (its identities, its password,
// its address) takes it first, so two parallel changes cannot both see the state before the
// other: two unlinks of the last two methods, say, both seeing "one left".
import type { DbClient } from "@/lib/security/events";

/** Locks the user's row until the transaction ends; false when there is no such user. */
export async function lockUser(tx: DbClient, userId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT "id" FROM "User" WHERE "id" = ${userId} FOR UPDATE`;
  return rows.length === 1;
}
