import { describe, expect, it } from "vitest";

import type { SecurityEventType } from "@/lib/generated/prisma/client";
import {
  describeDevice,
  describeEvent,
  describeEventTitle,
  describeFailedAttempts,
  relativeTime,
  UNKNOWN_DEVICE,
} from "@/lib/security/presenter";

const UA = {
  chromeAndroid:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.179 Mobile Safari/537.36",
  safariIphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  firefoxWindows:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
  edgeMac:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
  chromeLinux:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  samsungAndroid:
    "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
  curl: "curl/8.5.0",
};

describe("describeDevice", () => {
  it.each([
    ["Chrome on Android", UA.chromeAndroid, "Chrome on Android"],
    ["Safari on an iPhone", UA.safariIphone, "Safari on iOS"],
    ["Firefox on Windows", UA.firefoxWindows, "Firefox on Windows"],
    ["Edge on macOS, shortened from Microsoft Edge", UA.edgeMac, "Edge on macOS"],
    ["Chrome on a Linux desktop", UA.chromeLinux, "Chrome on Linux"],
    ["Samsung Internet, shortened", UA.samsungAndroid, "Samsung Internet on Android"],
  ])("names %s", (_, userAgent, expected) => {
    expect(describeDevice(userAgent)).toBe(expected);
  });

  it("says which system when the browser is not known", () => {
    expect(describeDevice("Mozilla/5.0 (X11; Linux x86_64)")).toBe("a browser on Linux");
    expect(describeDevice("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")).toBe(
      "a browser on Windows",
    );
  });

  it("names the browser alone when the system is not known", () => {
    // Chrome's own token with no platform in the parentheses.
    expect(describeDevice("Mozilla/5.0 () AppleWebKit/537.36 Chrome/124.0.0.0 Safari/537.36")).toBe(
      "Chrome",
    );
  });

  it.each([
    ["curl", UA.curl],
    ["an empty string", ""],
    ["only spaces", "   "],
    ["null", null],
    ["undefined", undefined],
    ["10 000 characters of garbage", "x".repeat(10_000)],
    ["control characters", "\u0000\uffff\n<script>"],
  ])("says Unknown device for %s", (_, userAgent) => {
    expect(describeDevice(userAgent)).toBe("Unknown device");
  });

  it("never shows a name the user agent made up", () => {
    // Bowser's generic fallback would call this browser "<b>Your account is locked</b>".
    expect(describeDevice("<b>Your account is locked</b>/1.0 (call 555-0100)")).toBe(
      UNKNOWN_DEVICE,
    );
    expect(describeDevice("Call support now/1.0 (X11; Linux x86_64)")).toBe("a browser on Linux");
  });

  it("parses only the start of a huge user agent", () => {
    // The Chrome token lies past the first 512 characters, so it is never parsed.
    expect(describeDevice(`Mozilla/5.0 (${"x".repeat(600)}) Chrome/124.0.0.0`)).toBe(
      UNKNOWN_DEVICE,
    );
    // Padding after a real user agent does not hide it.
    expect(describeDevice(UA.chromeAndroid + " ".repeat(10_000) + "x".repeat(10_000))).toBe(
      "Chrome on Android",
    );
  });
});

