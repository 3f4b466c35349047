// Which address is the client? Forwarding headers are only as honest as whoever set them.
//
// Next's server fills X-Forwarded-For with the socket address only when the request has
// none, so a client can send its own. Without trusted proxies we therefore take the LAST
// entry: with no header from the client it is the socket address; with a forged one it is
// still whatever the client claimed last, which is why per-IP decisions that matter (rate
// limits, issue 5) resolve this in proxy.ts. With trusted proxies, walk from the right and
// skip every hop that is one of them.
import { isIP } from "node:net";

export interface ClientIpOptions {
  trustedProxies: string[];
  onVercel: boolean;
}

function inCidr(ip: string, cidr: string): boolean {
  const [range = "", bitsText] = cidr.split("/");
  if (bitsText === undefined) return ip === range;
  const family = isIP(ip);
  if (family !== isIP(range) || family !== 4) return false;
  const toNumber = (address: string) =>
    address.split(".").reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
  const bits = Number(bitsText);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toNumber(ip) & mask) === (toNumber(range) & mask);
}

export function clientIp(headers: Headers, options: ClientIpOptions): string | null {
  const chain = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter((part) => isIP(part) !== 0);
  if (chain.length === 0) return null;
  if (options.onVercel) {
    // Vercel's edge overwrites X-Forwarded-For with the real client address.
    return chain[0] ?? null;
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = chain[i]!;
    if (!options.trustedProxies.some((proxy) => inCidr(hop, proxy))) return hop;
  }
  return chain[0] ?? null;
}
