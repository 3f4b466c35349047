// An account's passkeys as the account page manages them: the list, renaming, removing.
// Another user's passkey id behaves exactly like an unknown one: the user id is in every
// WHERE clause, and both answer "not-found".
import {
  PASSKEY_SUMMARY_SELECT,
  passkeySummary,
  type PasskeySummary,
} from "@/lib/auth/passkeys/shared";
import { normalizePasskeyName } from "@/lib/auth/passkeys/names";
import { lockUser } from "@/lib/auth/user-lock";
import { countSignInMethods } from "@/lib/auth/ways-in";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";
import { PASSKEY_PROVIDER_ID } from "@/lib/sign-in-methods";

/** The account's passkeys, oldest first. */
export async function listPasskeys(db: DbClient, userId: string): Promise<PasskeySummary[]> {
  const rows = await db.passkey.findMany({
    where: { userId },
    select: PASSKEY_SUMMARY_SELECT,
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return rows.map(passkeySummary);
}

export type RenamePasskeyResult =
  | { status: "renamed"; passkey: PasskeySummary }
  | { status: "not-found" }
  | { status: "invalid-name" };

/**
 * Gives a passkey another name. No event and no row lock: a name is a label, and changes
 * nothing about how the account signs in.
 */
export async function renamePasskey(
  db: DbClient,
  input: { userId: string; passkeyId: unknown; name: unknown },
): Promise<RenamePasskeyResult> {
  if (typeof input.passkeyId !== "string") return { status: "not-found" };
  const name = normalizePasskeyName(input.name);
  if (!name.ok) return { status: "invalid-name" };
  const { count } = await db.passkey.updateMany({
    where: { id: input.passkeyId, userId: input.userId },
    data: { name: name.name },
  });
  if (count === 0) return { status: "not-found" };
  const passkey = await db.passkey.findFirst({
    where: { id: input.passkeyId, userId: input.userId },
    select: PASSKEY_SUMMARY_SELECT,
  });
  // Removed between the two statements: as gone as if it had never been.
  return passkey
    ? { status: "renamed", passkey: passkeySummary(passkey) }
    : { status: "not-found" };
}

export type RemovePasskeyResult =
  | { status: "removed" }
  | { status: "not-found" }
  /** The account's only way to sign in: add another first. Nothing changed. */
  | { status: "last-sign-in-method" };

/**
 * Removes one of the account's passkeys, unless it is the last way to sign in. Takes the
 * user's row lock first, like every change to how an account signs in, so two removals at
 * once cannot both see "one left"; records PASSKEY_REMOVED (Telegram alerts it).
 */
export async function removePasskey(
  db: DbClient,
  input: {
    userId: string;
    passkeyId: unknown;
    now: Date;
    context?: EventContext;
    afterRecord?: AfterRecordHook;
  },
): Promise<RemovePasskeyResult> {
  const { userId, passkeyId } = input;
  if (typeof passkeyId !== "string") return { status: "not-found" };
  return inTransaction(db, async (tx): Promise<RemovePasskeyResult> => {
    if (!(await lockUser(tx, userId))) return { status: "not-found" };
    const passkey = await tx.passkey.findFirst({
      where: { id: passkeyId, userId },
      select: { id: true },
    });
    if (!passkey) return { status: "not-found" };
    if ((await countSignInMethods(tx, userId)) <= 1) return { status: "last-sign-in-method" };
    await tx.passkey.delete({ where: { id: passkey.id } });
    await recordSecurityEvent(
      tx,
      {
        userId,
        type: "PASSKEY_REMOVED",
        method: PASSKEY_PROVIDER_ID,
        detail: "removed from the account page",
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    return { status: "removed" };
  });
}
