// The claim rule (docs/sign-in.md, "The claim rule"): when a verified identity
// arrives for an account whose email was never proven, whoever set that account up may not
// own the address — anyone can sign up with someone else's email (pre-registration
// takeover). The proven owner gets the account, stripped back to the identity that proved
// it: nobody who held the account before keeps any way in, or any view of it.
//
// Why strip the account rather than give the claimant a fresh one: the address is the
// claimant's, so the account named by it is theirs; a fresh account would leave the
// squatter a working account under someone else's (now unproven) identity, and the owner's
// history would lose what was done in their name. Keeping the security log (and showing
// it on the account page) tells the owner what happened before they arrived.
//
// CLAIM_RULE names what happens to every model, typed over Prisma's model list, so a new
// model does not compile until someone decides; tests/unit/claim-rule.test.ts checks the
// decision against the schema's relations and tests/integration/claim.test.ts checks that
// claimAccount does what the rule says, model by model.
import type { Prisma } from "@/lib/generated/prisma/client";
import { deleteEmailTokens, EMAIL_TOKEN_KINDS } from "@/lib/auth/email-tokens";
import { removeSecondFactor } from "@/lib/auth/second-factor/authenticator";
import { revokeAllSessions } from "@/lib/auth/sessions";
import { lockUser } from "@/lib/auth/user-lock";
import {
  CLAIM_DETAIL,
  recordSecurityEvent,
  type AfterRecordHook,
  type EventContext,
} from "@/lib/security/events";
import { PASSKEY_PROVIDER_ID } from "@/lib/sign-in-methods";

/** What the claim does to a model's rows. */
export type ClaimTreatment =
  /** The claimed account itself: its profile is replaced by the claimant's. */
  | "reset-profile"
  /** Every row of the account goes (ways in, ways to see it, pending single-use tokens). */
  | "delete"
  /** Every row of the account goes except the identity that proved the email. */
  | "delete-except-claimant"
  /** Rows stay but stop working (sessions: revoked, so each device is signed out). */
  | "revoke"
  /** Undelivered rows are cancelled (they would reach the previous holder). */
  | "cancel-pending"
  /** Kept for the owner to see: the append-only history of what happened to the account. */
  | "keep-history"
  /** Tokens keyed by the email address rather than the user id: they go too. */
  | "delete-by-email"
  /** The model holds nothing about a person (none today): the claim leaves it alone. */
  | "unrelated";

export const CLAIM_RULE = {
  User: "reset-profile",
  Account: "delete-except-claimant",
  Session: "revoke",
  PasswordCredential: "delete",
  TelegramLink: "delete",
  TelegramLinkToken: "delete",
  NotificationOutbox: "cancel-pending",
  SecurityEvent: "keep-history",
  // Events on their way to RabbitMQ: what happened is published as it happened.
  EventOutbox: "keep-history",
  VerificationToken: "delete-by-email",
  // A pending reset or change-of-address link the previous holder asked for would be a way
  // back in; a verification link sent to the address is the owner's no longer needed.
  EmailToken: "delete",
  // An authenticator app the previous holder set up would be theirs to pass (and would stop
  // the owner at the next sign-in), and so would its recovery codes.
  TotpCredential: "delete",
  RecoveryCode: "delete",
  // A sign-in the previous holder started and has yet to finish with their second factor.
  PendingSignIn: "delete",
  // A passkey the previous holder added is a way in that needs no email at all; a
  // registration they started would add one.
  Passkey: "delete",
  WebAuthnChallenge: "delete",
} as const satisfies Record<Prisma.ModelName, ClaimTreatment>;

export { CLAIM_DETAIL };

export interface ClaimInput {
  /** The account whose unproven email the arriving identity proved. */
  userId: string;
  /** That email (normalized), for the tokens keyed by address. */
  email: string;
  /**
   * The identity that proved the email: its Account row id, kept. Null when the proof was
   * a link mailed to the address (a password reset): then no identity is kept.
   */
  claimantAccountId: string | null;
  /**
   * When the proof was a mailed link: its token's hash. That token (already used) is kept,
   * so the link answers "already used" rather than "unknown"; every other token goes.
   */
  claimantEmailTokenHash?: string;
  /** The claimant's profile, which replaces the one the previous holder typed. */
  profile: { name: string | null; image: string | null };
  /** How the claimant arrived ("google", "github" …), for the events. */
  method: string;
  now: Date;
  context: EventContext;
  afterRecord?: AfterRecordHook;
}

export interface ClaimResult {
  removedIdentities: string[];
  removedPassword: boolean;
  /** A confirmed authenticator app (with its recovery codes) was removed. */
  removedSecondFactor: boolean;
  /** How many passkeys were removed. */
  removedPasskeys: number;
  removedTelegram: boolean;
  revokedSessions: number;
  cancelledNotifications: number;
}

