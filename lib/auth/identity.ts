// The same-email policy: what happens when an OAuth identity arrives (docs/sign-in.md,
// "Same email across providers"). One arrival is decided and written in one transaction; the
// database's unique constraints settle races between parallel arrivals (see
// resolveOAuthSignIn), so no path silently creates a second account.
import { claimAccount } from "@/lib/auth/claim";
import { normalizeEmail } from "@/lib/email";
import { Prisma, type PrismaClient } from "@/lib/generated/prisma/client";
import type { Logger } from "@/lib/logger";
import { retry } from "@/lib/retry";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";

/** OAuth token fields as Auth.js hands them over (snake_case, like the Account columns). */
export interface OAuthTokens {
  access_token?: string;
  refresh_token?: string;
  expires_at?: number;
  token_type?: string;
  scope?: string;
  id_token?: string;
  session_state?: string;
}

export interface OAuthIdentity {
  provider: string;
  providerAccountId: string;
  type: "oauth" | "oidc";
  email: string | null;
  /** True only when the provider proves the person controls `email`. */
  emailVerified: boolean;
  name: string | null;
  image: string | null;
  /** What the account page shows for this identity: the provider account's name or email. */
  label: string | null;
  tokens: OAuthTokens;
}

export type RefusalReason =
  | "unverified-email-match"
  | "identity-linked-to-another-user"
  /**
   * Linking a new identity from the account page needs a recent sign-in (docs/account.md,
   * "Recent sign-in").
   */
  | "recent-sign-in-required";

export interface IdentitySignIn {
  outcome: "sign-in";
  userId: string;
  /** A new user was created for this identity (SIGN_UP). */
  created: boolean;
  /** The identity was attached to a user that already existed (ACCOUNT_LINKED). */
  linked: boolean;
  /** The claim rule ran (claim.ts): the account was stripped back to this identity. */
  takeover: boolean;
}

export type IdentityResolution = IdentitySignIn | { outcome: "refused"; reason: RefusalReason };

export interface IdentityDependencies {
  prisma: PrismaClient;
  now: () => Date;
  logger: Logger;
  /** Runs in the arrival's transaction after each security event (see lib/security/events). */
  afterRecord?: AfterRecordHook;
  /** How often a lost race is re-resolved; defaults suit a handful of parallel arrivals. */
  retry?: { attempts: number; baseDelayMs: number };
}

/** Who is already signed in in the browser an identity arrives in. */
export interface CurrentUser {
  id: string;
  /**
   * Whether that sign-in is recent (lib/auth/recent-sign-in.ts). Adding a way to sign in
   * is what a thief holding a stolen session wants most (it outlives the session), so a
   * new identity joins the user only after a recent proof, like unlink and password change.
   */
  recentSignIn: boolean;
}

export interface OAuthArrival {
  identity: OAuthIdentity;
  /** The signed-in user when linking on purpose from the account page, otherwise null. */
  currentUser: CurrentUser | null;
  context: EventContext;
}

/** The signed-in user named by the caller does not exist (deleted while linking). */
export class CurrentUserNotFoundError extends Error {
  constructor(readonly userId: string) {
    super(`the signed-in user ${userId} no longer exists`);
    this.name = "CurrentUserNotFoundError";
  }
}

export const TAKEOVER_DETAIL =
  "pre-registration takeover protection: the account was stripped back to this identity";

// Errors that mean "a parallel arrival changed the rows under us": the transaction has
// rolled back, and resolving again sees what the other one committed.
// P2002 unique violation (same identity, or same email, created twice); P2003 foreign key
// (the matched user was deleted meanwhile); P2034 write conflict or deadlock.
const RACE_CODES = new Set(["P2002", "P2003", "P2034"]);

function isLostRace(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && RACE_CODES.has(error.code);
}

const DEFAULT_RETRY = { attempts: 5, baseDelayMs: 10 };

/**
 * Decides and applies what an arriving OAuth identity means, exactly as the table in
 * docs/sign-in.md says. Policy outcomes (refusals) are values, never exceptions; refusals
 * change nothing.
 */
export async function resolveOAuthSignIn(
  deps: IdentityDependencies,
  arrival: OAuthArrival,
): Promise<IdentityResolution> {
  const { provider } = arrival.identity;
  const logger = deps.logger.child({ requestId: arrival.context.requestId, provider });
  const { attempts, baseDelayMs } = deps.retry ?? DEFAULT_RETRY;
  let result: IdentityResolution;
  try {
    result = await retry(
      () => deps.prisma.$transaction((tx) => resolveInTransaction(tx, deps, arrival, deps.now())),
      {
        attempts,
        baseDelayMs,
        maxDelayMs: 250,
        shouldRetry: isLostRace,
        onRetry: (error, attempt, delayMs) =>
          logger.info("identity arrival lost a race, resolving again", {
            attempt,
            delayMs,
            code: error instanceof Prisma.PrismaClientKnownRequestError ? error.code : undefined,
          }),
      },
    );
  } catch (error) {
    if (error instanceof CurrentUserNotFoundError) throw error;
    throw new Error(
      isLostRace(error)
        ? `resolving a ${provider} sign-in still conflicted after ${attempts} attempts`
        : `resolving a ${provider} sign-in failed`,
      { cause: error },
    );
  }
  logger.info("identity arrival resolved", { ...result });
  return result;
}

