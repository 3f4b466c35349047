// Security events for other services (docs/jobs.md, "Events"): with AMQP_URL, every row of
// the security log is published to the topic exchange `gatehouse.events` as a CloudEvents
// 1.0 JSON message, routing key = its type (`security.sign_in.succeeded`, …), so a service
// binds a queue to `security.#`, `security.sign_in.*` or one type.
//
// Reliable the same way as the notifications: a trigger queues every event in its own
// transaction (EventOutbox, prisma/schema.prisma), and the relay below claims due rows with a
// lease, publishes each, and deletes its row only after the broker's confirm; a failed
// publish makes the rest due again a few seconds later. At least once:
// a relay that dies between the confirm and the delete has the row published again after
// the lease, with the same CloudEvents `id`, by which subscribers drop the duplicate.
import type { Logger } from "@/lib/logger";
import type { PrismaClient, SecurityEvent, SecurityEventType } from "@/lib/generated/prisma/client";
import { publishInOrder, RETRY_AFTER_FAILED_PUBLISH_MS } from "@/lib/queue/relay";
import { EVENTS_EXCHANGE } from "@/lib/queue/topology";

/** The CloudEvents type and routing key of each event type: `security.<what>.<how>`. */
export const EVENT_TYPES = {
  SIGN_IN: "security.sign_in.succeeded",
  SIGN_IN_FAILED: "security.sign_in.failed",
  SIGN_IN_DENIED: "security.sign_in.denied",
  SIGN_UP: "security.account.created",
  SIGN_OUT: "security.session.signed_out",
  SESSION_REVOKED: "security.session.revoked",
  ACCOUNT_LINKED: "security.identity.linked",
  ACCOUNT_UNLINKED: "security.identity.unlinked",
  PASSWORD_SET: "security.password.set",
  PASSWORD_CHANGED: "security.password.changed",
  PASSWORD_REMOVED: "security.password.removed",
  PASSWORD_RESET_REQUESTED: "security.password.reset_requested",
  PASSWORD_RESET: "security.password.reset",
  EMAIL_VERIFIED: "security.email.verified",
  EMAIL_CHANGE_REQUESTED: "security.email.change_requested",
  EMAIL_CHANGED: "security.email.changed",
  TELEGRAM_LINKED: "security.telegram.linked",
  TELEGRAM_UNLINKED: "security.telegram.unlinked",
  TOTP_ENABLED: "security.second_factor.totp_enabled",
  TOTP_DISABLED: "security.second_factor.totp_disabled",
  RECOVERY_CODES_REGENERATED: "security.second_factor.recovery_codes_regenerated",
  RECOVERY_CODE_USED: "security.second_factor.recovery_code_used",
  SECOND_FACTOR_FAILED: "security.second_factor.failed",
  PASSKEY_ADDED: "security.passkey.added",
  PASSKEY_REMOVED: "security.passkey.removed",
  SIGN_IN_APPROVAL_ON: "security.sign_in_approval.enabled",
  SIGN_IN_APPROVAL_OFF: "security.sign_in_approval.disabled",
} as const satisfies Record<SecurityEventType, string>;

export interface CloudEvent {
  specversion: "1.0";
  /** The SecurityEvent's id: the same event published twice has the same id. */
  id: string;
  /** This Gatehouse: its APP_URL. */
  source: string;
  type: (typeof EVENT_TYPES)[SecurityEventType];
  /** When it happened (RFC 3339, UTC). */
  time: string;
  /** The user's id; absent for a failure that names no known user. */
  subject?: string;
  datacontenttype: "application/json";
  data: {
    /** "password", "google", "passkey", …; null when the event has none. */
    method: string | null;
    ip: string | null;
    userAgent: string | null;
    /** Why, in a few words (the account page's wording source). */
    detail: string | null;
    /** The request that caused it, to find its log lines. */
    requestId: string | null;
  };
}

/**
 * The CloudEvent of a security log row. Nothing secret is in a row (no token, password,
 * code or cookie is ever recorded), so the data is the row's own fields.
 */