/**
 * Strips the account back to the claimant, inside the caller's transaction (the arrival's,
 * so the claim and the sign-in commit together or not at all).
 *
 * Order matters: the Telegram chat and its queued alerts go first, so none of the events
 * recorded below (which alert through `afterRecord`) can reach the previous holder's chat.
 */
export async function claimAccount(
  tx: Prisma.TransactionClient,
  input: ClaimInput,
): Promise<ClaimResult> {
  // The user's row lock first, like every change to how an account signs in: a second
  // factor the previous holder is confirming at this moment waits, then goes with the rest.
  await lockUser(tx, input.userId);
  const views = await removeViews(tx, input);
  const waysIn = await removeWaysIn(tx, input);
  // The profile the previous holder typed (a name shown to the owner and in alerts).
  await tx.user.update({
    where: { id: input.userId },
    data: { emailVerified: input.now, name: input.profile.name, image: input.profile.image },
  });

  const event = (
    type:
      | "ACCOUNT_UNLINKED"
      | "PASSWORD_REMOVED"
      | "TOTP_DISABLED"
      | "PASSKEY_REMOVED"
      | "TELEGRAM_UNLINKED",
    method: string | null,
    detail: string,
  ) =>
    recordSecurityEvent(
      tx,
      {
        userId: input.userId,
        type,
        method,
        detail: `${CLAIM_DETAIL}: ${detail}`,
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
  if (views.removedTelegram) {
    await event("TELEGRAM_UNLINKED", "telegram", "chat connected before the email was proven");
  }
  for (const provider of waysIn.removedIdentities) {
    await event("ACCOUNT_UNLINKED", provider, "sign-in method linked before the email was proven");
  }
  if (waysIn.removedPassword) {
    await event("PASSWORD_REMOVED", input.method, "password set before the email was proven");
  }
  // One event per passkey, as per identity: the history says how many ways in went.
  for (let i = 0; i < waysIn.removedPasskeys; i++) {
    await event(
      "PASSKEY_REMOVED",
      PASSKEY_PROVIDER_ID,
      "passkey added before the email was proven",
    );
  }
  if (waysIn.removedSecondFactor) {
    await event("TOTP_DISABLED", null, "authenticator app set up before the email was proven");
  }
  const revokedSessions = await revokeAllSessions(tx, {
    userId: input.userId,
    now: input.now,
    context: input.context,
    reason: `${CLAIM_DETAIL}: all sessions revoked`,
    afterRecord: input.afterRecord,
  });
  return { ...views, ...waysIn, revokedSessions };
}

/**
 * Views of the account: the chat that gets its alerts (and answers /sessions, "Not me"),
 * alerts still queued for it, links to connect another chat, and single-use tokens sent to
 * the address (Auth.js's by address; Gatehouse's emailed links by user, every kind).
 */
async function removeViews(
  tx: Prisma.TransactionClient,
  { userId, email, claimantEmailTokenHash }: ClaimInput,
) {
  const telegram = await tx.telegramLink.deleteMany({ where: { userId } });
  const cancelled = await tx.notificationOutbox.updateMany({
    where: { userId, status: "PENDING" },
    data: {
      status: "FAILED",
      lastError: "cancelled: the account was claimed by its email's owner",
    },
  });
  await tx.telegramLinkToken.deleteMany({ where: { userId } });
  await tx.verificationToken.deleteMany({ where: { identifier: email } });
  if (claimantEmailTokenHash === undefined) {
    await deleteEmailTokens(tx, userId, EMAIL_TOKEN_KINDS);
  } else {
    await tx.emailToken.deleteMany({
      where: { userId, tokenHash: { not: claimantEmailTokenHash } },
    });
  }
  return { removedTelegram: telegram.count > 0, cancelledNotifications: cancelled.count };
}

/**
 * Ways in: every identity but the claimant's, the password, the passkeys (with any
 * registration still pending), and the second factor with its recovery codes (sessions:
 * see above).
 */
async function removeWaysIn(
  tx: Prisma.TransactionClient,
  { userId, claimantAccountId }: ClaimInput,
) {
  const identities = await tx.account.findMany({
    where: { userId, ...(claimantAccountId === null ? {} : { id: { not: claimantAccountId } }) },
    select: { id: true, provider: true },
    orderBy: { createdAt: "asc" },
  });
  await tx.account.deleteMany({ where: { id: { in: identities.map((a) => a.id) } } });
  const password = await tx.passwordCredential.deleteMany({ where: { userId } });
  // Passkeys, and any registration of one still under way (the squatter's ceremony).
  await tx.webAuthnChallenge.deleteMany({ where: { userId } });
  const passkeys = await tx.passkey.deleteMany({ where: { userId } });
  const removedSecondFactor = await removeSecondFactor(tx, userId);
  return {
    removedIdentities: identities.map((identity) => identity.provider),
    removedPassword: password.count > 0,
    removedPasskeys: passkeys.count,
    removedSecondFactor,
  };
}
