// Where a policy's counter lives in Redis: `<prefix>:<policy>` and a hashed identifier.
import { createHash } from "node:crypto";
import { isIP } from "node:net";

import { normalizeEmail } from "@/lib/email";
import { DEFAULT_RATE_LIMIT_PREFIX, type RateLimitPolicy } from "@/lib/rate-limit/policies";

/**
 * The identifier stored for a key: SHA-256, base64url. Hashing every key (not only emails)
 * keeps raw emails — and IP addresses — out of Redis, its dumps and its slow log, and caps
 * the length of keys a client chooses (a megabyte "email" would otherwise be a megabyte key).
 * It is not anonymisation: an email can be found by hashing guesses. It is enough for what a
 * rate-limit key reveals (that someone tried that account recently), and costs ~1 µs.
 */
export function hashKey(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("base64url");
}

/** Where a policy's key lives: `<prefix>:<policy>` and the hashed identifier within it. */
export function rateLimitKey(
  policy: RateLimitPolicy,
  key: string,
  prefix = DEFAULT_RATE_LIMIT_PREFIX,
): { namespace: string; id: string } {
  // Emails differing only in case or surrounding spaces are one account, so they share a
  // counter; otherwise "Victim@x.com" and "victim@x.com" would each get the full limit.
  const normalized =
    policy === "signInAccount" || policy === "mailAddress"
      ? normalizeEmail(key)
      : ADDRESS_POLICIES.has(policy)
        ? addressBucket(key)
        : key;
  return { namespace: `${prefix}:${policy}`, id: hashKey(normalized) };
}

/** Policies keyed by the client's address. */
const ADDRESS_POLICIES: ReadonlySet<RateLimitPolicy> = new Set([
  "global",
  "signInIp",
  "signUpIp",
  "mailIp",
  "secondFactorIp",
]);

/**
 * The bucket an address is counted in: an IPv4 address itself; an IPv6 address's /64.
 * One IPv6 subscriber (a home, a phone, a cloud VM) is routinely given a whole /64, so
 * keying by the full address would hand anyone 2^64 fresh per-IP budgets; a /64 is what
 * RFC 6177 and the usual abuse tooling treat as "one site". Anything that is not an
 * address ("unknown") is its own bucket.
 */
export function addressBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  const hextets = expandIpv6(address);
  return hextets ? `${hextets.slice(0, 4).join(":")}::/64` : address;
}

/** The eight hextets of an IPv6 address (no zone id), lower-case, without leading zeros. */
function expandIpv6(address: string): string[] | null {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two hextets.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array<string>(Math.max(0, missing)).fill("0"), ...right];
  return all.map((part) => Number.parseInt(part, 16).toString(16));
}
