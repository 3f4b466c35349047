// The mail rig: what the e2e suites that read the app's mail (sign-up verification,
// password reset, change of email) all need, kept here so that each suite holds only its
// own helpers.
//
// mailRigForFile() launches one Chromium and starts one SMTP sink (tests/support/smtp-sink.ts)
// before the file's suites start their apps, and closes both after them; the apps send their
// mail to the sink through mailEnv(). Call it once, at the top of the test file.
import { randomBytes } from "node:crypto";

import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

import { startSmtpSink, type SinkMail, type SmtpSink } from "@/tests/support/smtp-sink";

import { launchBrowser, openPage, type OpenedPage, type OpenPageOptions } from "./browser";
import type { AppServer, ServerEnv } from "./server";

export interface MailRig {
  /** The file's SMTP sink (throws if it did not start). */
  smtp(): SmtpSink;
  /** An app's settings: its mail goes to the sink, plus `extra`. */
  mailEnv(extra?: ServerEnv): ServerEnv;
  /**
   * The first mail to `email` whose subject is `subject` (a string: word for word; a
   * RegExp: matching it), received already or within `timeoutMs`.
   */
  mailTo(email: string, subject: string | RegExp, timeoutMs?: number): Promise<SinkMail>;
  /**
   * A function that opens a path of `app` (or a full URL; about:blank for a browser that
   * makes its account before it opens any page) in a fresh browser context.
   */
  opener(app: () => AppServer): (path: string, options?: OpenPageOptions) => Promise<OpenedPage>;
}

export function mailRigForFile(): MailRig {
  let browser: Browser | undefined;
  let sink: SmtpSink | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await browser?.close();
    await sink?.stop();
  });

  const smtp = (): SmtpSink => {
    if (!sink) throw new Error("the SMTP sink did not start (see beforeAll)");
    return sink;
  };
  const launched = (): Browser => {
    if (!browser) throw new Error("the browser did not launch (see beforeAll)");
    return browser;
  };

  return {
    smtp,
    mailEnv: (extra = {}) => ({ SMTP_URL: smtp().url, ...extra }),
    mailTo: (email, subject, timeoutMs = 30_000) =>
      smtp().waitForMail(
        (mail) =>
          mail.to.includes(email) &&
          (typeof subject === "string" ? mail.subject === subject : subject.test(mail.subject)),
        timeoutMs,
      ),
    opener:
      (app) =>
      async (path, options = {}) =>
        openPage(launched(), /^(https?|about):/.test(path) ? path : `${app().url}${path}`, options),
  };
}

/** A new address nobody has used: `<label>-<8 hex digits>@example.com`. */
export function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}@example.com`;
}

/** The mail's first link that starts with `prefix` (e.g. `${app.url}/reset-password?token=`). */
export function linkIn(mail: SinkMail, prefix: string): string {
  const link = mail.links.find((url) => url.startsWith(prefix));
  if (!link) throw new Error(`no link starting with ${prefix} in the mail:\n${mail.text}`);
  return link;
}
