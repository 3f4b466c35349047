// Everything the account page shows, read in one place so the page stays a renderer.
import {
  ACTIVITY_LINE_COLUMNS,
  ACTIVITY_LINE_ORDER,
  ACTIVITY_LINES,
  activityFromRows,
  activityParams,
  loadAccountActivity,
  type AccountActivity,
  type ActivityRow,
  type AccountEvent,
  type FailedAttemptRun,
} from "@/lib/account/activity";
import { listPasskeys, type PasskeySummary } from "@/lib/auth/passkeys";
import { passkeySummary } from "@/lib/auth/passkeys/shared";
import { listSessions, type ActiveSession } from "@/lib/auth/sessions";
import type { SqlConnection } from "@/lib/db/sql-connection";
import type { DbClient } from "@/lib/security/events";

export type { AccountEvent, FailedAttemptRun } from "@/lib/account/activity";

/**
 * How many security events the page lists (newest first), not counting failed password
 * attempts: those are summed up between them, a line per run (lib/account/activity.ts).
 */
export const ACCOUNT_EVENT_LIMIT = 50;

/** A run's attempts are counted up to this; beyond, the page says "more than 1,000". */
export const FAILED_ATTEMPT_COUNT_CAP = 1_000;

export interface LinkedIdentity {
  id: string;
  provider: string;
  /** The provider account's name or email, as the provider gave it. */
  label: string | null;
  linkedAt: Date;
  /** A Telegram identity whose chat gets the account's alerts (unlinking asks about them). */
  alertsChat: boolean;
}

export interface AccountSession extends ActiveSession {
  /** The session of the browser looking at the page. */
  current: boolean;
}

export interface AccountOverview {
  user: {
    id: string;
    name: string | null;
    email: string | null;
    emailVerified: boolean;
    createdAt: Date;
  };
  hasPassword: boolean;
  /**
   * The chat that gets sign-in alerts, if one is connected; `approveSignIns`: sign-ins from
   * a new browser wait for that chat's answer (lib/auth/sign-in-approval.ts).
   */
  telegram: { username: string | null; linkedAt: Date; approveSignIns: boolean } | null;
  identities: LinkedIdentity[];
  /** The account's passkeys, oldest first. */
  passkeys: PasskeySummary[];
  sessions: AccountSession[];
  /** The latest ACCOUNT_EVENT_LIMIT events other than failed password attempts. */
  events: AccountEvent[];
  /** The failed password attempts between (and after) those events, a run per gap. */
  failedAttempts: FailedAttemptRun[];
  secondFactor: {
    /** The authenticator app; `confirmedAt` null while it waits for its first code. */
    totp: { confirmedAt: Date | null } | null;
    /** Unused recovery codes. */
    recoveryCodesLeft: number;
  };
}

/** What the overview reads of the account, before it is shaped for the page. */
export interface AccountRecords {
  user: AccountOverview["user"];
  hasPassword: boolean;
  /** `chatId` as decimal text (a bigint in the table). */
  telegramLink: {
    username: string | null;
    createdAt: Date;
    chatId: string;
    approveSignIns: boolean;
  } | null;
  totpCredential: { confirmedAt: Date | null } | null;
  recoveryCodesLeft: number;
  /** Oldest link first. */
  accounts: {
    id: string;
    provider: string;
    providerAccountId: string;
    label: string | null;
    createdAt: Date;
  }[];
  /** Active only, newest sign-in first (listSessions). */
  sessions: ActiveSession[];
  /** Oldest first (listPasskeys). */
  passkeys: PasskeySummary[];
  activity: AccountActivity;
}

export interface AccountReadInput {
  userId: string;
  now: Date;
  eventLimit: number;
  failedAttemptCountCap: number;
}

/** Reads an account's records, or null when the user does not exist. */
export type AccountReader = (input: AccountReadInput) => Promise<AccountRecords | null>;

/**
 * The account's records through Prisma: the default, and what tests without raw SQL use.
 * The user (with its one-to-one relations) is one Prisma query of several statements; the
 * lists go alongside it rather than after, as they only need the id the page already has.
 */
