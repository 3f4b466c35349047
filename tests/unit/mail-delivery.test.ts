// What an SMTP failure means for the outbox (classifySmtpError), and the development
// mailbox: each mail a file in its folder, listed newest first, links in the log.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { createDevMailbox, linksIn, listDevMail } from "@/lib/mail/dev-mailbox";
import { classifySmtpError } from "@/lib/mail/sender";
import { memoryLogger } from "@/tests/support/logger";

const smtpError = (fields: Record<string, string | number>) =>
  Object.assign(new Error("SMTP failure"), fields);

describe("SMTP failures", () => {
  it("retries 4xx replies and failures to connect, with a growing backoff", () => {
    const greylisted = classifySmtpError(
      smtpError({ code: "EENVELOPE", responseCode: 451, response: "451 4.7.1 Try again later" }),
      1,
    );
    expect(greylisted.description).toBe("451 4.7.1 Try again later");
    expect(greylisted.retryAfterMs).toBeGreaterThanOrEqual(24_000);
    const refused = classifySmtpError(smtpError({ code: "ECONNECTION" }), 3);
    expect(refused.retryAfterMs).toBeGreaterThanOrEqual(96_000);
    expect(classifySmtpError(new Error("socket hang up"), 20).retryAfterMs).toBeLessThanOrEqual(
      36 * 60_000,
    );
  });

  it("gives up on permanent refusals, but not on refused credentials (the operator fixes those)", () => {
    expect(
      classifySmtpError(smtpError({ responseCode: 550, response: "550 mailbox unavailable" }), 1)
        .retryAfterMs,
    ).toBeNull();
    expect(classifySmtpError(smtpError({ code: "EENVELOPE" }), 1).retryAfterMs).toBeNull();
    expect(
      classifySmtpError(smtpError({ code: "EAUTH", responseCode: 535 }), 1).retryAfterMs,
    ).not.toBeNull();
  });
});

describe("development mailbox", () => {
  it("writes each mail to a file, logs its links, and lists the latest first", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "gatehouse-mailbox-")), "mail");
    const logger = memoryLogger();
    let now = new Date("2026-06-01T10:00:00.000Z");
    const mailbox = createDevMailbox({ dir, logger, now: () => now });
    const mail = (subject: string, link: string) => ({
      from: "Gatehouse <no-reply@localhost>",
      to: "ada@example.com",
      subject,
      text: `Hello,\n\nOpen:\n${link}\n`,
      html: `<a href="${link}">Open</a>`,
    });
    await mailbox.send(mail("first", "http://localhost:3000/verify-email?token=a"));
    now = new Date("2026-06-01T10:00:01.000Z");
    const { messageId } = await mailbox.send(
      mail("second", "http://localhost:3000/reset-password?token=b"),
    );
    expect(messageId).toMatch(/^<2026-06-01T10-00-01-000Z-[0-9a-f]{8}@dev-mailbox>$/);
    // Something else in the folder (an editor's file, a broken write) is skipped.
    writeFileSync(join(dir, "zzz.json"), "{ not json");

    const listed = await listDevMail(dir);
    expect(listed.map((m) => [m.subject, m.at])).toEqual([
      ["second", "2026-06-01T10:00:01.000Z"],
      ["first", "2026-06-01T10:00:00.000Z"],
    ]);
    expect(await listDevMail(dir, 1)).toHaveLength(1);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        message: "development mailbox: mail written",
        links: ["http://localhost:3000/reset-password?token=b"],
      }),
    );
    expect(await listDevMail(join(dir, "missing"))).toEqual([]);
  });

  it("finds the links of a plain-text body", () => {
    expect(linksIn("a https://x.example/a?b=1 and\nhttp://localhost:3000/p.")).toEqual([
      "https://x.example/a?b=1",
      "http://localhost:3000/p.",
    ]);
  });
});
