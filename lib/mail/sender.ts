// How a rendered mail leaves: the MailSender interface and its SMTP implementation
// (nodemailer), plus what an SMTP failure means for the outbox's retry.
//
// The development mailbox (./dev-mailbox.ts) is the other implementation. Either is chosen
// from settings by ./service.ts; the outbox (./outbox.ts) is the only caller.
import nodemailer from "nodemailer";

import type { DeliveryFailure } from "@/lib/notifications/outbox";
import { backoffDelay } from "@/lib/retry";

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailSender {
  /** Sends one mail; resolves with its Message-ID, rejects with what the server said. */
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

export interface SmtpOptions {
  /** SMTP_URL: smtp:// (STARTTLS when offered) or smtps:// (TLS from the start). */
  url: string;
  /** Bounds on connecting, on the server's greeting and on silence mid-conversation. */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
}

/** A sender over SMTP: one connection per mail, so a restarted server is picked up at once. */
export function createSmtpSender(options: SmtpOptions): MailSender {
  const transport = nodemailer.createTransport({
    url: options.url,
    // nodemailer's defaults wait up to 2 minutes to connect and 10 minutes on a silent
    // socket; the outbox lease is 60 s, so a stuck server must give up well before it.
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
  });
  return {
    async send(mail) {
      const info = await transport.sendMail(mail);
      return { messageId: info.messageId };
    },
  };
}

/** Backoff between attempts: SMTP outages last minutes, not seconds (about an hour in all). */
const SMTP_RETRY_BASE_MS = 30_000;
const SMTP_RETRY_MAX_MS = 30 * 60_000;

/**
 * What an SMTP failure means (nodemailer's errors, duck-typed):
 * - a 4xx reply (greylisting, mailbox busy, rate limited) or no answer at all (connection
 *   refused, reset, timeout, DNS) → try again after a backoff;
 * - 535 / EAUTH (our credentials were refused) → try again too: it is the operator's to fix,
 *   and the mail should go out once they have, not be dropped;
 * - any other 5xx (550 mailbox unavailable, 553 bad address), or a mail the client itself
 *   refused (EENVELOPE, EMESSAGE) → never: the same mail gets the same answer.
 * The description never includes the SMTP URL or its password.
 */
export function classifySmtpError(error: unknown, attempt: number): DeliveryFailure {
  const shape = error as { responseCode?: unknown; code?: unknown; response?: unknown };
  const code = typeof shape.code === "string" ? shape.code : null;
  const responseCode = typeof shape.responseCode === "number" ? shape.responseCode : null;
  const reply = typeof shape.response === "string" ? shape.response : null;
  const description =
    reply ??
    [code, error instanceof Error ? error.message : String(error)].filter(Boolean).join(" ");
  const retry = {
    retryAfterMs: backoffDelay(attempt, SMTP_RETRY_BASE_MS, SMTP_RETRY_MAX_MS),
    description,
  };
  if (responseCode !== null) {
    if (responseCode >= 500 && code !== "EAUTH") return { retryAfterMs: null, description };
    return retry;
  }
  if (code === "EENVELOPE" || code === "EMESSAGE") return { retryAfterMs: null, description };
  return retry;
}
