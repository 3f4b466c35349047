// The bot's pure pieces: alert wording and buttons, the webhook's secret comparison, and
// what a Bot API error means for a retry.
import { describe, expect, it } from "vitest";

import type { SecurityEventType } from "@/lib/generated/prisma/client";

import {
  ALERT_CALLBACK,
  ALERT_EVENT_TYPES,
  alertKeyboard,
  alertText,
  answeredAlertText,
  formatAlertTime,
} from "@/lib/telegram/alerts";
import { LINK_TOKEN_PATTERN } from "@/lib/telegram/link-tokens";
import { classifyTelegramError } from "@/lib/telegram/outbox";
import { secretMatches } from "@/lib/http/secrets";

const event = {
  type: "SIGN_IN" as const,
  method: "stackoverflow",
  ip: "198.51.100.23",
  userAgent:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  createdAt: new Date("2026-11-22T09:07:00.000Z"),
};

describe("alerts", () => {
  it("say what happened, when (UTC), from where and on what device", () => {
    expect(alertText(event)).toBe(
      [
        "New sign-in to your account with Stack Overflow.",
        "",
        "When: 22 Nov 2026, 09:07 UTC",
        "IP address: 198.51.100.23",
        "Device: Safari on macOS",
        "",
        "Was this you?",
      ].join("\n"),
    );
    expect(alertText({ ...event, type: "PASSWORD_CHANGED", ip: null, userAgent: null })).toContain(
      "Your password was changed.\n\nWhen: 22 Nov 2026, 09:07 UTC\nIP address: unknown\nDevice: Unknown device",
    );
    expect(alertText({ ...event, type: "ACCOUNT_LINKED", method: "github" })).toMatch(
      /^GitHub was linked to your account/,
    );
  });

  it("cover a reset password and a changed address, not the requests for them", () => {
    expect(alertText({ ...event, type: "PASSWORD_RESET", method: "password" })).toMatch(
      /^Your password was reset with a link sent to your email, and every device was signed out\./,
    );
    expect(alertText({ ...event, type: "EMAIL_CHANGED", method: null })).toMatch(
      /^The email address of your account was changed\./,
    );
    expect(ALERT_EVENT_TYPES.has("PASSWORD_RESET")).toBe(true);
    expect(ALERT_EVENT_TYPES.has("EMAIL_CHANGED")).toBe(true);
    const quiet: SecurityEventType[] = [
      "EMAIL_VERIFIED",
      "PASSWORD_RESET_REQUESTED",
      "EMAIL_CHANGE_REQUESTED",
    ];
    for (const type of quiet) expect(ALERT_EVENT_TYPES.has(type)).toBe(false);
  });

  it("cover the second factor turned on or off, new recovery codes and a spent one", () => {
    const headlines: [SecurityEventType, RegExp][] = [
      ["TOTP_ENABLED", /^Two-step verification was turned on: signing in now also asks for a code/],
      ["TOTP_DISABLED", /^Two-step verification was turned off: signing in no longer asks/],
      [
        "RECOVERY_CODES_REGENERATED",
        /^New recovery codes were created .* earlier ones no longer work\./,
      ],
      ["RECOVERY_CODE_USED", /^A recovery code was used on your account instead of a code/],
    ];
    for (const [type, headline] of headlines) {
      expect(ALERT_EVENT_TYPES.has(type)).toBe(true);
      expect(alertText({ ...event, type, method: null })).toMatch(headline);
    }
  });

  it("tell the owner when someone past the first factor enters a wrong second-factor code", () => {
    expect(ALERT_EVENT_TYPES.has("SECOND_FACTOR_FAILED")).toBe(true);
    expect(alertText({ ...event, type: "SECOND_FACTOR_FAILED", method: "github" })).toMatch(
      /^Someone signed in to your account with GitHub but then entered a wrong two-step verification code\./,
    );
  });

  it("cover a passkey added (a stolen session's would outlive it) or removed, and a passkey sign-in", () => {
    const headlines: [SecurityEventType, RegExp][] = [
      ["PASSKEY_ADDED", /^A passkey was added to your account: it can now be used to sign in\./],
      ["PASSKEY_REMOVED", /^A passkey was removed from your account\./],
    ];
    for (const [type, headline] of headlines) {
      expect(ALERT_EVENT_TYPES.has(type)).toBe(true);
      expect(alertText({ ...event, type, method: "passkey" })).toMatch(headline);
    }
    expect(alertText({ ...event, type: "SIGN_IN", method: "passkey" })).toMatch(
      /^New sign-in to your account with a passkey\./,
    );
  });

  it("cover sign-in approval turned on or off, and a sign-in refused from the chat", () => {
    const headlines: [SecurityEventType, RegExp][] = [
      [
        "SIGN_IN_APPROVAL_ON",
        /^Sign-in approval was turned on: a sign-in from a browser that has not signed in to your account before now waits .* approve it in this chat\./,
      ],
      ["SIGN_IN_APPROVAL_OFF", /^Sign-in approval was turned off: sign-ins .* no longer wait/],
      [
        "SIGN_IN_DENIED",
        /^A sign-in to your account with GitHub was refused from this chat\. .* secure that sign-in method\) now\./,
      ],
    ];
    for (const [type, headline] of headlines) {
      expect(ALERT_EVENT_TYPES.has(type)).toBe(true);
      expect(alertText({ ...event, type, method: "github" })).toMatch(headline);
    }
  });

  it("formats times in UTC with a 24-hour clock", () => {
    expect(formatAlertTime(new Date("2026-01-05T23:59:00.000Z"))).toBe("5 Jan 2026, 23:59 UTC");
  });

  it("carry two buttons whose callback data fits Telegram's 64 bytes and parses back", () => {
    const id = "cmabc1234567890defghijklm";
    const keyboard = alertKeyboard(id);
    const buttons = keyboard.inline_keyboard.flat();
    expect(buttons.map((b) => b.text)).toEqual(["It was me", "Not me — sign out everywhere"]);
    for (const button of buttons) {
      const data = "callback_data" in button ? button.callback_data : "";
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(ALERT_CALLBACK.exec(data)?.[2]).toBe(id);
    }
    expect(ALERT_CALLBACK.test("alert:revoke:../../etc")).toBe(false);
    expect(ALERT_CALLBACK.test("alert:delete:abc")).toBe(false);
  });

  it("once answered, replace the question with what was done", () => {
    const text = alertText(event);
    expect(answeredAlertText(text, { kind: "ok" })).toBe(
      text.replace("Was this you?", "✅ You confirmed this was you."),
    );
    const revoked = answeredAlertText(text, { kind: "revoked", sessions: 3 });
    expect(revoked).toContain("🚫 Signed out everywhere (3 sessions).");
    expect(revoked).not.toContain("Was this you?");
    expect(answeredAlertText(text, { kind: "revoked", sessions: 1 })).toContain("(1 session)");
  });
});

