// Everything the account page shows, read in one place so the page stays a renderer.
import { listSessions, type ActiveSession } from "@/lib/auth/sessions";
import type { SecurityEventType } from "@/lib/generated/prisma/client";
import type { DbClient } from "@/lib/security/events";

/** How many security events the page lists (newest first). */
export const ACCOUNT_EVENT_LIMIT = 50;

export interface LinkedIdentity {
  id: string;
  provider: string;
  /** The provider account's name or email, as the provider gave it. */
  label: string | null;
  linkedAt: Date;
}

export interface AccountSession extends ActiveSession {
  /** The session of the browser looking at the page. */
  current: boolean;
}

export interface AccountEvent {
  id: string;
  type: SecurityEventType;
  method: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: string | null;
  createdAt: Date;
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
  /** The chat that gets sign-in alerts, if one is connected. */
  telegram: { username: string | null; linkedAt: Date } | null;
  identities: LinkedIdentity[];
  sessions: AccountSession[];
  events: AccountEvent[];
}

/** The signed-in user's account, or null when the user no longer exists. */
export async function getAccountOverview(
  db: DbClient,
  input: { userId: string; currentSessionId: string | null; now: Date; eventLimit?: number },
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
      telegramLink: { select: { username: true, createdAt: true } },
      accounts: {
        select: { id: true, provider: true, label: true, createdAt: true },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      },
    },
  });
  if (!user) return null;
  const [sessions, events] = await Promise.all([
    listSessions(db, { userId: user.id, now: input.now }),
    db.securityEvent.findMany({
      where: { userId: user.id },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: input.eventLimit ?? ACCOUNT_EVENT_LIMIT,
      select: {
        id: true,
        type: true,
        method: true,
        ip: true,
        userAgent: true,
        detail: true,
        createdAt: true,
      },
    }),
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
      ? { username: user.telegramLink.username, linkedAt: user.telegramLink.createdAt }
      : null,
    identities: user.accounts.map((account) => ({
      id: account.id,
      provider: account.provider,
      label: account.label,
      linkedAt: account.createdAt,
    })),
    sessions: sessions.map((session) => ({
      ...session,
      current: session.id === input.currentSessionId,
    })),
    events,
  };
}
