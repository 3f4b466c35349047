// Everything the account page shows, read in one place so the page stays a renderer.
import {
  loadAccountActivity,
  type AccountEvent,
  type FailedAttemptRun,
} from "@/lib/account/activity";
import { listPasskeys, type PasskeySummary } from "@/lib/auth/passkeys";
import { listSessions, type ActiveSession } from "@/lib/auth/sessions";
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

/** The signed-in user's account, or null when the user no longer exists. */
export async function getAccountOverview(
  db: DbClient,
  input: {
    userId: string;
    currentSessionId: string | null;
    now: Date;
    eventLimit?: number;
    failedAttemptCountCap?: number;
  },
): Promise<AccountOverview | null> {
  const user = await db.user.findUnique({
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
        select: { id: true, provider: true, providerAccountId: true, label: true, createdAt: true },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      },
    },
  });
  if (!user) return null;
  const [sessions, activity, passkeys] = await Promise.all([
    listSessions(db, { userId: user.id, now: input.now }),
    loadAccountActivity(db, {
      userId: user.id,
      limit: input.eventLimit ?? ACCOUNT_EVENT_LIMIT,
      countCap: input.failedAttemptCountCap ?? FAILED_ATTEMPT_COUNT_CAP,
    }),
    listPasskeys(db, user.id),
  ]);
  return {
    user: {
      id: user.id,
      name: user.name,
      email: user.email,
      emailVerified: user.emailVerified !== null,
      createdAt: user.createdAt,
    },
    hasPassword: user.password !== null,
    telegram: user.telegramLink
      ? {
          username: user.telegramLink.username,
          linkedAt: user.telegramLink.createdAt,
          approveSignIns: user.telegramLink.approveSignIns,
        }
      : null,
    identities: user.accounts.map((account) => ({
      id: account.id,
      provider: account.provider,
      label: account.label,
      linkedAt: account.createdAt,
      // A person's private chat with the bot has their Telegram user id.
      alertsChat:
        account.provider === "telegram" &&
        user.telegramLink?.chatId.toString() === account.providerAccountId,
    })),
    passkeys,
    sessions: sessions.map((session) => ({
      ...session,
      current: session.id === input.currentSessionId,
    })),
    events: activity.events,
    failedAttempts: activity.failedAttempts,
    secondFactor: {
      totp: user.totpCredential,
      recoveryCodesLeft: user._count.recoveryCodes,
    },
  };
}