describe("link tokens", () => {
  it("match Telegram's start payload alphabet and length", () => {
    expect(LINK_TOKEN_PATTERN.test("A".repeat(64))).toBe(true);
    expect(LINK_TOKEN_PATTERN.test("A".repeat(65))).toBe(false);
    expect(LINK_TOKEN_PATTERN.test("abc=")).toBe(false);
    expect(LINK_TOKEN_PATTERN.test("")).toBe(false);
  });
});

describe("webhook secret", () => {
  it("matches only the exact secret, whatever the lengths", () => {
    const secret = "s".repeat(32);
    expect(secretMatches(secret, secret)).toBe(true);
    expect(secretMatches(`${secret}x`, secret)).toBe(false);
    expect(secretMatches(secret.slice(1), secret)).toBe(false);
    expect(secretMatches("", secret)).toBe(false);
    expect(secretMatches(null, secret)).toBe(false);
  });
});

describe("Bot API errors", () => {
  const apiError = (code: number, retryAfter?: number) => ({
    error_code: code,
    description: `error ${code}`,
    ...(retryAfter === undefined ? {} : { parameters: { retry_after: retryAfter } }),
  });

  it("429 waits exactly retry_after", () => {
    expect(classifyTelegramError(apiError(429, 17), 1)).toEqual({
      retryAfterMs: 17_000,
      description: "error 429",
    });
  });

  it("5xx and network failures back off, growing with the attempt", () => {
    const first = classifyTelegramError(apiError(502), 1).retryAfterMs ?? 0;
    const fourth = classifyTelegramError(new Error("socket hang up"), 4).retryAfterMs ?? 0;
    expect(first).toBeGreaterThanOrEqual(1_600);
    expect(first).toBeLessThanOrEqual(2_400);
    expect(fourth).toBeGreaterThanOrEqual(12_800);
    expect(fourth).toBeLessThanOrEqual(19_200);
  });

  it("other 4xx are final", () => {
    for (const code of [400, 401, 403, 404]) {
      expect(classifyTelegramError(apiError(code), 1).retryAfterMs).toBeNull();
    }
  });
});
