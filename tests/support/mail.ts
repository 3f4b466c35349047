// The mail feature as the flows' tests need it: the real outbox writer and link sealer (no
// sender: nothing is delivered), a reader for what was queued, links unsealed, and the email
// actions (lib/actions/account/email.ts) built on them with a real limiter.
import { createEmailActions } from "@/lib/actions/account/email";
import type { ActionSession } from "@/lib/actions/clients";
import type { Database } from "@/lib/db";
import type { RateLimitRule, Settings } from "@/lib/env";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import { createRateLimiter } from "@/lib/rate-limit";
import type { SlidingWindowBackend } from "@/lib/rate-limit/backends/backend";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { createQueueMail } from "@/lib/mail/outbox";
import type { MailService } from "@/lib/mail/service";
import { SEALED_LINK_KEY } from "@/lib/notifications/outbox";
import { createLinkSealer } from "@/lib/security/sealed-link";
import { memoryLogger } from "@/tests/support/logger";
import { testPasswordGuard } from "@/tests/support/password-guard";

export interface QueuedMail {
  kind: string;
  to: string;
  data: unknown;
  /** The link, unsealed; null for a mail without one. */
  link: string | null;
}

export function testMail(settings: Pick<Settings, "appUrl" | "auth">) {
  const sealer = createLinkSealer(settings.auth.secret);
  const mail: MailService = {
    queueMail: createQueueMail({ sealer, appUrl: settings.appUrl, deliverSoon: () => undefined }),
    sealer,
    channel: null,
    devMailboxDir: null,
  };

  /** The user's queued mails, oldest first. */
  async function mailsOf(prisma: PrismaClient, userId: string): Promise<QueuedMail[]> {
    const rows = await prisma.notificationOutbox.findMany({
      where: { userId, channel: "EMAIL" },
      orderBy: { createdAt: "asc" },
    });
    return rows.map((row) => {
      const payload = row.payload as { to: string; data: unknown; [SEALED_LINK_KEY]?: string };
      const sealed = payload[SEALED_LINK_KEY];
      return {
        kind: row.kind,
        to: payload.to,
        data: payload.data,
        link: sealed ? sealer.open(sealed, userId) : null,
      };
    });
  }

  return { mail, mailsOf };
}

export interface EmailActionsHarness {
  settings: Settings;
  database: () => Database;
  mail: MailService;
  session: ActionSession | null;
  context: RequestContext;
  now: Date;
  /** The per-address mail budget (default: generous, so it never refuses by accident). */
  mailAddress?: RateLimitRule;
  /** The limiter's backend (default: a fresh in-memory one). */
  backend?: SlidingWindowBackend;
}

/** The email actions as `session` sees them, at `now`, with no alert hooks registered. */
export function emailActionsFor(harness: EmailActionsHarness) {
  const { settings } = harness;
  const logger = memoryLogger();
  const limiter = createRateLimiter({
    backend: harness.backend ?? createMemoryRateLimitBackend(),
    now: Date.now,
    logger,
    settings: {
      ...settings.rateLimits,
      mailAddress: harness.mailAddress ?? { limit: 50, windowMs: 60_000 },
    },
  });
  return createEmailActions({
    services: () => ({
      settings,
      logger,
      database: harness.database(),
      passwordGuard: testPasswordGuard(settings).guard,
      afterRecord: () => Promise.resolve(),
      limiter,
      mail: harness.mail,
    }),
    getSession: () => Promise.resolve(harness.session),
    requestContext: () => Promise.resolve(harness.context),
    now: () => harness.now,
  });
}
