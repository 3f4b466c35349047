// The security presenter: security events, devices and moments in plain words — "Signed in
// with GitHub — Chrome on Android — 203.0.113.5 — 3 minutes ago". It is UI wording, kept in
// lib/security/ beside the events it words (lib/security/events.ts) rather than with one of
// its readers, because two channels present the same security facts and must say them the
// same way: the account page (through its presenter, lib/account/presenter.ts) and the
// Telegram alerts and bot replies (lib/telegram/). Pure functions: the caller passes `now`,
// so a page renders every row against one clock and tests need no fake timers.
//
// User agents are whatever the client sent. Nothing from one is shown as is: only names
// from bowser's own fixed lists get through, so a crafted user agent cannot put words of
// its choosing on someone's account page.
import Bowser from "bowser";

import type { SecurityEventType } from "@/lib/generated/prisma/client";
import { methodName, PASSWORD_PROVIDER_ID } from "@/lib/sign-in-methods";
import { CLAIM_DETAIL } from "@/lib/security/events";

/** What describeDevice says when the user agent names no browser or system it knows. */
export const UNKNOWN_DEVICE = "Unknown device";

/**
 * Real user agents stay well under this; parsing is a pile of regular expressions, so a
 * stored 100 KB header is cut before it reaches them.
 */
const USER_AGENT_MAX_LENGTH = 512;

// Bowser falls back to a "Generic" parser that names the browser after whatever precedes the
// first "/" ("Anything I like/1.0 (x)" → "Anything I like"), and says "Mozilla" for a bare
// "Mozilla/5.0 (…)". Only the names it lists as known browsers and systems are trusted.
const KNOWN_BROWSERS = new Set(
  Object.values(Bowser.BROWSER_MAP).filter((name) => name !== Bowser.BROWSER_MAP.generic),
);
const KNOWN_SYSTEMS = new Set(Object.values(Bowser.OS_MAP));

/** Bowser's longer official names, shortened to what people call them. */
const SHORT_BROWSER_NAMES = new Map([
  ["Microsoft Edge", "Edge"],
  ["Samsung Internet for Android", "Samsung Internet"],
]);

/** "Chrome on Android", "Safari on iOS", "a browser on Linux", "Chrome" or "Unknown device". */
export function describeDevice(userAgent: string | null | undefined): string {
  const ua = userAgent?.slice(0, USER_AGENT_MAX_LENGTH).trim();
  if (!ua) return UNKNOWN_DEVICE;

  let browser: string;
  let system: string;
  try {
    const parser = Bowser.getParser(ua);
    browser = parser.getBrowserName();
    system = parser.getOSName();
  } catch {
    // A device name is decoration; a user agent bowser chokes on must not break the page.
    return UNKNOWN_DEVICE;
  }

  const browserName = KNOWN_BROWSERS.has(browser)
    ? (SHORT_BROWSER_NAMES.get(browser) ?? browser)
    : null;
  const systemName = KNOWN_SYSTEMS.has(system) ? system : null;

  if (browserName && systemName) return `${browserName} on ${systemName}`;
  if (browserName) return browserName;
  if (systemName) return `a browser on ${systemName}`;
  return UNKNOWN_DEVICE;
}

export interface DescribableEvent {
  type: SecurityEventType;
  method: string | null;
  detail: string | null;
}

/** What happened, in a few words: "Signed in with GitHub", "Password changed" … */
export function describeEventTitle(event: DescribableEvent): string {
  const title = baseTitle(event);
  // What the claim rule (lib/auth/claim.ts) took away was set up by whoever held the account
  // before its owner proved the email; saying so keeps the owner from wondering who did it.
  return event.detail?.startsWith(`${CLAIM_DETAIL}:`)
    ? `${title} when you claimed your email`
    : title;
}

function baseTitle(event: DescribableEvent): string {
  const method = methodName(event.method);
  const withMethod = (text: string) => (method ? `${text} with ${method}` : text);

  switch (event.type) {
    case "SIGN_IN":
      return withMethod("Signed in");
    case "SIGN_IN_FAILED":
      // A wrong password (or an unknown email's) is the one failure a stranger can cause;
      // it says so. The detail is a code for the server's logs ("recent-sign-in-required"
      // …); what went wrong was already explained on the sign-in page.
      if (event.method === PASSWORD_PROVIDER_ID) return "Failed password attempt";
      return withMethod("Sign-in failed");
    case "SIGN_UP":
      return withMethod("Account created");
    case "SIGN_OUT":
      return "Signed out";
    case "ACCOUNT_LINKED":
      return method ? `Linked ${method}` : "Linked a sign-in method";
    case "ACCOUNT_UNLINKED":
      return method ? `Unlinked ${method}` : "Unlinked a sign-in method";
    case "PASSWORD_SET":
      return "Password set";
    case "PASSWORD_CHANGED":
      return "Password changed";
    case "PASSWORD_REMOVED":
      return "Password removed";
    case "SESSION_REVOKED":
      return describeRevocation(event.detail);
    case "TELEGRAM_LINKED":
      return "Telegram connected";
    case "TELEGRAM_UNLINKED":
      return "Telegram disconnected";
    case "EMAIL_VERIFIED":
      return "Email verified";
    case "PASSWORD_RESET_REQUESTED":
      return "Password reset link requested";
    case "PASSWORD_RESET":
      return "Password reset with an emailed link";
    case "EMAIL_CHANGE_REQUESTED":
      return "Email change requested";
    case "EMAIL_CHANGED":
      return "Email changed";
    case "TOTP_ENABLED":
      return "Two-step verification turned on";
    case "TOTP_DISABLED":
      return "Two-step verification turned off";
    case "RECOVERY_CODES_REGENERATED":
      return "New recovery codes created";
    case "RECOVERY_CODE_USED":
      return "Recovery code used";
    case "SECOND_FACTOR_FAILED":
      return "Wrong two-step verification code at sign-in";
    case "PASSKEY_ADDED":
      return "Passkey added";
    case "PASSKEY_REMOVED":
      return "Passkey removed";
    case "SIGN_IN_APPROVAL_ON":
      return "Sign-in approval from Telegram turned on";
    case "SIGN_IN_APPROVAL_OFF":
      return "Sign-in approval from Telegram turned off";
    case "SIGN_IN_DENIED":
      return withMethod("Sign-in refused from Telegram");
    default: {
      // A new SecurityEventType fails to compile here until it is given its words.
      const unhandled: never = event.type;
      return unhandled;
    }
  }
}