export function prismaAccountReader(db: DbClient): AccountReader {
  return async (input) => {
    const [user, sessions, activity, passkeys] = await Promise.all([
      db.user.findUnique({
        where: { id: input.userId },
        select: {
          id: true,
          name: true,
          email: true,
          emailVerified: true,
          createdAt: true,
          password: { select: { userId: true } },
          telegramLink: {
            select: { username: true, createdAt: true, chatId: true, approveSignIns: true },
          },
          totpCredential: { select: { confirmedAt: true } },
          _count: { select: { recoveryCodes: { where: { usedAt: null } } } },
          accounts: {
            select: {
              id: true,
              provider: true,
              providerAccountId: true,
              label: true,
              createdAt: true,
            },
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          },
        },
      }),
      listSessions(db, { userId: input.userId, now: input.now }),
      loadAccountActivity(db, {
        userId: input.userId,
        limit: input.eventLimit,
        countCap: input.failedAttemptCountCap,
      }),
      listPasskeys(db, input.userId),
    ]);
    if (!user) return null;
    const { telegramLink } = user;
    return {
      user: {
        id: user.id,
        name: user.name,
        email: user.email,
        emailVerified: user.emailVerified !== null,
        createdAt: user.createdAt,
      },
      hasPassword: user.password !== null,
      telegramLink: telegramLink && { ...telegramLink, chatId: telegramLink.chatId.toString() },
      totpCredential: user.totpCredential,
      recoveryCodesLeft: user._count.recoveryCodes,
      accounts: user.accounts,
      sessions,
      passkeys,
      activity,
    };
  };
}

// Times as epoch milliseconds (float8), inside the JSON lists too: the columns are
// `timestamp without time zone` in UTC, which node-postgres would read in the process's
// local time zone; a number reads the same on both backends. `now` comes in as ISO text in
// UTC, which a `timestamp` parameter takes without its zone: UTC, like the columns.
const epochMs = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * Everything getAccountOverview reads, in one statement: $1 the user, $2 and $3 the
 * activity's limit and count cap (ACTIVITY_LINES), $4 now. The lists come as JSON arrays,
 * in the order Prisma's queries sort them.
 */
const ACCOUNT_SQL = `${ACTIVITY_LINES}
SELECT u.id, u.name, u.email,
  u."emailVerified" IS NOT NULL AS "emailVerified",
  ${epochMs(`u."createdAt"`)} AS "createdAtMs",
  EXISTS (SELECT 1 FROM "PasswordCredential" p WHERE p."userId" = u.id) AS "hasPassword",
  t."userId" IS NOT NULL AS "telegramLinked",
  t.username AS "telegramUsername",
  ${epochMs(`t."createdAt"`)} AS "telegramLinkedAtMs",
  t."chatId"::text AS "telegramChatId",
  t."approveSignIns" AS "telegramApproveSignIns",
  c."userId" IS NOT NULL AS "totpEnrolled",
  ${epochMs(`c."confirmedAt"`)} AS "totpConfirmedAtMs",
  (SELECT count(*)::int FROM "RecoveryCode" r
    WHERE r."userId" = u.id AND r."usedAt" IS NULL) AS "recoveryCodesLeft",
  (SELECT COALESCE(json_agg(json_build_object(
      'id', a.id, 'provider', a.provider, 'providerAccountId', a."providerAccountId",
      'label', a.label, 'createdAtMs', ${epochMs(`a."createdAt"`)}
    ) ORDER BY a."createdAt", a.id), '[]'::json)
    FROM "Account" a WHERE a."userId" = u.id) AS accounts,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', s.id, 'method', s.method, 'ip', s.ip, 'userAgent', s."userAgent",
      'createdAtMs', ${epochMs(`s."createdAt"`)},
      'lastSeenAtMs', ${epochMs(`s."lastSeenAt"`)},
      'expiresMs', ${epochMs(`s.expires`)}
    ) ORDER BY s."createdAt" DESC, s.id DESC), '[]'::json)
    FROM "Session" s
    WHERE s."userId" = u.id AND s."revokedAt" IS NULL AND s.expires > $4::timestamp(3)
  ) AS sessions,
  (SELECT COALESCE(json_agg(json_build_object(
      'id', k.id, 'name', k.name, 'credentialId', k."credentialId",
      'deviceType', k."deviceType"::text, 'backedUp', k."backedUp",
      'createdAtMs', ${epochMs(`k."createdAt"`)},
      'lastUsedAtMs', ${epochMs(`k."lastUsedAt"`)}
    ) ORDER BY k."createdAt", k.id), '[]'::json)
    FROM "Passkey" k WHERE k."userId" = u.id) AS passkeys,
  (SELECT COALESCE(json_agg(json_build_object(
      ${ACTIVITY_LINE_COLUMNS.map(([name, value]) => `'${name}', ${value}`).join(", ")}
    ) ORDER BY ${ACTIVITY_LINE_ORDER}), '[]'::json)
    FROM lines) AS activity
FROM "User" u
LEFT JOIN "TelegramLink" t ON t."userId" = u.id
LEFT JOIN "TotpCredential" c ON c."userId" = u.id
WHERE u.id = $1`;

