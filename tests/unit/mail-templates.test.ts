// The mail templates, rendered: every kind has a subject and two readable bodies that carry
// the same links (the one-time link as a button and written out), user-provided text is
// escaped in the HTML, and nothing is left of a placeholder.
import { describe, expect, it } from "vitest";

import {
  escapeHtml,
  isLinkedMailKind,
  LINKED_MAIL_KINDS,
  MAIL_TEMPLATES,
  renderMail,
  type MailData,
  type MailKind,
} from "@/lib/mail/templates";

const APP = "https://gatehouse.example.com";
const LINK = `${APP}/verify-email?token=abc_DEF-123&x=1`;

const samples: { [K in MailKind]: MailData[K] } = {
  VERIFY_EMAIL: { expiresInMinutes: 1_440 },
  SIGN_UP_EXISTING: {},
  RESET_PASSWORD: { expiresInMinutes: 30 },
  NO_PASSWORD: { methods: ["Google", "GitHub"] },
  CHANGE_EMAIL_CONFIRM: { newEmail: "new@example.com", expiresInMinutes: 1_440 },
  CHANGE_EMAIL_NOTICE: { newEmail: "new@example.com" },
};

const kinds = Object.keys(MAIL_TEMPLATES) as MailKind[];

function render(kind: MailKind, data?: MailData[MailKind]) {
  return renderMail(kind, {
    data: data ?? samples[kind],
    link: isLinkedMailKind(kind) ? LINK : null,
    appUrl: APP,
  });
}

/** The links of an HTML body, entities decoded. */
const hrefs = (html: string) =>
  [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]?.replaceAll("&amp;", "&"));

describe("mail templates", () => {
  it.each(kinds)("%s: subject, and both bodies readable with the same links", (kind) => {
    const mail = render(kind);
    expect(mail.subject.length).toBeGreaterThan(10);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    const textLinks = mail.text.match(/https?:\/\/\S+/g) ?? [];
    expect(textLinks.length).toBeGreaterThan(0);
    for (const link of textLinks) {
      // Every link is on APP_URL, and the HTML links to it too.
      expect(link.startsWith(`${APP}/`)).toBe(true);
      expect(hrefs(mail.html)).toContain(link);
    }
    // No placeholders or stray values.
    for (const body of [mail.text, mail.html, mail.subject]) {
      expect(body).not.toMatch(/\{\{|\}\}|\$\{|undefined|null|NaN|\[object/);
    }
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.html).toContain(`<title>${escapeHtml(mail.subject)}</title>`);
  });

  it.each(LINKED_MAIL_KINDS)("%s: the one-time link is a button and plain text", (kind) => {
    const mail = render(kind);
    expect(mail.text).toContain(`\n${LINK}\n`);
    // The button and the "open this link" line: the link twice in the HTML, escaped.
    expect(hrefs(mail.html).filter((href) => href === LINK)).toHaveLength(2);
    expect(mail.html).toContain(escapeHtml(LINK));
    expect(mail.html).not.toContain(LINK);
  });

  it("a linked kind cannot be rendered without its link", () => {
    expect(() =>
      renderMail("RESET_PASSWORD", { data: { expiresInMinutes: 30 }, link: null, appUrl: APP }),
    ).toThrow(/one-time link/);
  });

  it("says how long a link works and how an account without a password signs in", () => {
    expect(render("RESET_PASSWORD").text).toContain("works once and for 30 minutes");
    expect(render("VERIFY_EMAIL").text).toContain("works once and for 24 hours");
    expect(render("NO_PASSWORD").text).toContain("you sign in with Google or GitHub");
    expect(render("NO_PASSWORD", { methods: ["Stack Overflow"] }).text).toContain(
      "you sign in with Stack Overflow",
    );
  });

  it("the sign-up attempt mail links to sign-in and to the password reset", () => {
    const mail = render("SIGN_UP_EXISTING");
    expect(mail.text).toContain(`${APP}/sign-in`);
    expect(mail.text).toContain(`${APP}/forgot-password`);
    expect(mail.text).toMatch(/Someone tried to create a new account with this email address/);
  });

  it("the change-of-email notice offers a way to secure the account", () => {
    const mail = render("CHANGE_EMAIL_NOTICE");
    expect(mail.text).toContain(`${APP}/forgot-password`);
    expect(mail.text).toContain(`${APP}/account`);
    expect(mail.text).toContain("new@example.com");
  });

  it("escapes user-provided text in the HTML body, and keeps it as is in the text body", () => {
    const hostile = `"><script>alert('x')</script>@evil.example`;
    const mail = render("CHANGE_EMAIL_CONFIRM", { newEmail: hostile, expiresInMinutes: 60 });
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain("&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    expect(mail.text).toContain(hostile);
    expect(render("NO_PASSWORD", { methods: ["<b>Google</b>"] }).html).toContain(
      "&lt;b&gt;Google&lt;/b&gt;",
    );
  });
});