export function toCloudEvent(event: SecurityEvent, source: string): CloudEvent {
  return {
    specversion: "1.0",
    id: event.id,
    source,
    type: EVENT_TYPES[event.type],
    time: event.createdAt.toISOString(),
    ...(event.userId ? { subject: event.userId } : {}),
    datacontenttype: "application/json",
    data: {
      method: event.method,
      ip: event.ip,
      userAgent: event.userAgent,
      detail: event.detail,
      requestId: event.requestId,
    },
  };
}

export interface EventPublisher {
  /** Publishes persistently to an exchange; resolves once the broker has confirmed it. */
  publish(exchange: string, routingKey: string, body: unknown, messageId?: string): Promise<void>;
}

export interface EventRelayDeps {
  prisma: PrismaClient;
  publisher: EventPublisher;
  /** The CloudEvents `source`: the app's origin (APP_URL). */
  source: string;
  logger: Pick<Logger, "warn">;
  now?: () => Date;
  leaseMs?: number;
  batchSize?: number;
}

export interface EventRelay {
  /** Publishes every due event; stops at the first failed publish (the broker is away). */
  relayDue(): Promise<{ published: number; failed: number }>;
}

export function createEventRelay(deps: EventRelayDeps): EventRelay {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.leaseMs ?? 60_000;
  const batchSize = deps.batchSize ?? 100;
  const { prisma } = deps;

  /** Claims up to batchSize due rows, oldest first, by moving them past the lease. */
  async function claim(at: Date): Promise<string[]> {
    const until = new Date(at.getTime() + leaseMs);
    // Rows another relay holds (FOR UPDATE) are skipped, not waited for. Instants as ISO
    // strings cast with their offset, so nothing depends on the session's TimeZone.
    const rows = await prisma.$queryRaw<{ securityEventId: string }[]>`
      UPDATE "EventOutbox"
      SET "nextAttemptAt" = (${until.toISOString()}::timestamptz AT TIME ZONE 'UTC')
      WHERE "securityEventId" IN (
        SELECT "securityEventId" FROM "EventOutbox"
        WHERE "nextAttemptAt" <= (${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')
        ORDER BY "nextAttemptAt" LIMIT ${batchSize}::int
        FOR UPDATE SKIP LOCKED
      )
      RETURNING "securityEventId"`;
    return rows.map((row) => row.securityEventId);
  }

  return {
    async relayDue() {
      const totals = { published: 0, failed: 0 };
      for (let round = 0; round < 10; round += 1) {
        const ids = await claim(now());
        if (ids.length === 0) break;
        // In the order they happened (the claim's order is by due time, not by event).
        const events = await prisma.securityEvent.findMany({
          where: { id: { in: ids } },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        });
        const batch = await publishInOrder(
          events,
          (event) => {
            const cloudEvent = toCloudEvent(event, deps.source);
            return deps.publisher.publish(EVENTS_EXCHANGE, cloudEvent.type, cloudEvent, event.id);
          },
          (event) => prisma.eventOutbox.deleteMany({ where: { securityEventId: event.id } }),
          async (rest, error) => {
            // Due again soon, not after the lease.
            await prisma.eventOutbox.updateMany({
              where: { securityEventId: { in: rest.map((event) => event.id) } },
              data: { nextAttemptAt: new Date(now().getTime() + RETRY_AFTER_FAILED_PUBLISH_MS) },
            });
            deps.logger.warn("event relay: publish failed; the events wait for the next run", {
              securityEventId: rest[0]?.id,
              error,
            });
          },
        );
        totals.published += batch.published;
        totals.failed += batch.failed;
        if (batch.failed > 0) return totals;
      }
      return totals;
    },
  };
}

/**
 * How long an instance without a broker leaves a queued event for one that has one. In a
 * fleet where only some instances set AMQP_URL (a rollout), the others publish within a
 * second, so an hour never drops an event somebody would publish; a failed publish makes the
 * row due again seconds later, which keeps it younger than this while the broker is away.
 */
export const UNPUBLISHED_EVENTS_KEPT_MS = 60 * 60 * 1000;

/**
 * Without a broker nobody publishes: the sweeper drops queued events due before `olderThan`
 * (so the table holds at most an hour's events). Returns how many went.
 */
export async function discardUnpublishedEvents(
  prisma: PrismaClient,
  olderThan: Date,
): Promise<number> {
  const { count } = await prisma.eventOutbox.deleteMany({
    where: { nextAttemptAt: { lt: olderThan } },
  });
  return count;
}
