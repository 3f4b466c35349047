// The account page's security activity, read so that a stranger guessing the password
// cannot push the owner's real history off the page (docs/account.md, "Failed password
// attempts"). One statement reads:
// - the history: the latest `limit` events other than failed password attempts, through a
//   partial index that leaves those attempts out (SecurityEvent_userId_history_idx), so
//   thousands of them cost nothing to skip;
// - the runs: the failed password attempts between two consecutive history events (and,
//   when the history is not cut at the limit, before the oldest one), each summed up as one
//   row — how many, from how many addresses, the latest one's device and address. Every run
//   counts at most `countCap + 1` rows, so the work is bounded by (limit + 1) × (cap + 1)
//   index entries however long the log grows.
import type { SecurityEventType } from "@/lib/generated/prisma/client";
import type { DbClient } from "@/lib/security/events";

/** One event of the history, as the page lists it. */
export interface AccountEvent {
  id: string;
  type: SecurityEventType;
  method: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: string | null;
  createdAt: Date;
}

/** Consecutive failed password attempts, summed up. */
export interface FailedAttemptRun {
  /** The latest attempt's event id. */
  id: string;
  /** How many attempts; when `countCapped`, more than this. */
  attempts: number;
  /** The run had more attempts than were counted (`attempts` is the cap). */
  countCapped: boolean;
  /** How many distinct client addresses the counted attempts came from. */
  addresses: number;
  /** The latest attempt. */
  last: { ip: string | null; userAgent: string | null; createdAt: Date };
}

export interface AccountActivity {
  /** Newest first, without failed password attempts. */
  events: AccountEvent[];
  /** Newest first; each lies between two consecutive `events` (or after/before all). */
  failedAttempts: FailedAttemptRun[];
}

/** One line of ACTIVITY_LINES: a history event, or a run summed up. */
export interface ActivityRow {
  kind: "event" | "run";
  id: string;
  type: SecurityEventType | null;
  method: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: string | null;
  /** Epoch milliseconds (see ACTIVITY_LINE_COLUMNS). */
  createdAtMs: number;
  attempts: number | null;
  addresses: number | null;
}

/**
 * The history and the runs of failed password attempts between its events, as the `lines`
 * of a WITH clause: $1 the user, $2 the history's limit, $3 the count cap + 1. The
 * history's WHERE repeats the partial index's predicate word for word (not as parameters),
 * which is what lets the planner prove the index applies; keep the two identical. The
 * account page's statement (lib/account/overview.ts) starts with these very lines.
 */
export const ACTIVITY_LINES = `
    WITH history AS (
      SELECT "id", "type", "method", "ip", "userAgent", "detail", "createdAt"
      FROM "SecurityEvent"
      WHERE "userId" = $1
        AND ("type" <> 'SIGN_IN_FAILED' OR "method" IS DISTINCT FROM 'password')
      ORDER BY "createdAt" DESC, "id" DESC
      LIMIT $2
    ),
    runs AS (
      -- Between each history event and the next newer one (none: open above) …
      SELECT lag("createdAt") OVER newest AS "beforeAt", lag("id") OVER newest AS "beforeId",
             "createdAt" AS "afterAt", "id" AS "afterId"
      FROM history
      WINDOW newest AS (ORDER BY "createdAt" DESC, "id" DESC)
      UNION ALL
      -- … and before the oldest, unless the history was cut there (older events are not
      -- shown, and neither are older attempts). An empty history makes this the whole log.
      SELECT oldest."createdAt", oldest."id", NULL, NULL
      FROM (SELECT count(*) AS n FROM history) AS size
      LEFT JOIN (
        SELECT "createdAt", "id" FROM history ORDER BY "createdAt", "id" LIMIT 1
      ) AS oldest ON true
      WHERE size.n < $2
    ),
    bounded AS (
      SELECT COALESCE("beforeAt", 'infinity'::timestamp) AS "beforeAt",
             COALESCE("beforeId", '') AS "beforeId",
             COALESCE("afterAt", '-infinity'::timestamp) AS "afterAt",
             COALESCE("afterId", '') AS "afterId"
      FROM runs
    ),
    lines AS (
      SELECT 'event' AS "kind", "id", "type", "method", "ip", "userAgent", "detail",
             "createdAt", NULL::int AS "attempts", NULL::int AS "addresses"
      FROM history
      UNION ALL
      SELECT 'run', latest."id", NULL, NULL, latest."ip", latest."userAgent", NULL,
             latest."createdAt", counted."attempts", counted."addresses"
      FROM bounded
      CROSS JOIN LATERAL (
        SELECT f."id", f."ip", f."userAgent", f."createdAt"
        FROM "SecurityEvent" AS f
        WHERE f."userId" = $1
          AND f."type" = 'SIGN_IN_FAILED' AND f."method" = 'password'
          AND f."createdAt" <= bounded."beforeAt" AND f."createdAt" >= bounded."afterAt"
          AND (f."createdAt", f."id") < (bounded."beforeAt", bounded."beforeId")
          AND (f."createdAt", f."id") > (bounded."afterAt", bounded."afterId")
        ORDER BY f."createdAt" DESC, f."id" DESC
        LIMIT 1
      ) AS latest
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS "attempts", count(DISTINCT capped."ip")::int AS "addresses"
        FROM (
          SELECT f."ip"
          FROM "SecurityEvent" AS f
          WHERE f."userId" = $1
            AND f."type" = 'SIGN_IN_FAILED' AND f."method" = 'password'
            AND f."createdAt" <= bounded."beforeAt" AND f."createdAt" >= bounded."afterAt"
            AND (f."createdAt", f."id") < (bounded."beforeAt", bounded."beforeId")
            AND (f."createdAt", f."id") > (bounded."afterAt", bounded."afterId")
          ORDER BY f."createdAt" DESC, f."id" DESC
          LIMIT $3
        ) AS capped
      ) AS counted
    )`;