describe("describeEventTitle", () => {
  const titles: [SecurityEventType, string | null, string | null, string][] = [
    ["SIGN_IN", "github", null, "Signed in with GitHub"],
    ["SIGN_IN", "password", null, "Signed in with email and password"],
    ["SIGN_IN", null, null, "Signed in"],
    ["SIGN_IN", "carrier-pigeon", null, "Signed in"],
    ["SIGN_IN_FAILED", "github", null, "Sign-in failed with GitHub"],
    ["SIGN_IN_FAILED", "google", "recent-sign-in-required", "Sign-in failed with Google"],
    ["SIGN_IN_FAILED", "github", "identity-linked-to-another-user", "Sign-in failed with GitHub"],
    ["SIGN_IN_FAILED", null, "unknown email", "Sign-in failed"],
    ["SIGN_IN_FAILED", "password", "wrong email or password", "Failed password attempt"],
    ["SIGN_UP", "github", null, "Account created with GitHub"],
    ["SIGN_UP", "password", null, "Account created with email and password"],
    ["SIGN_UP", null, null, "Account created"],
    ["SIGN_OUT", "github", null, "Signed out"],
    ["ACCOUNT_LINKED", "github", "linked from the account page", "Linked GitHub"],
    ["ACCOUNT_LINKED", "stackoverflow", null, "Linked Stack Overflow"],
    ["ACCOUNT_LINKED", null, null, "Linked a sign-in method"],
    ["ACCOUNT_UNLINKED", "google", "unlinked from the account page", "Unlinked Google"],
    ["ACCOUNT_UNLINKED", null, null, "Unlinked a sign-in method"],
    ["PASSWORD_SET", "password", null, "Password set"],
    ["PASSWORD_CHANGED", "password", null, "Password changed"],
    ["PASSWORD_REMOVED", null, "pre-registration takeover", "Password removed"],
    ["SESSION_REVOKED", null, "one session revoked", "Signed out a device"],
    ["SESSION_REVOKED", null, null, "Signed out a device"],
    [
      "SESSION_REVOKED",
      null,
      "all other sessions revoked (2 sessions)",
      "Signed out all other devices",
    ],
    [
      "SESSION_REVOKED",
      null,
      "password changed: all other sessions revoked (1 session)",
      "Signed out all other devices",
    ],
    ["SESSION_REVOKED", null, "all sessions revoked (3 sessions)", "Signed out everywhere"],
    ["TELEGRAM_LINKED", "telegram", null, "Telegram connected"],
    ["TELEGRAM_UNLINKED", "telegram", null, "Telegram disconnected"],
    ["EMAIL_VERIFIED", null, null, "Email verified"],
    ["PASSWORD_RESET_REQUESTED", null, null, "Password reset link requested"],
    ["PASSWORD_RESET", "password", null, "Password reset with an emailed link"],
    ["EMAIL_CHANGE_REQUESTED", null, null, "Email change requested"],
    ["EMAIL_CHANGED", null, null, "Email changed"],
    ["TOTP_ENABLED", null, null, "Two-step verification turned on"],
    ["TOTP_DISABLED", null, null, "Two-step verification turned off"],
    [
      "RECOVERY_CODES_REGENERATED",
      null,
      "the earlier codes no longer work",
      "New recovery codes created",
    ],
    ["RECOVERY_CODE_USED", null, "9 codes left", "Recovery code used"],
    ["PASSKEY_ADDED", "passkey", "multi-device passkey", "Passkey added"],
    ["PASSKEY_REMOVED", "passkey", "removed from the account page", "Passkey removed"],
    ["SIGN_IN_APPROVAL_ON", null, null, "Sign-in approval from Telegram turned on"],
    ["SIGN_IN_APPROVAL_OFF", null, null, "Sign-in approval from Telegram turned off"],
    ["SIGN_IN_DENIED", "password", null, "Sign-in refused from Telegram with email and password"],
    [
      "PASSKEY_REMOVED",
      "passkey",
      "pre-registration takeover protection: passkey added before the email was proven",
      "Passkey removed when you claimed your email",
    ],
    ["SIGN_IN", "passkey", null, "Signed in with a passkey"],
    [
      "SECOND_FACTOR_FAILED",
      "password",
      "wrong authenticator code",
      "Wrong two-step verification code at sign-in",
    ],
    [
      "TOTP_DISABLED",
      null,
      "pre-registration takeover protection: authenticator app set up before the email was proven",
      "Two-step verification turned off when you claimed your email",
    ],
    // What the claim rule took away says when (lib/auth/claim.ts writes these details).
    [
      "ACCOUNT_UNLINKED",
      "stackoverflow",
      "pre-registration takeover protection: sign-in method linked before the email was proven",
      "Unlinked Stack Overflow when you claimed your email",
    ],
    [
      "PASSWORD_REMOVED",
      "google",
      "pre-registration takeover protection: password set before the email was proven",
      "Password removed when you claimed your email",
    ],
    [
      "SESSION_REVOKED",
      null,
      "pre-registration takeover protection: all sessions revoked (2 sessions)",
      "Signed out everywhere when you claimed your email",
    ],
    [
      "TELEGRAM_UNLINKED",
      "telegram",
      "pre-registration takeover protection: chat connected before the email was proven",
      "Telegram disconnected when you claimed your email",
    ],
  ];

  it.each(titles)("%s via %j (detail %j) reads %j", (type, method, detail, expected) => {
    expect(describeEventTitle({ type, method, detail })).toBe(expected);
  });

  it("has words for every event type", () => {
    const covered = new Set(titles.map(([type]) => type));
    const all: Record<SecurityEventType, true> = {
      SIGN_IN: true,
      SIGN_IN_FAILED: true,
      SIGN_UP: true,
      SIGN_OUT: true,
      ACCOUNT_LINKED: true,
      ACCOUNT_UNLINKED: true,
      PASSWORD_SET: true,
      PASSWORD_CHANGED: true,
      PASSWORD_REMOVED: true,
      SESSION_REVOKED: true,
      TELEGRAM_LINKED: true,
      TELEGRAM_UNLINKED: true,
      EMAIL_VERIFIED: true,
      PASSWORD_RESET_REQUESTED: true,
      PASSWORD_RESET: true,
      EMAIL_CHANGE_REQUESTED: true,
      EMAIL_CHANGED: true,
      TOTP_ENABLED: true,
      TOTP_DISABLED: true,
      RECOVERY_CODES_REGENERATED: true,
      RECOVERY_CODE_USED: true,
      SECOND_FACTOR_FAILED: true,
      PASSKEY_ADDED: true,
      PASSKEY_REMOVED: true,
      SIGN_IN_APPROVAL_ON: true,
      SIGN_IN_APPROVAL_OFF: true,
      SIGN_IN_DENIED: true,
    };
    expect([...covered].sort()).toEqual(Object.keys(all).sort());
  });
});

