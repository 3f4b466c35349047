// Revocable device sessions behind Auth.js's JWTs. Every JWT carries a random session
// token that names one Session row; the row holds the device (user agent, IP), when it
// signed in and when it was last seen. A token whose row is gone, revoked or expired is
// signed out on its next request.
//
// Only the token's SHA-256 is stored: a leaked database copy then holds no token that
// could be wrapped into a working JWT, even together with a leaked AUTH_SECRET.
import { createHash, randomBytes } from "node:crypto";

import type { SqlConnection } from "@/lib/db/sql-connection";
import type { SessionCheckResult } from "@/lib/metrics";
import {
  inTransaction,
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";

/** 32 random bytes (256 bits): far beyond guessing, 43 characters in base64url. */
const SESSION_TOKEN_BYTES = 32;

function hashSessionToken(sessionToken: string): string {
  return createHash("sha256").update(sessionToken).digest("hex");
}

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

function assertPositiveSeconds(name: string, value: number): void {
  // The table refuses a session that expires before it starts (sessions_expires_after_
  // created); saying which setting is wrong beats a constraint name.
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of seconds, got ${value}`);
  }
}

export interface CreatedSession {
  /** Goes into the JWT; never stored as is. */
  sessionToken: string;
  sessionId: string;
  expires: Date;
}

export async function createSession(
  db: DbClient,
  input: {
    userId: string;
    /** How this device signed in ("password", "google" …), for the sessions list. */
    method: string;
    ip: string | null;
    userAgent: string | null;
    maxAgeSeconds: number;
    now: Date;
  },
): Promise<CreatedSession> {
  assertPositiveSeconds("maxAgeSeconds", input.maxAgeSeconds);
  const sessionToken = randomBytes(SESSION_TOKEN_BYTES).toString("base64url");
  const expires = addSeconds(input.now, input.maxAgeSeconds);
  const session = await db.session.create({
    data: {
      sessionToken: hashSessionToken(sessionToken),
      userId: input.userId,
      method: input.method,
      ip: input.ip,
      userAgent: input.userAgent,
      // Times from the injected clock, not the database's: the CHECKs compare them with
      // `expires`, which is computed here.
      createdAt: input.now,
      lastSeenAt: input.now,
      expires,
    },
    select: { id: true },
  });
  return { sessionToken, sessionId: session.id, expires };
}

export interface ValidSession {
  userId: string;
  sessionId: string;
  createdAt: Date;
  /** The account's address now (it may have changed since this browser signed in). */
  email: string | null;
}

/** What the check reads of a session and its user: one row, by the token's hash. */
export interface SessionCheckRow {
  id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  expires: Date;
  revokedAt: Date | null;
  email: string | null;
}

/** Finds the row a session check needs by the token's stored hash, or null. */
export type SessionLookup = (tokenHash: string) => Promise<SessionCheckRow | null>;

/** The lookup through Prisma: the default, and what tests without raw SQL use. */
export function prismaSessionLookup(db: DbClient): SessionLookup {
  return async (tokenHash) => {
    const session = await db.session.findUnique({
      where: { sessionToken: tokenHash },
      select: {
        id: true,
        userId: true,
        createdAt: true,
        lastSeenAt: true,
        expires: true,
        revokedAt: true,
        // The same round trip: the page header shows the address of the account as it is.
        user: { select: { email: true } },
      },
    });
    if (!session) return null;
    const { user, ...row } = session;
    return { ...row, email: user.email };
  };
}

interface SessionCheckSqlRow {
  id: string;
  userId: string;
  createdAtMs: number;
  lastSeenAtMs: number;
  expiresMs: number;
  revokedAtMs: number | null;
  email: string | null;
}

// Times as epoch milliseconds (float8): the columns are `timestamp without time zone` in
// UTC, which node-postgres would read in the process's local time zone; a number reads the
// same on both backends.
const SESSION_CHECK_SQL = `SELECT s.id, s."userId",
  (extract(epoch FROM s."createdAt") * 1000)::float8 AS "createdAtMs",
  (extract(epoch FROM s."lastSeenAt") * 1000)::float8 AS "lastSeenAtMs",
  (extract(epoch FROM s.expires) * 1000)::float8 AS "expiresMs",
  (extract(epoch FROM s."revokedAt") * 1000)::float8 AS "revokedAtMs",
  u.email
FROM "Session" s JOIN "User" u ON u.id = s."userId"
WHERE s."sessionToken" = $1`;

/**
 * The lookup as one prepared statement on the driver, without Prisma: it runs on every
 * signed-in request, and Prisma's query building and its promises cost more CPU than the
 * round trip itself (docs/performance.md, "Signed-in pages").
 */
export function sqlSessionLookup(sql: SqlConnection): SessionLookup {
  return async (tokenHash) => {
    const [row] = await sql.query<SessionCheckSqlRow>(SESSION_CHECK_SQL, [tokenHash], {
      name: "gatehouse_session_check",
    });
    if (!row) return null;
    return {
      id: row.id,
      userId: row.userId,
      createdAt: new Date(row.createdAtMs),
      lastSeenAt: new Date(row.lastSeenAtMs),
      expires: new Date(row.expiresMs),
      revokedAt: row.revokedAtMs === null ? null : new Date(row.revokedAtMs),
      email: row.email,
    };
  };
}

interface SessionCheckInput {
  sessionToken: string;
  touchIntervalSeconds: number;
  maxAgeSeconds: number;
  now: Date;
  /** How the row is read; Prisma unless given (the app passes sqlSessionLookup). */
  lookup?: SessionLookup;
  /** Told what each check found and how long it took (lib/metrics). */
  observe?: (result: SessionCheckResult, seconds: number) => void;
}

/**
 * The session behind `sessionToken`, or null when it is missing, revoked or expired.
 * Activity is written at most once per `touchIntervalSeconds` (last seen, and `expires`
 * slides to now + maxAge), so a busy page costs one indexed read per request, not a write.
 */
export async function validateSession(
  db: DbClient,
  input: SessionCheckInput,
): Promise<ValidSession | null> {
  const started = performance.now();
  // Stays "error" when the check throws (the database is down).
  let result: SessionCheckResult = "error";
  try {
    const checked = await checkSession(db, input);
    result = checked.result;
    return checked.session;
  } finally {
    input.observe?.(result, (performance.now() - started) / 1_000);
  }
}

async function checkSession(
  db: DbClient,
  input: SessionCheckInput,
): Promise<{ result: SessionCheckResult; session: ValidSession | null }> {
  assertPositiveSeconds("maxAgeSeconds", input.maxAgeSeconds);
  const lookup = input.lookup ?? prismaSessionLookup(db);
  const session = await lookup(hashSessionToken(input.sessionToken));
  if (!session) return { result: "missing", session: null };
  if (session.revokedAt !== null) return { result: "revoked", session: null };
  if (session.expires.getTime() <= input.now.getTime()) {
    return { result: "expired", session: null };
  }

  const touchBefore = addSeconds(input.now, -input.touchIntervalSeconds);
  if (session.lastSeenAt.getTime() < touchBefore.getTime()) {
    // Conditional on the row still being active and stale: two requests racing here write
    // once, and a revocation that landed meanwhile is not undone.
    await db.session.updateMany({
      where: { id: session.id, revokedAt: null, lastSeenAt: { lt: touchBefore } },
      data: { lastSeenAt: input.now, expires: addSeconds(input.now, input.maxAgeSeconds) },
    });
  }
  return {
    result: "valid",
    session: {
      userId: session.userId,
      sessionId: session.id,
      createdAt: session.createdAt,
      email: session.email,
    },
  };
}

/**
 * Revokes one of the user's own sessions. A session id of another user, an unknown id or
 * an already revoked session changes nothing and returns false.
 */
export async function revokeSession(
  db: DbClient,
  input: {
    userId: string;
    sessionId: string;
    now: Date;
    context?: EventContext;
    /** Why, for the security log ("revoked from the account page", "Not me in Telegram"). */
    reason?: string;
    /** Passed to recordSecurityEvent for the SESSION_REVOKED event. */
    afterRecord?: AfterRecordHook;
  },
): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    // userId in the WHERE clause is the authorization check: nobody revokes another
    // person's session by guessing its id.
    const { count } = await tx.session.updateMany({
      where: { id: input.sessionId, userId: input.userId, revokedAt: null },
      data: { revokedAt: input.now },
    });
    if (count === 0) return false;
    await recordSecurityEvent(
      tx,
      {
        userId: input.userId,
        type: "SESSION_REVOKED",
        detail: input.reason ?? "one session revoked",
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    return true;
  });
}

/**
 * Revokes every session of the user that is not revoked yet (expired ones too: harmless,
 * and "every" stays simple to reason about), except `exceptSessionId` when given ("sign
 * out all other devices"). Returns how many were revoked; one event records them all.
 */
export async function revokeAllSessions(
  db: DbClient,
  input: {
    userId: string;
    exceptSessionId?: string;
    now: Date;
    context?: EventContext;
    reason?: string;
    /** Passed to recordSecurityEvent for the SESSION_REVOKED event. */
    afterRecord?: AfterRecordHook;
  },
): Promise<number> {
  return inTransaction(db, async (tx) => {
    // Sign-ins still waiting for their second factor go too: "sign out everywhere" (or "Not
    // me", or a password change that signs the others out) must not leave one that a person
    // holding the password could still finish.
    await tx.pendingSignIn.deleteMany({ where: { userId: input.userId } });
    const { count } = await tx.session.updateMany({
      where: {
        userId: input.userId,
        revokedAt: null,
        ...(input.exceptSessionId === undefined ? {} : { id: { not: input.exceptSessionId } }),
      },
      data: { revokedAt: input.now },
    });
    if (count === 0) return 0;
    const scope = input.exceptSessionId === undefined ? "all sessions" : "all other sessions";
    await recordSecurityEvent(
      tx,
      {
        userId: input.userId,
        type: "SESSION_REVOKED",
        detail: `${input.reason ?? `${scope} revoked`} (${count} ${count === 1 ? "session" : "sessions"})`,
        at: input.now,
        ...input.context,
      },
      { afterRecord: input.afterRecord },
    );
    return count;
  });
}

/**
 * Sign-out: deletes the row behind `sessionToken` (nothing is left to list or revoke).
 * Writes SIGN_OUT when the session was still active. Returns whether a row was deleted.
 */
export async function endSession(
  db: DbClient,
  sessionToken: string,
  context: EventContext = {},
): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const hash = hashSessionToken(sessionToken);
    const session = await tx.session.findUnique({
      where: { sessionToken: hash },
      select: { id: true, userId: true, method: true, revokedAt: true },
    });
    if (!session) return false;
    const { count } = await tx.session.deleteMany({ where: { id: session.id } });
    // A parallel sign-out of the same token got there first: it records the event.
    if (count === 0) return false;
    if (session.revokedAt === null) {
      await recordSecurityEvent(tx, {
        userId: session.userId,
        type: "SIGN_OUT",
        method: session.method,
        ...context,
      });
    }
    return true;
  });
}

export interface ActiveSession {
  id: string;
  method: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expires: Date;
}

/** The user's active sessions (not revoked, not expired), newest sign-in first. */
export function listSessions(
  db: DbClient,
  input: { userId: string; now: Date },
): Promise<ActiveSession[]> {
  return db.session.findMany({
    where: { userId: input.userId, revokedAt: null, expires: { gt: input.now } },
    // id breaks ties between sessions created in the same millisecond, so the order is stable.
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: {
      id: true,
      method: true,
      ip: true,
      userAgent: true,
      createdAt: true,
      lastSeenAt: true,
      expires: true,
    },
  });
}

/**
 * A new sign-in in a browser that was already signed in (re-proving for a sensitive
 * change, linking a provider, switching accounts) replaces the browser's cookie, so the
 * previous row can never be presented again: it is deleted, without a SIGN_OUT event (the
 * new sign-in's SIGN_IN event tells the story). Returns whether a row was deleted.
 */
export async function discardReplacedSession(db: DbClient, sessionId: string): Promise<boolean> {
  const { count } = await db.session.deleteMany({ where: { id: sessionId } });
  return count === 1;
}
