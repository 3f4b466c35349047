// The mail feature as the flows' tests need it: the real outbox writer and link sealer (no
// sender: nothing is delivered), and a reader for what was queued, links unsealed.
import type { Settings } from "@/lib/env";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { createQueueMail } from "@/lib/mail/outbox";
import type { MailService } from "@/lib/mail/service";
import { SEALED_LINK_KEY } from "@/lib/notifications/outbox";
import { createLinkSealer } from "@/lib/security/sealed-link";

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