interface AccountSqlRow {
  id: string;
  name: string | null;
  email: string | null;
  emailVerified: boolean;
  createdAtMs: number;
  hasPassword: boolean;
  telegramLinked: boolean;
  telegramUsername: string | null;
  telegramLinkedAtMs: number | null;
  telegramChatId: string | null;
  telegramApproveSignIns: boolean | null;
  totpEnrolled: boolean;
  totpConfirmedAtMs: number | null;
  recoveryCodesLeft: number;
  // json columns: both drivers parse them.
  accounts: {
    id: string;
    provider: string;
    providerAccountId: string;
    label: string | null;
    createdAtMs: number;
  }[];
  sessions: {
    id: string;
    method: string | null;
    ip: string | null;
    userAgent: string | null;
    createdAtMs: number;
    lastSeenAtMs: number;
    expiresMs: number;
  }[];
  passkeys: {
    id: string;
    name: string;
    credentialId: string;
    deviceType: "SINGLE_DEVICE" | "MULTI_DEVICE";
    backedUp: boolean;
    createdAtMs: number;
    lastUsedAtMs: number | null;
  }[];
  activity: ActivityRow[];
}

const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * The account's records as one prepared statement on the driver, without Prisma. Prisma's
 * version is eight statements, each paying for Prisma's query building, a round trip and
 * its parsing (docs/performance.md, "Signed-in pages"); the tests check both read the same.
 */
export function sqlAccountReader(sql: SqlConnection): AccountReader {
  return async (input) => {
    const activity = {
      userId: input.userId,
      limit: input.eventLimit,
      countCap: input.failedAttemptCountCap,
    };
    const [row] = await sql.query<AccountSqlRow>(
      ACCOUNT_SQL,
      [...activityParams(activity), input.now.toISOString()],
      { name: "gatehouse_account_overview" },
    );
    if (!row) return null;
    return {
      user: {
        id: row.id,
        name: row.name,
        email: row.email,
        emailVerified: row.emailVerified,
        createdAt: new Date(row.createdAtMs),
      },
      hasPassword: row.hasPassword,
      telegramLink: row.telegramLinked
        ? {
            username: row.telegramUsername,
            createdAt: new Date(row.telegramLinkedAtMs ?? Number.NaN),
            chatId: row.telegramChatId ?? "",
            approveSignIns: row.telegramApproveSignIns ?? false,
          }
        : null,
      totpCredential: row.totpEnrolled ? { confirmedAt: dateOrNull(row.totpConfirmedAtMs) } : null,
      recoveryCodesLeft: row.recoveryCodesLeft,
      accounts: row.accounts.map(({ createdAtMs, ...account }) => ({
        ...account,
        createdAt: new Date(createdAtMs),
      })),
      sessions: row.sessions.map(({ createdAtMs, lastSeenAtMs, expiresMs, ...session }) => ({
        ...session,
        createdAt: new Date(createdAtMs),
        lastSeenAt: new Date(lastSeenAtMs),
        expires: new Date(expiresMs),
      })),
      passkeys: row.passkeys.map(({ createdAtMs, lastUsedAtMs, ...passkey }) =>
        passkeySummary({
          ...passkey,
          createdAt: new Date(createdAtMs),
          lastUsedAt: dateOrNull(lastUsedAtMs),
        }),
      ),
      activity: activityFromRows(row.activity, activity.countCap),
    };
  };
}

/** The signed-in user's account, or null when the user no longer exists. */
export async function getAccountOverview(
  db: DbClient,
  input: {
    userId: string;
    currentSessionId: string | null;
    now: Date;
    eventLimit?: number;
    failedAttemptCountCap?: number;
    /** How the records are read; Prisma unless given (the page passes sqlAccountReader). */
    reader?: AccountReader;
  },
): Promise<AccountOverview | null> {
  const read = input.reader ?? prismaAccountReader(db);
  const records = await read({
    userId: input.userId,
    now: input.now,
    eventLimit: input.eventLimit ?? ACCOUNT_EVENT_LIMIT,
    failedAttemptCountCap: input.failedAttemptCountCap ?? FAILED_ATTEMPT_COUNT_CAP,
  });
  if (!records) return null;
  const { user, telegramLink } = records;
  return {
    user,
    hasPassword: records.hasPassword,
    telegram: telegramLink
      ? {
          username: telegramLink.username,
          linkedAt: telegramLink.createdAt,
          approveSignIns: telegramLink.approveSignIns,
        }
      : null,
    identities: records.accounts.map((account) => ({
      id: account.id,
      provider: account.provider,
      label: account.label,
      linkedAt: account.createdAt,
      // A person's private chat with the bot has their Telegram user id.
      alertsChat:
        account.provider === "telegram" && telegramLink?.chatId === account.providerAccountId,
    })),
    passkeys: records.passkeys,
    sessions: records.sessions.map((session) => ({
      ...session,
      current: session.id === input.currentSessionId,
    })),
    events: records.activity.events,
    failedAttempts: records.activity.failedAttempts,
    secondFactor: {
      totp: records.totpCredential,
      recoveryCodesLeft: records.recoveryCodesLeft,
    },
  };
}