describe("relativeTime", () => {
  const now = new Date("2025-06-15T12:00:00Z");
  const before = (ms: number) => new Date(now.getTime() - ms);
  const SECOND = 1000;
  const MINUTE = 60 * SECOND;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;

  it.each([
    ["0 s", 0, "just now"],
    ["30 s", 30 * SECOND, "just now"],
    ["44.9 s", 44_900, "just now"],
    ["45 s", 45 * SECOND, "1 minute ago"],
    ["3 min", 3 * MINUTE, "3 minutes ago"],
    ["3 min 59 s", 3 * MINUTE + 59 * SECOND, "3 minutes ago"],
    ["59 min", 59 * MINUTE, "59 minutes ago"],
    ["1 h", HOUR, "1 hour ago"],
    ["2 h", 2 * HOUR, "2 hours ago"],
    ["23 h", 23 * HOUR, "23 hours ago"],
    ["1 day", DAY, "yesterday"],
    ["3 days", 3 * DAY, "3 days ago"],
    ["29 days", 29 * DAY, "29 days ago"],
    ["40 days", 40 * DAY, "last month"],
    ["90 days", 90 * DAY, "3 months ago"],
    ["364 days", 364 * DAY, "11 months ago"],
    ["400 days", 400 * DAY, "last year"],
    ["800 days", 800 * DAY, "2 years ago"],
  ])("%s ago (%i ms) reads %j", (_, ms, expected) => {
    expect(relativeTime(before(ms), now)).toBe(expected);
  });

  it("reads a future time (clock skew) as just now", () => {
    expect(relativeTime(new Date(now.getTime() + 5 * MINUTE), now)).toBe("just now");
    expect(relativeTime(new Date(now.getTime() + 400 * DAY), now)).toBe("just now");
  });

  it("does not throw on an invalid date", () => {
    expect(relativeTime(new Date(Number.NaN), now)).toBe("at an unknown time");
  });
});