function describeRevocation(detail: string | null): string {
  // lib/auth/sessions.ts writes "all other sessions revoked (2 sessions)" or "all sessions
  // revoked (…)", possibly after a reason ("password changed: all other sessions revoked").
  const text = detail?.toLowerCase() ?? "";
  if (text.includes("all other sessions")) return "Signed out all other devices";
  if (text.includes("all sessions")) return "Signed out everywhere";
  return "Signed out a device";
}

const relativeTimeFormat = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "3 minutes ago", "yesterday", "last month", "2 years ago" … */
export function relativeTime(at: Date, now: Date): string {
  const elapsed = now.getTime() - at.getTime();
  // Intl throws on NaN; an invalid date is no reason to fail a whole page.
  if (Number.isNaN(elapsed)) return "at an unknown time";
  // A future time is clock skew between servers or with the database, not a prediction.
  if (elapsed < 45 * SECOND) return "just now";

  // Whole units elapsed, rounded down: "3 minutes ago" until the fourth minute is complete.
  const ago = (count: number, unit: Intl.RelativeTimeFormatUnit) =>
    relativeTimeFormat.format(-Math.max(1, Math.floor(count)), unit);

  if (elapsed < HOUR) return ago(elapsed / MINUTE, "minute");
  if (elapsed < DAY) return ago(elapsed / HOUR, "hour");
  const days = elapsed / DAY;
  if (days < 30) return ago(days, "day");
  // Months of 30 days; capped at 11 so days 360–364 do not read "12 months ago".
  if (days < 365) return ago(Math.min(11, days / 30), "month");
  return ago(days / 365, "year");
}

export interface DescribedEvent {
  title: string;
  /** Null when the event recorded no user agent at all. */
  device: string | null;
  ip: string | null;
  when: string;
  /**
   * The present parts, joined:
   * "Signed in with GitHub — Chrome on Android — 203.0.113.5 — 3 minutes ago".
   */
  line: string;
}

export function describeEvent(
  event: DescribableEvent & { ip: string | null; userAgent: string | null; createdAt: Date },
  now: Date,
): DescribedEvent {
  const title = describeEventTitle(event);
  // No user agent means the event happened without a browser request (a server-side
  // revocation …): "Unknown device" would suggest a device nobody recognises.
  const device = event.userAgent?.trim() ? describeDevice(event.userAgent) : null;
  const ip = event.ip?.trim() ? event.ip.trim() : null;
  const when = relativeTime(event.createdAt, now);
  const line = [title, device, ip, when].filter((part) => part !== null).join(" — ");
  return { title, device, ip, when, line };
}

/** Consecutive failed password attempts, as lib/account/activity.ts sums them up. */
export interface FailedAttemptsSummary {
  attempts: number;
  /** There were more than `attempts` (the count stopped there). */
  countCapped: boolean;
  /** Distinct client addresses among the counted attempts; 0 when none was recorded. */
  addresses: number;
  /** When the latest attempt was made. */
  last: Date;
}

export interface DescribedFailedAttempts {
  /** "12 failed password attempts", "More than 1,000 failed password attempts" */
  title: string;
  /** "from 3 addresses", "from at least 40 addresses"; null when no address was recorded. */
  sources: string | null;
  /** When the latest was made: "5 minutes ago", "yesterday", "just now" … */
  when: string;
  /** "12 failed password attempts from 3 addresses, the last one 5 minutes ago" */
  line: string;
}

const countFormat = new Intl.NumberFormat("en");

/**
 * A run of two or more failed password attempts in one line. "The last one" (not "last")
 * because the time may read "yesterday" or "last month".
 */
export function describeFailedAttempts(
  summary: FailedAttemptsSummary,
  now: Date,
): DescribedFailedAttempts {
  const count = countFormat.format(summary.attempts);
  const plural = summary.attempts === 1 && !summary.countCapped ? "attempt" : "attempts";
  const title = summary.countCapped
    ? `More than ${count} failed password ${plural}`
    : `${count} failed password ${plural}`;
  const addresses = `${countFormat.format(summary.addresses)} ${summary.addresses === 1 ? "address" : "addresses"}`;
  const sources =
    summary.addresses === 0
      ? null
      : summary.countCapped
        ? `from at least ${addresses}`
        : `from ${addresses}`;
  const when = relativeTime(summary.last, now);
  const line = `${[title, sources].filter((part) => part !== null).join(" ")}, the last one ${when}`;
  return { title, sources, when, line };
}
