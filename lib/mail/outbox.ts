// Mail through the shared transactional outbox (lib/notifications/outbox.ts): EMAIL rows.
//
// `queueMail` writes the row inside the caller's transaction — the mail exists only if what
// it announces committed — and asks for a delivery after the response: a request never
// waits for SMTP, and an SMTP outage only delays the mail (retried with backoff).
// A one-time link is stored sealed (lib/security/sealed-link.ts) and dropped from the row
// once it is SENT or FAILED; the rest of the payload is the recipient and the template's
// data. `mailChannel` is the outbox's sender for EMAIL rows: it opens the link, renders the
// template (./templates.ts) and hands the mail to the configured MailSender.
import type { Prisma } from "@/lib/generated/prisma/client";
import { queueNotification, SEALED_LINK_KEY, type ChannelSender } from "@/lib/notifications/outbox";
import { classifySmtpError, type MailSender } from "@/lib/mail/sender";
import {
  isLinkedMailKind,
  isMailKind,
  renderMail,
  type LinkedMailKind,
  type MailData,
  type MailKind,
} from "@/lib/mail/templates";
import type { LinkSealer } from "@/lib/security/sealed-link";

/** One mail to queue; kinds with a one-time link (LINKED_MAIL_KINDS) require `link`. */
export type MailInput<K extends MailKind> = {
  /** The account the mail is about (the row is deleted with it). */
  userId: string;
  /** The recipient's address (the new one, for a change-of-email confirmation). */
  to: string;
  kind: K;
  data: MailData[K];
} & (K extends LinkedMailKind ? { link: string } : { link?: undefined });

/** Queues one mail inside `tx`; resolves with the outbox row's id. */
export type QueueMail = <K extends MailKind>(
  tx: Prisma.TransactionClient,
  input: MailInput<K>,
) => Promise<string>;

export interface MailQueueDeps {
  sealer: LinkSealer;
  /** APP_URL: the only origin a mail's link may point to. */
  appUrl: string;
  /** Asks for a delivery once the current response has gone (lib/notifications). */
  deliverSoon: () => void;
}

interface MailPayload {
  to: string;
  data: Prisma.InputJsonObject;
  [SEALED_LINK_KEY]?: string;
}

export function createQueueMail(deps: MailQueueDeps): QueueMail {
  return async (tx, input) => {
    const link = input.link ?? null;
    if (isLinkedMailKind(input.kind) !== (link !== null)) {
      throw new Error(`mail ${input.kind}: a one-time link is required exactly for linked kinds`);
    }
    // Links use APP_URL only: never an origin taken from a request's headers.
    if (link !== null && !link.startsWith(`${deps.appUrl}/`)) {
      throw new Error(`mail ${input.kind}: the link must start with APP_URL`);
    }
    const payload: MailPayload = {
      to: input.to,
      data: input.data,
      ...(link === null ? {} : { [SEALED_LINK_KEY]: deps.sealer.seal(link, input.userId) }),
    };
    const id = await queueNotification(tx, {
      channel: "EMAIL",
      userId: input.userId,
      kind: input.kind,
      payload: payload as unknown as Prisma.InputJsonObject,
    });
    deps.deliverSoon();
    return id;
  };
}

export interface MailChannelDeps {
  sender: MailSender;
  sealer: LinkSealer;
  appUrl: string;
  /** EMAIL_FROM. */
  from: string;
}

/** The outbox's sender of EMAIL rows. */
export function mailChannel(deps: MailChannelDeps): ChannelSender {
  return {
    label: "mail",
    async send(row) {
      const payload = row.payload as Partial<MailPayload> | null;
      if (!isMailKind(row.kind) || typeof payload?.to !== "string" || !payload.data) {
        return { undeliverable: `unreadable mail row (kind ${row.kind})` };
      }
      let link: string | null = null;
      if (isLinkedMailKind(row.kind)) {
        const sealed = payload[SEALED_LINK_KEY];
        link = typeof sealed === "string" ? deps.sealer.open(sealed, row.userId) : null;
        // Another AUTH_SECRET, or an edited row: the link is gone, and so is the mail.
        if (link === null) return { undeliverable: "the sealed link cannot be opened" };
      }
      const rendered = renderMail(row.kind, {
        data: payload.data as never,
        link,
        appUrl: deps.appUrl,
      });
      const sent = await deps.sender.send({ from: deps.from, to: payload.to, ...rendered });
      return { externalId: sent.messageId };
    },
    classifyError: classifySmtpError,
  };
}