/**
 * The token columns, picked one by one: the caller's object may carry more (Auth.js's
 * account has extra fields), and Prisma rejects unknown ones. undefined means "keep".
 */
function tokenColumns(tokens: OAuthTokens) {
  return {
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_at: tokens.expires_at,
    token_type: tokens.token_type,
    scope: tokens.scope,
    id_token: tokens.id_token,
    session_state: tokens.session_state,
  };
}

function accountData(identity: OAuthIdentity) {
  return {
    type: identity.type,
    provider: identity.provider,
    providerAccountId: identity.providerAccountId,
    label: identity.label,
    ...tokenColumns(identity.tokens),
  };
}

/** One arrival being resolved, inside its transaction: what every step below works on. */
interface Arrival {
  tx: Prisma.TransactionClient;
  identity: OAuthIdentity;
  context: EventContext;
  now: Date;
  afterRecord?: AfterRecordHook;
}

function recordArrivalEvent(
  { tx, identity, context, now, afterRecord }: Arrival,
  userId: string,
  type: "SIGN_UP" | "ACCOUNT_LINKED",
  detail: string,
): Promise<string> {
  return recordSecurityEvent(
    tx,
    { userId, type, method: identity.provider, detail, at: now, ...context },
    { afterRecord },
  );
}

function signIn(
  userId: string,
  flags: Partial<Pick<IdentitySignIn, "created" | "linked" | "takeover">> = {},
): IdentitySignIn {
  return {
    outcome: "sign-in",
    userId,
    created: flags.created ?? false,
    linked: flags.linked ?? false,
    takeover: flags.takeover ?? false,
  };
}

const refuse = (reason: RefusalReason): IdentityResolution => ({ outcome: "refused", reason });

/**
 * Walks the table in docs/sign-in.md top to bottom; each "Row:" below is one of its rows,
 * and each step it hands over to writes that row's outcome.
 */
async function resolveInTransaction(
  tx: Prisma.TransactionClient,
  deps: IdentityDependencies,
  { identity, currentUser, context }: OAuthArrival,
  now: Date,
): Promise<IdentityResolution> {
  const arrival: Arrival = { tx, identity, context, now, afterRecord: deps.afterRecord };

  // Row: the identity is already linked.
  const linkedAccount = await tx.account.findUnique({
    where: {
      provider_providerAccountId: {
        provider: identity.provider,
        providerAccountId: identity.providerAccountId,
      },
    },
    select: { id: true, userId: true },
  });
  if (linkedAccount) {
    if (currentUser !== null && linkedAccount.userId !== currentUser.id) {
      return refuse("identity-linked-to-another-user");
    }
    return refreshLinkedIdentity(arrival, linkedAccount);
  }

  // As the users_email_normalized CHECK stores it; a missing or blank email is none.
  const email = normalizeEmail(identity.email ?? "") || null;

  // Row: signed in and linking on purpose — joins the current user whatever its email.
  if (currentUser !== null) {
    if (!currentUser.recentSignIn) return refuse("recent-sign-in-required");
    return linkToCurrentUser(arrival, currentUser.id, identity.emailVerified ? email : null);
  }

  // Row: the identity carries no email (Stack Overflow; GitHub without a verified one).
  if (email === null) return createUserForIdentity(arrival, null);

  const owner = await tx.user.findUnique({
    where: { email },
    select: { id: true, emailVerified: true },
  });
  // Row: nobody has this email — a new user, the email stored with its verified flag.
  if (!owner) return createUserForIdentity(arrival, email);

  // Row: someone has this email and the arriving one is unproven. Only verified emails
  // ever match: anyone can claim any address at a provider that does not check it.
  if (!identity.emailVerified) return refuse("unverified-email-match");

  return joinEmailOwner(arrival, owner, email);
}

/**
 * Fresh tokens replace stored ones; a field the provider did not send this time (Google
 * sends refresh_token only on first consent) stays as it was: undefined means "keep".
 */
async function refreshLinkedIdentity(
  { tx, identity }: Arrival,
  linkedAccount: { id: string; userId: string },
): Promise<IdentitySignIn> {
  await tx.account.update({
    where: { id: linkedAccount.id },
    data: { ...tokenColumns(identity.tokens), label: identity.label ?? undefined },
  });
  return signIn(linkedAccount.userId);
}