/**
 * An ActivityRow's columns, as `name, expression` pairs (what json_build_object takes).
 * Times as epoch milliseconds (float8): the columns are `timestamp without time zone` in
 * UTC, which node-postgres would read in the process's local time zone; a number reads the
 * same through Prisma, node-postgres and PGlite.
 */
export const ACTIVITY_LINE_COLUMNS: readonly (readonly [string, string])[] = [
  ["kind", `"kind"`],
  ["id", `"id"`],
  ["type", `"type"::text`],
  ["method", `"method"`],
  ["ip", `"ip"`],
  ["userAgent", `"userAgent"`],
  ["detail", `"detail"`],
  ["createdAtMs", `(extract(epoch FROM "createdAt") * 1000)::float8`],
  ["attempts", `"attempts"`],
  ["addresses", `"addresses"`],
];

/** Newest first; ties by id, descending. */
export const ACTIVITY_LINE_ORDER = `"createdAt" DESC, "id" DESC`;

const ACTIVITY_SQL = `${ACTIVITY_LINES}
    SELECT ${ACTIVITY_LINE_COLUMNS.map(([name, value]) => `${value} AS "${name}"`).join(", ")}
    FROM lines
    ORDER BY ${ACTIVITY_LINE_ORDER}`;

export interface ActivityInput {
  userId: string;
  limit: number;
  countCap: number;
}

/** ACTIVITY_LINES's parameters, $1 to $3. */
export const activityParams = (input: ActivityInput) => [
  input.userId,
  input.limit,
  input.countCap + 1,
];

/**
 * The account's activity through Prisma: the default, and what tests without raw SQL use
 * (the account page reads the same lines within its one statement).
 */
export async function loadAccountActivity(
  db: DbClient,
  input: ActivityInput,
): Promise<AccountActivity> {
  // A constant statement whose values are bound parameters ($1 …), never spliced in.
  const rows = await db.$queryRawUnsafe<ActivityRow[]>(ACTIVITY_SQL, ...activityParams(input));
  return activityFromRows(rows, input.countCap);
}

/** The lines, newest first, split into the history and the runs. */
export function activityFromRows(rows: readonly ActivityRow[], countCap: number): AccountActivity {
  const events: AccountEvent[] = [];
  const failedAttempts: FailedAttemptRun[] = [];
  for (const row of rows) {
    const createdAt = new Date(row.createdAtMs);
    if (row.kind === "event" && row.type !== null) {
      const { id, type, method, ip, userAgent, detail } = row;
      events.push({ id, type, method, ip, userAgent, detail, createdAt });
    } else {
      const counted = row.attempts ?? 0;
      failedAttempts.push({
        id: row.id,
        attempts: Math.min(counted, countCap),
        countCapped: counted > countCap,
        addresses: row.addresses ?? 0,
        last: { ip: row.ip, userAgent: row.userAgent, createdAt },
      });
    }
  }
  return { events, failedAttempts };
}
