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
import { timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/** The header server.mjs sets: "<secret> <socket address>". */
export const PEER_HEADER = "x-gatehouse-peer";

export interface ClientIpOptions {
  trustedProxies: string[];
  onVercel: boolean;
  /** server.mjs's secret; null when the app was not started through it. */
  peerSecret?: string | null;
}

/** "::ffff:203.0.113.5" (an IPv4 client on a dual-stack socket) → "203.0.113.5". */
function normalize(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] ?? ip;
}

function inCidr(ip: string, cidr: string): boolean {
  const [range = "", bitsText] = cidr.split("/");
  if (bitsText === undefined) return ip === normalize(range);
  const family = isIP(ip);
  if (family !== isIP(range) || family !== 4) return false;
  const toNumber = (address: string) =>
    address.split(".").reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
  const bits = Number(bitsText);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toNumber(ip) & mask) === (toNumber(range) & mask);
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
  const ip = normalize(value.slice(space + 1).trim());
  return isIP(ip) !== 0 ? ip : null;
}

export function clientIp(headers: Headers, options: ClientIpOptions): string | null {
  const chain = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => normalize(part.trim()))
    .filter((part) => isIP(part) !== 0);
  if (options.onVercel) {
    // Vercel's edge overwrites X-Forwarded-For with the real client address.
    return chain[0] ?? null;
  }
  const trusted = (ip: string) => options.trustedProxies.some((proxy) => inCidr(ip, proxy));
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
