// The mail feature assembled from settings by the composition root (lib/root): the sender
// the settings chose (SMTP, or the development mailbox), the outbox channel that uses it and
// `queueMail` for the flows. Null settings (no SMTP_URL outside development) → no channel:
// mails are still queued, and go out once a server that has SMTP configured delivers them.
//
// What the flows use — from getServices().mail:
//   queueMail(tx, { userId, to, kind, data, link? }): Promise<string>
//     Queues one mail in the caller's transaction (lib/mail/outbox.ts, MailInput). `kind` is
//     one of lib/mail/templates.ts's MailKind; kinds in LINKED_MAIL_KINDS need `link`, an
//     APP_URL link holding the raw token (sealed at rest, never logged outside development).
//   sealer: the link sealer, for another channel's copy of a link (the Telegram reset copy
//     stores it under SEALED_LINK_KEY in its payload, to be removed once SENT or FAILED).
import type { MailSettings } from "@/lib/env";
import type { Logger } from "@/lib/logger";
import { createDevMailbox } from "@/lib/mail/dev-mailbox";
import { createQueueMail, mailChannel, type QueueMail } from "@/lib/mail/outbox";
import { createSmtpSender, type MailSender } from "@/lib/mail/sender";
import type { ChannelSender } from "@/lib/notifications/outbox";
import { createLinkSealer, type LinkSealer } from "@/lib/security/sealed-link";

export interface MailService {
  queueMail: QueueMail;
  sealer: LinkSealer;
  /** The outbox's EMAIL sender; null when mail is not configured here. */
  channel: ChannelSender | null;
  /** The development mailbox's folder, when that is the transport (for /dev/mail). */
  devMailboxDir: string | null;
}

export interface MailDeps {
  settings: MailSettings;
  /** AUTH_SECRET: the sealing key is derived from it. */
  secret: string;
  appUrl: string;
  logger: Logger;
  deliverSoon: () => void;
  /** Replaces the sender the settings choose (tests). */
  sender?: MailSender;
}

export function createMail(deps: MailDeps): MailService {
  const { settings } = deps;
  const sealer = createLinkSealer(deps.secret);
  const log = deps.logger.child({ feature: "mail" });
  const sender =
    deps.sender ??
    (settings?.kind === "smtp"
      ? createSmtpSender({ url: settings.url })
      : settings?.kind === "dev-mailbox"
        ? createDevMailbox({ dir: settings.dir, logger: log })
        : null);
  return {
    queueMail: createQueueMail({ sealer, appUrl: deps.appUrl, deliverSoon: deps.deliverSoon }),
    sealer,
    channel:
      sender && settings
        ? mailChannel({ sender, sealer, appUrl: deps.appUrl, from: settings.from })
        : null,
    devMailboxDir: settings?.kind === "dev-mailbox" ? settings.dir : null,
  };
}
