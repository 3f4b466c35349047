// The security event log's one writer. Every part of Gatehouse that records what happened
// to an account (sign-in, sign-up, link, password change, session revoked …) goes through
// recordSecurityEvent, so whatever must happen alongside an event — the Telegram sign-in
// alert's outbox row — is added in one place and lands in the same transaction.
//
// What happens alongside is published through one hook registry (createSecurityEventHooks),
// filled in the composition root (lib/root): the code that records events never imports
// the features that react to them (lib/auth does not know lib/telegram exists).
import type {
  Prisma,
  PrismaClient,
  SecurityEvent,
  SecurityEventType,
} from "@/lib/generated/prisma/client";

/**
 * Starts the detail of every event the claim rule records (lib/auth/claim.ts), so the
 * account page can say what was taken away and why (lib/security/presenter.ts).
 */
export const CLAIM_DETAIL = "pre-registration takeover protection";

/** The full client or an interactive transaction's client: services accept either. */
export type DbClient = PrismaClient | Prisma.TransactionClient;

/** Who was asking, as far as the request tells (lib/http/request-context.ts fits). */
export interface EventContext {
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export interface SecurityEventInput extends EventContext {
  /** Null for failures that name no known user (a wrong email, a refused identity). */
  userId: string | null;
  type: SecurityEventType;
  /** How: "password", "google", "github", "stackoverflow", "telegram" … */
  method?: string | null;
  /** Why, in a few words; shown to the person on their account page. */
  detail?: string | null;
  /** When it happened; the database's clock when omitted. */
  at?: Date;
}

/**
 * Runs inside the transaction that wrote `event`, after the row exists. This is where the
 * Telegram feature writes a sign-in alert into NotificationOutbox: whatever it writes
 * commits or rolls back together with the event. Throwing rolls the whole write back.
 */
export type AfterRecordHook = (tx: Prisma.TransactionClient, event: SecurityEvent) => Promise<void>;

export interface SecurityEventHooks {
  /** Adds a hook; hooks run in the order they were registered. */
  register(hook: AfterRecordHook): void;
  /** The one hook callers pass to recordSecurityEvent: runs every registered hook. */
  afterRecord: AfterRecordHook;
}

/**
 * The registry the composition root fills. `afterRecord` reads the list when an event is
 * recorded, not when it is handed out, so a feature can be given the hook (the bot records
 * events too) before it registers its own.
 */
export function createSecurityEventHooks(): SecurityEventHooks {
  const hooks: AfterRecordHook[] = [];
  return {
    register: (hook) => {
      hooks.push(hook);
    },
    afterRecord: async (tx, event) => {
      // One after another, never in parallel: they share the transaction's one connection.
      for (const hook of hooks) await hook(tx, event);
    },
  };
}

export interface SecurityEventOptions {
  afterRecord?: AfterRecordHook;
}

/**
 * Runs `work` in one interactive transaction: a new one when given the full client, the
 * caller's own when already inside one. Nesting is not used: Prisma 7 maps it to
 * savepoints, which pglite-prisma-adapter does not implement.
 */
export function inTransaction<T>(
  db: DbClient,
  work: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  // A transaction client has `$transaction` (for savepoints) but never `$connect`: that is
  // what tells the two apart at run time.
  return "$connect" in db ? db.$transaction(work) : work(db);
}

/** Appends one SecurityEvent row (and whatever `afterRecord` adds) and returns its id. */
export async function recordSecurityEvent(
  db: DbClient,
  input: SecurityEventInput,
  options: SecurityEventOptions = {},
): Promise<string> {
  const write = async (tx: Prisma.TransactionClient) => {
    const event = await tx.securityEvent.create({
      data: {
        userId: input.userId,
        type: input.type,
        // The table refuses blank methods (security_events_method_nonempty): store none.
        method: input.method?.trim() ? input.method : null,
        ip: input.ip ?? null,
        userAgent: input.userAgent ?? null,
        detail: input.detail ?? null,
        requestId: input.requestId ?? null,
        ...(input.at ? { createdAt: input.at } : {}),
      },
    });
    await options.afterRecord?.(tx, event);
    return event.id;
  };
  // Without a hook there is one statement: no transaction needed for atomicity.
  return options.afterRecord ? inTransaction(db, write) : write(db);
}
