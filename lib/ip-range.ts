// One entry of TRUSTED_PROXIES: an IPv4 or IPv6 address, or a CIDR range of either family.
//
// Parsed here once, the same way for the settings (lib/env.ts, which must say what is wrong
// with an entry and may not import Node modules) and for the matching (lib/http/client-ip.ts,
// which hands the result to node:net's BlockList): what the settings accept is exactly what
// the matcher can use.
//
// Accepted: "203.0.113.7", "10.0.0.0/8", "2001:db8::1", "2001:db8::/32", and IPv4-mapped
// IPv6 ("::ffff:10.0.0.1", "::ffff:10.0.0.0/104"), which matches the IPv4 address as well
// (BlockList compares the two forms). A range with host bits set ("10.0.0.1/8") means its
// network, as in most tools. Refused, each with its reason: prefix lengths out of range,
// zone ids ("fe80::1%eth0": a setting names addresses, not interfaces), and an IPv4-mapped
// address with a prefix under 96, which reaches far outside the mapped IPv4 space (::/8
// holds ::1, for one) and is almost certainly an IPv4 prefix written on the mapped form.
import { z } from "zod";

export interface IpRange {
  /** The address as written (BlockList accepts every form zod does). */
  address: string;
  family: "ipv4" | "ipv6";
  /** Prefix length; null for a single address. */
  prefix: number | null;
}

export type IpRangeParse = { ok: true; range: IpRange } | { ok: false; problem: string };

const ipv4 = z.ipv4();
const ipv6 = z.ipv6();
const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

export function parseIpRange(text: string): IpRangeParse {
  const entry = text.trim();
  const bad = (why: string): IpRangeParse => ({ ok: false, problem: `"${entry}": ${why}` });
  const parts = entry.split("/");
  const [address = "", prefixText] = parts;
  if (parts.length > 2) return bad("not an IP address or CIDR range");
  if (address.includes("%")) return bad("zone ids (%…) are not allowed: name the address alone");
  const family = ipv4.safeParse(address).success
    ? "ipv4"
    : ipv6.safeParse(address).success
      ? "ipv6"
      : null;
  if (family === null) return bad("not an IP address or CIDR range");
  if (prefixText === undefined) return { ok: true, range: { address, family, prefix: null } };
  const bits = family === "ipv4" ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    return bad(`the prefix length of an ${family === "ipv4" ? "IPv4" : "IPv6"} range is 0–${bits}`);
  }
  const prefix = Number(prefixText);
  const mapped = MAPPED.exec(address)?.[1];
  if (mapped !== undefined && prefix < 96) {
    return bad(
      `an IPv4-mapped range needs a prefix length of 96–128 (96 + the IPv4 one)` +
        (prefix <= 32 ? `; did you mean ${mapped}/${prefix}?` : ""),
    );
  }
  return { ok: true, range: { address, family, prefix } };
}