describe("describeEvent", () => {
  const now = new Date("2025-06-15T12:00:00Z");
  const threeMinutesAgo = new Date(now.getTime() - 3 * 60 * 1000);

  it("writes the account page's line for a GitHub sign-in", () => {
    expect(
      describeEvent(
        {
          type: "SIGN_IN",
          method: "github",
          detail: null,
          ip: "203.0.113.5",
          userAgent: UA.chromeAndroid,
          createdAt: threeMinutesAgo,
        },
        now,
      ),
    ).toEqual({
      title: "Signed in with GitHub",
      device: "Chrome on Android",
      ip: "203.0.113.5",
      when: "3 minutes ago",
      line: "Signed in with GitHub — Chrome on Android — 203.0.113.5 — 3 minutes ago",
    });
  });

  it("leaves out the device and IP when none were recorded", () => {
    for (const blank of [null, "", "  "]) {
      const described = describeEvent(
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: "all other sessions revoked (2 sessions)",
          ip: blank,
          userAgent: blank,
          createdAt: threeMinutesAgo,
        },
        now,
      );
      expect(described).toEqual({
        title: "Signed out all other devices",
        device: null,
        ip: null,
        when: "3 minutes ago",
        line: "Signed out all other devices — 3 minutes ago",
      });
    }
  });

  it("says Unknown device when a user agent was recorded but names nothing", () => {
    const described = describeEvent(
      {
        type: "SIGN_IN_FAILED",
        method: "password",
        detail: "wrong password",
        ip: null,
        userAgent: UA.curl,
        createdAt: threeMinutesAgo,
      },
      now,
    );
    expect(described.device).toBe("Unknown device");
    expect(described.line).toBe("Failed password attempt — Unknown device — 3 minutes ago");
  });
});

describe("describeFailedAttempts", () => {
  const now = new Date("2025-06-15T12:00:00Z");
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

  it("sums up a run: how many, from how many addresses, when the last one was", () => {
    expect(
      describeFailedAttempts(
        { attempts: 12, countCapped: false, addresses: 3, last: ago(5 * 60) },
        now,
      ),
    ).toEqual({
      title: "12 failed password attempts",
      sources: "from 3 addresses",
      when: "5 minutes ago",
      line: "12 failed password attempts from 3 addresses, the last one 5 minutes ago",
    });
  });

  it("says address and attempt in the singular when there is one", () => {
    expect(
      describeFailedAttempts({ attempts: 2, countCapped: false, addresses: 1, last: ago(10) }, now)
        .line,
    ).toBe("2 failed password attempts from 1 address, the last one just now");
    expect(
      describeFailedAttempts({ attempts: 1, countCapped: false, addresses: 1, last: ago(90) }, now)
        .line,
    ).toBe("1 failed password attempt from 1 address, the last one 1 minute ago");
  });

  it("reads well whatever the relative time says (yesterday, last month)", () => {
    const day = 24 * 3600;
    expect(
      describeFailedAttempts({ attempts: 4, countCapped: false, addresses: 2, last: ago(day) }, now)
        .line,
    ).toBe("4 failed password attempts from 2 addresses, the last one yesterday");
    expect(
      describeFailedAttempts(
        { attempts: 4, countCapped: false, addresses: 2, last: ago(40 * day) },
        now,
      ).line,
    ).toBe("4 failed password attempts from 2 addresses, the last one last month");
  });

  it("says more than the cap, and at least so many addresses, when the count stopped", () => {
    expect(
      describeFailedAttempts(
        { attempts: 1000, countCapped: true, addresses: 41, last: ago(2 * 3600) },
        now,
      ),
    ).toEqual({
      title: "More than 1,000 failed password attempts",
      sources: "from at least 41 addresses",
      when: "2 hours ago",
      line: "More than 1,000 failed password attempts from at least 41 addresses, the last one 2 hours ago",
    });
  });

  it("leaves out the addresses when none was recorded", () => {
    const described = describeFailedAttempts(
      { attempts: 3, countCapped: false, addresses: 0, last: ago(3 * 60) },
      now,
    );
    expect(described.sources).toBeNull();
    expect(described.line).toBe("3 failed password attempts, the last one 3 minutes ago");
  });
});
