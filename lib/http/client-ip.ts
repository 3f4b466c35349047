// Which address is the client? Forwarding headers are only as honest as whoever set them.
//
// Next's server fills X-Forwarded-For with the socket address only when the request has
// none, so behind plain `next start` a client can send its own and nothing tells them
// apart. `npm start` therefore runs server.mjs, which puts the socket address into its own
// header on every request, overwriting whatever the client sent, marked with a random
// per-process secret (GATEHOUSE_PEER_SECRET) that no client can know. From there:
// - the socket address is the client, unless it is a configured trusted proxy;
// - then X-Forwarded-For is walked from the right, skipping trusted proxies, and the first
//   address that is not one of them is the client (the left part is client-controlled);
// - on Vercel, whose edge overwrites X-Forwarded-For, its first entry is the client.
// Without server.mjs (next dev, plain next start) the last X-Forwarded-For entry is used:
// the socket address unless the client sent its own. The server warns at start about it.
//
// Trusted proxies are matched with node:net's BlockList, IPv4 and IPv6 alike (an IPv6 load
// balancer's address or range must match too, or every user behind it shares its rate-limit
// bucket), and an IPv4-mapped address (::ffff:10.0.0.1, how a dual-stack socket reports an
// IPv4 peer) matches an IPv4 entry and the other way round. Addresses are compared and
// returned in one canonical form — IPv4 dotted, IPv6 lowercase and compressed, a mapped IPv4
// address as IPv4 — so one client is one rate-limit key however a hop spelled its address.
import { timingSafeEqual } from "node:crypto";
import { BlockList, isIP, SocketAddress } from "node:net";

import { parseIpRange } from "@/lib/ip-range";

/** The header server.mjs sets: "<secret> <socket address>". */
export const PEER_HEADER = "x-gatehouse-peer";

export interface ClientIpOptions {
  trustedProxies: string[];
  onVercel: boolean;
  /** server.mjs's secret; null when the app was not started through it. */
  peerSecret?: string | null;
}

/**
 * The canonical form of an address, or null when it is not one: IPv4 as is; IPv6 lowercase
 * and compressed, without a zone id ("2001:DB8:0::1" → "2001:db8::1"); an IPv4-mapped IPv6
 * address in any spelling as its IPv4 address ("::ffff:203.0.113.5", "::ffff:cb00:7105" →
 * "203.0.113.5": an IPv4 client on a dual-stack socket).
 */
export function normalizeIp(text: string): string | null {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return null;
  const canonical = new SocketAddress({ address: text, family: "ipv6" }).address;
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(canonical)?.[1] ?? canonical;
}

const matchers = new WeakMap<readonly string[], (ip: string) => boolean>();

/**
 * Whether an address (canonical, see normalizeIp) is one of `proxies` (TRUSTED_PROXIES
 * entries: addresses and CIDR ranges of either family). Built once per list: settings are
 * parsed once, so the proxy reuses it on every request. An entry the settings would refuse
 * throws, rather than being skipped in silence.
 */
export function trustedProxyMatcher(proxies: readonly string[]): (ip: string) => boolean {
  const known = matchers.get(proxies);
  if (known) return known;
  const list = new BlockList();
  for (const entry of proxies) {
    const parsed = parseIpRange(entry);
    if (!parsed.ok) throw new TypeError(`not a trusted proxy: ${parsed.problem}`);
    const { address, family, prefix } = parsed.range;
    if (prefix === null) list.addAddress(address, family);
    else list.addSubnet(address, prefix, family);
  }
  const matches = (ip: string) => {
    const family = isIP(ip);
    return family !== 0 && list.check(ip, family === 4 ? "ipv4" : "ipv6");
  };
  matchers.set(proxies, matches);
  return matches;
}

/** The socket address server.mjs vouched for, or null when the header is absent or forged. */
export function verifiedPeer(headers: Headers, secret: string | null | undefined): string | null {
  if (!secret) return null;
  const value = headers.get(PEER_HEADER);
  if (!value) return null;
  const space = value.indexOf(" ");
  if (space < 0) return null;
  const given = Buffer.from(value.slice(0, space));
  const expected = Buffer.from(secret);
  // Constant time: the secret must not leak through how fast a wrong guess is refused.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return normalizeIp(value.slice(space + 1).trim());
}

export function clientIp(headers: Headers, options: ClientIpOptions): string | null {
  const chain = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => normalizeIp(part.trim()))
    .filter((part) => part !== null);
  if (options.onVercel) {
    // Vercel's edge overwrites X-Forwarded-For with the real client address.
    return chain[0] ?? null;
  }
  const trusted = trustedProxyMatcher(options.trustedProxies);
  const peer = verifiedPeer(headers, options.peerSecret);
  // With server.mjs the socket address ends the chain; without it, the last entry stands in.
  const hops = peer === null ? chain : [...chain, peer];
  if (peer !== null && !trusted(peer)) return peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!trusted(hop)) return hop;
  }
  return hops[0] ?? null;
}
