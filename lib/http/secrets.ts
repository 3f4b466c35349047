// Shared secrets a caller presents (the cron route's CRON_SECRET, the metrics route's
// METRICS_TOKEN, the Telegram webhook's secret header): read and compared in one way.
import { createHash, timingSafeEqual } from "node:crypto";

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function secretMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header (scheme in any case), or null. */
export function bearerToken(header: string | null): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return match?.[1] ?? null;
}