/** Linking from the account page: the identity joins the signed-in user. */
async function linkToCurrentUser(
  arrival: Arrival,
  currentUserId: string,
  provenEmail: string | null,
): Promise<IdentitySignIn> {
  const { tx, identity, now } = arrival;
  const user = await tx.user.findUnique({
    where: { id: currentUserId },
    select: { id: true, email: true, emailVerified: true },
  });
  if (!user) throw new CurrentUserNotFoundError(currentUserId);
  await tx.account.create({ data: { ...accountData(identity), userId: user.id } });
  // The same person proved both sides, so nothing is deleted; the email is now proven.
  const provesUserEmail =
    provenEmail !== null && user.email === provenEmail && user.emailVerified === null;
  if (provesUserEmail) {
    await tx.user.update({ where: { id: user.id }, data: { emailVerified: now } });
  }
  await recordArrivalEvent(
    arrival,
    user.id,
    "ACCOUNT_LINKED",
    provesUserEmail
      ? "linked from the account page; its verified email proved the account's email"
      : "linked from the account page",
  );
  return signIn(user.id, { linked: true });
}

/** A new user for the identity, with `email` (verified as the provider says) or none. */
async function createUserForIdentity(
  arrival: Arrival,
  email: string | null,
): Promise<IdentitySignIn> {
  const { tx, identity, now } = arrival;
  const user = await tx.user.create({
    data: {
      email,
      emailVerified: email !== null && identity.emailVerified ? now : null,
      name: identity.name,
      image: identity.image,
      accounts: { create: accountData(identity) },
    },
    select: { id: true },
  });
  const what =
    email === null
      ? "without an email"
      : identity.emailVerified
        ? "with a verified email"
        : "with an unverified email";
  await recordArrivalEvent(
    arrival,
    user.id,
    "SIGN_UP",
    `new user from ${identity.provider} ${what}`,
  );
  return signIn(user.id, { created: true });
}

/** A verified identity whose email a user already has: it joins that user. */
async function joinEmailOwner(
  arrival: Arrival,
  owner: { id: string; emailVerified: Date | null },
  email: string,
): Promise<IdentitySignIn> {
  const { tx, identity, now, context } = arrival;
  const claimant = await tx.account.create({
    data: { ...accountData(identity), userId: owner.id },
    select: { id: true },
  });

  // Row: both sides proved the email — the same person.
  if (owner.emailVerified !== null) {
    await recordArrivalEvent(arrival, owner.id, "ACCOUNT_LINKED", "matched by verified email");
    return signIn(owner.id, { linked: true });
  }

  // Row: the existing email was never proven (password sign-up). Whoever set the account up
  // may not own the address (pre-registration takeover): the claim rule (claim.ts) strips it
  // back to this identity before anything is recorded, so no event of this arrival alerts
  // the previous holder's chat.
  await claimAccount(tx, {
    userId: owner.id,
    email,
    claimantAccountId: claimant.id,
    profile: { name: identity.name, image: identity.image },
    method: identity.provider,
    now,
    context,
    afterRecord: arrival.afterRecord,
  });
  await recordArrivalEvent(
    arrival,
    owner.id,
    "ACCOUNT_LINKED",
    `matched by verified email; ${TAKEOVER_DETAIL}`,
  );
  return signIn(owner.id, { linked: true, takeover: true });
}

// ---------------------------------------------------------------------------------------
// After the policy: every successful sign-in, and every failure worth a trace.

export interface SignInRecord extends EventContext {
  userId: string;
  /** "password", "google", "github", "stackoverflow" … */
  method: string;
  /** When; the call's wall clock when omitted. Pass the injected clock's now(). */
  now?: Date;
}

/**
 * Moves User.lastSignInAt and writes SIGN_IN (the event a Telegram alert hangs on, through
 * `afterRecord`), in one transaction. Returns the event id.
 */
export async function recordSignIn(
  db: DbClient,
  input: SignInRecord,
  options: { afterRecord?: AfterRecordHook } = {},
): Promise<string> {
  const { userId, method, now = new Date(), ...context } = input;
  return inTransaction(db, async (tx) => {
    // Raw SQL on purpose: Prisma's @updatedAt would move updatedAt on any update, and
    // updatedAt means "profile data changed" (docs/database.md). The ISO string is cast with its
    // offset, so the stored UTC value does not depend on the session's TimeZone setting.
    const updated = await tx.$executeRaw`
      UPDATE "User"
      SET "lastSignInAt" = (${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')
      WHERE "id" = ${userId}`;
    if (updated !== 1) throw new Error(`recordSignIn: no user ${userId}`);
    return recordSecurityEvent(
      tx,
      { userId, type: "SIGN_IN", method, at: now, ...context },
      options,
    );
  });
}

export interface SignInFailureRecord extends EventContext {
  /** The user the attempt named, when known; null for an unknown email or a refusal. */
  userId: string | null;
  method: string;
  /** Kept server-side (the person sees one message for every failure). */
  reason: string;
  now?: Date;
}

/**
 * Writes SIGN_IN_FAILED with the reason as detail (and `afterRecord`'s work: the sign-in
 * metrics count it). Returns the event id.
 */
export function recordSignInFailure(
  db: DbClient,
  input: SignInFailureRecord,
  options: { afterRecord?: AfterRecordHook } = {},
): Promise<string> {
  const { userId, method, reason, now, ...context } = input;
  return recordSecurityEvent(
    db,
    {
      userId,
      type: "SIGN_IN_FAILED",
      method,
      detail: reason,
      ...(now ? { at: now } : {}),
      ...context,
    },
    options,
  );
}
