// A real SMTP server inside the test process (smtp-server), which parses every mail it
// receives (mailparser) and keeps it, for integration and e2e tests: point SMTP_URL at
// `sink.url` and wait for the mail with `waitForMail`.
//
// - It listens on a free loopback port; stop() closes it (connections are refused, as with
//   a server that is down) and restart() opens it again on the same port, so a test can
//   show that mail queued while SMTP was down goes out once it is back.
// - Recipients for which `rejectRecipient` returns true are refused with 550 "mailbox
//   unavailable", a permanent failure.
// - No TLS and no authentication: nodemailer speaks plain SMTP to it over smtp://.
import type { AddressInfo } from "node:net";

import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface SinkMail {
  from: string;
  /** The envelope's recipients (RCPT TO), lower-cased. */
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Every http(s) link of the plain-text body, in order. */
  links: string[];
  messageId: string | null;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  readonly url: string;
  readonly port: number;
  /** Every mail received so far, oldest first. */
  readonly mails: readonly SinkMail[];
  /** Resolves with the first mail (received or to come) that matches, or rejects after timeoutMs. */
  waitForMail(predicate: (mail: SinkMail) => boolean, timeoutMs?: number): Promise<SinkMail>;
  /** Forgets the mails received so far. */
  clear(): void;
  /** Closes the server: connections are refused until restart(). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  readonly running: boolean;
}

export interface SmtpSinkOptions {
  /** Refuse this recipient with 550 (permanent failure). */
  rejectRecipient?: (address: string) => boolean;
  /** A port to listen on; a free one when omitted. */
  port?: number;
}

interface Waiter {
  predicate: (mail: SinkMail) => boolean;
  resolve: (mail: SinkMail) => void;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mails: SinkMail[] = [];
  let waiters: Waiter[] = [];

  const receive = (mail: SinkMail) => {
    mails.push(mail);
    const matched = waiters.filter((w) => w.predicate(mail));
    waiters = waiters.filter((w) => !matched.includes(w));
    for (const waiter of matched) waiter.resolve(mail);
  };

  const createServer = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      // Closing waits for open connections at most this long before cutting them.
      closeTimeout: 200,
      logger: false,
      onRcptTo(address, _session, callback) {
        if (options.rejectRecipient?.(address.address)) {
          const error = new Error("Requested action not taken: mailbox unavailable");
          (error as Error & { responseCode: number }).responseCode = 550;
          callback(error);
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((parsed) => {
            const text = parsed.text ?? "";
            receive({
              from: parsed.from?.text ?? "",
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              subject: parsed.subject ?? "",
              text,
              html: typeof parsed.html === "string" ? parsed.html : "",
              links: text.match(/https?:\/\/[^\s<>"]+/g) ?? [],
              messageId: parsed.messageId ?? null,
            });
            callback();
          })
          .catch((error: unknown) => callback(error as Error));
      },
    });

  let server: SMTPServer | null = null;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const next = createServer();
      next.on("error", reject);
      next.listen(port, "127.0.0.1", () => {
        server = next;
        resolve((next.server.address() as AddressInfo).port);
      });
    });

  const port = await listen(options.port ?? 0);
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mails,
    get running() {
      return server !== null;
    },
    waitForMail(predicate, timeoutMs = 10_000) {
      const found = mails.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<SinkMail>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(new Error(`no matching mail within ${timeoutMs} ms (${mails.length} received)`));
        }, timeoutMs);
        const waiter: Waiter = {
          predicate,
          resolve: (mail) => {
            clearTimeout(timer);
            resolve(mail);
          },
        };
        waiters.push(waiter);
      });
    },
    clear() {
      mails.splice(0);
    },
    async stop() {
      const current = server;
      server = null;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    async restart() {
      if (server) return;
      await listen(port);
    },
  };
}
