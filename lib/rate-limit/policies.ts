// The ten policies (see index.ts): their names, what each does when the backend cannot
// answer in time, the settings they read, and where the global one applies.
import { APPLE_TOUCH_ICON, MANIFEST_ICONS } from "@/lib/app-icons";
import type { Settings } from "@/lib/env";

export const RATE_LIMIT_POLICIES = [
  "global",
  "signInIp",
  "signInAccount",
  "signInDevice",
  "signUpIp",
  "telegram",
  "mailAddress",
  "mailIp",
  "secondFactorAccount",
  "secondFactorIp",
] as const;

export type RateLimitPolicy = (typeof RATE_LIMIT_POLICIES)[number];

/** What a policy does when the backend cannot answer in time (see index.ts). */
export const FAILURE_MODE: Readonly<Record<RateLimitPolicy, "open" | "closed">> = {
  global: "open",
  telegram: "open",
  signInIp: "closed",
  signInAccount: "closed",
  signInDevice: "closed",
  signUpIp: "closed",
  // No mail bombing while Redis is down: a person asking for a link waits a few seconds.
  mailAddress: "closed",
  mailIp: "closed",
  // Codes guard an account whose password (or provider) is already known to the guesser.
  secondFactorAccount: "closed",
  secondFactorIp: "closed",
};

/** Every Redis key of the limiter starts with this (then `:<policy>:`). */
export const DEFAULT_RATE_LIMIT_PREFIX = "gatehouse:rl";

/**
 * A failed-closed decision asks the client to come back after this long: long enough not to
 * hammer a Redis that is coming back, short enough that a person retrying by hand barely
 * notices once it is back.
 */
export const DEFAULT_FAIL_CLOSED_RETRY_AFTER_SECONDS = 5;

export type RateLimitSettings = Pick<Settings["rateLimits"], RateLimitPolicy | "timeoutMs">;

/**
 * Paths the global per-IP limit leaves alone (proxy.ts): the health probes (monitors,
 * orchestrators and load balancers poll them, and an unhealthy verdict must not come from our
 * own limiter), the Telegram webhook (Telegram's few addresses carry every user's updates; it
 * has its own policy), and the static files served at fixed names — public/ and the icons and
 * manifest of app/ (docs/architecture.md, "Static files"). A browser fetches those by itself
 * around a page view, so counting them would spend a visitor's budget on requests they never
 * made; they cost a file read, less than the Redis round trip that would count them. Exact
 * names only: a prefix would let any made-up path under it reach the not-found page
 * uncounted. The build's hashed assets never reach the proxy (its matcher).
 */
const GLOBAL_LIMIT_EXEMPT = new Set([
  "/api/health",
  "/api/health/live",
  "/api/health/ready",
  "/api/telegram",
  "/favicon.ico",
  "/icon.svg",
  "/manifest.webmanifest",
  APPLE_TOUCH_ICON.src,
  ...MANIFEST_ICONS.map((icon) => icon.src),
  "/robots.txt",
  "/sitemap.xml",
]);

export function globalLimitApplies(pathname: string): boolean {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  return !GLOBAL_LIMIT_EXEMPT.has(path) && !path.startsWith("/_next/");
}
