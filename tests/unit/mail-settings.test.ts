// SMTP_URL and EMAIL_FROM (lib/env.ts): validated without echoing the URL's password,
// required in production while password sign-in is on, and the development mailbox —
// which shows every link to whoever reads the log — only in a development build run with
// NODE_ENV=development.
import { describe, expect, it } from "vitest";

import { parseSettings, type Env } from "@/lib/env";

import { devSecret, problemsOf } from "@/tests/support/settings";

const production: Env = {
  NODE_ENV: "production",
  APP_URL: "https://gatehouse.example.com",
  AUTH_SECRET: "s".repeat(44),
  DATABASE_URL: "postgres://app:pw@db.internal:5432/gatehouse",
  REDIS_URL: "redis://cache.internal:6379",
};
const smtp = {
  SMTP_URL: "smtps://mailer:hunter2-secret@smtp.example.com:465",
  EMAIL_FROM: "Gatehouse <no-reply@example.com>",
};

describe("mail settings", () => {
  it("production sends through SMTP with the configured sender", () => {
    const settings = parseSettings({ ...production, ...smtp }, { builtFor: "production" });
    expect(settings.mail).toEqual({ kind: "smtp", url: smtp.SMTP_URL, from: smtp.EMAIL_FROM });
  });

  it("production requires both while password sign-in is on, and EMAIL_FROM with SMTP_URL", () => {
    expect(problemsOf(production)).toEqual([
      "SMTP_URL: required in production while password sign-in is on (AUTH_PASSWORD_ENABLED), e.g. smtps://user:pass@smtp.example.com:465",
      'EMAIL_FROM: required in production with SMTP_URL or password sign-in, e.g. "Gatehouse <no-reply@example.com>"',
    ]);
    expect(problemsOf({ ...production, SMTP_URL: smtp.SMTP_URL })).toEqual([
      'EMAIL_FROM: required in production with SMTP_URL or password sign-in, e.g. "Gatehouse <no-reply@example.com>"',
    ]);
    // Without password sign-in, no mail is needed: none is sent.
    const noPasswords = { ...production, AUTH_PASSWORD_ENABLED: "false" };
    expect(parseSettings(noPasswords, { builtFor: "production" }).mail).toBeNull();
    expect(problemsOf({ ...noPasswords, SMTP_URL: smtp.SMTP_URL })).toHaveLength(1);
  });

  it("rejects malformed values without repeating the URL or its password", () => {
    const problems = problemsOf({
      SMTP_URL: "https://mailer:hunter2-secret@smtp.example.com",
      EMAIL_FROM: "Gatehouse <no-reply@example.com>\r\nBcc: everyone@example.com",
    });
    expect(problems).toEqual([
      expect.stringMatching(/^SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/),
      expect.stringMatching(/^EMAIL_FROM: must be an address/),
    ]);
    expect(problems.join("\n")).not.toContain("hunter2");
    expect(problemsOf({ EMAIL_FROM: "not an address" })).toEqual([
      expect.stringMatching(/^EMAIL_FROM: must be an address/),
    ]);
  });

  it("accepts a bare address or one with a display name", () => {
    for (const from of ["no-reply@example.com", "Gatehouse <no-reply@example.com>"]) {
      const settings = parseSettings(
        { SMTP_URL: "smtp://127.0.0.1:2525", EMAIL_FROM: from },
        { devSecret, builtFor: "development" },
      );
      expect(settings.mail).toEqual({ kind: "smtp", url: "smtp://127.0.0.1:2525", from });
    }
  });

  it("development without SMTP_URL uses the development mailbox in the data folder", () => {
    const settings = parseSettings(
      { GATEHOUSE_DATA_DIR: "/tmp/gh-data/" },
      { devSecret, builtFor: "development" },
    );
    expect(settings.mail).toEqual({
      kind: "dev-mailbox",
      dir: "/tmp/gh-data/mail",
      from: "Gatehouse <no-reply@localhost>",
    });
    // SMTP_URL in development sends for real (Mailpit, a test sink).
    expect(
      parseSettings({ SMTP_URL: "smtp://127.0.0.1:1025" }, { devSecret, builtFor: "development" })
        .mail?.kind,
    ).toBe("smtp");
  });

  it("refuses the development mailbox in a production build, whatever NODE_ENV says", () => {
    // A production bundle started with NODE_ENV=development: no mailbox, no mail.
    expect(
      parseSettings({ NODE_ENV: "development" }, { devSecret, builtFor: "production" }).mail,
    ).toBeNull();
    // Production and test runs never get it either.
    expect(
      parseSettings(
        { ...production, GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION: "1", AUTH_PASSWORD_ENABLED: "0" },
        { builtFor: "production" },
      ).mail,
    ).toBeNull();
    expect(parseSettings({ NODE_ENV: "test" }, { devSecret, builtFor: "test" }).mail).toBeNull();
  });
});
