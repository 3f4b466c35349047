import { describe, expect, it } from "vitest";
import {
  clientIp,
  normalizeIp,
  PEER_HEADER,
  trustedProxyMatcher,
  verifiedPeer,
} from "@/lib/http/client-ip";
import { parseIpRange } from "@/lib/ip-range";

const headers = (xff?: string) => new Headers(xff === undefined ? {} : { "x-forwarded-for": xff });

describe("clientIp", () => {
  it("uses the address Next recorded when the client sent none", () => {
    expect(clientIp(headers("203.0.113.5"), { trustedProxies: [], onVercel: false })).toBe(
      "203.0.113.5",
    );
  });

  it("without trusted proxies, ignores everything but the last hop", () => {
    expect(
      clientIp(headers("1.2.3.4, 198.51.100.7"), { trustedProxies: [], onVercel: false }),
    ).toBe("198.51.100.7");
  });

  it("skips trusted proxies from the right, by address or CIDR range", () => {
    const options = { trustedProxies: ["10.0.0.0/8", "192.0.2.1"], onVercel: false };
    expect(clientIp(headers("1.2.3.4, 203.0.113.9, 10.1.2.3, 192.0.2.1"), options)).toBe(
      "203.0.113.9",
    );
  });

  it("believes the first entry on Vercel, whose edge overwrites the header", () => {
    expect(clientIp(headers("203.0.113.5, 10.0.0.1"), { trustedProxies: [], onVercel: true })).toBe(
      "203.0.113.5",
    );
  });

  it("ignores entries that are not IP addresses, and answers null with none", () => {
    expect(clientIp(headers("nonsense, <script>"), { trustedProxies: [], onVercel: false })).toBe(
      null,
    );
    expect(clientIp(headers(), { trustedProxies: [], onVercel: false })).toBe(null);
  });
});

describe("clientIp behind server.mjs", () => {
  const secret = "s".repeat(64);
  const withPeer = (peer: string, forwardedFor?: string, peerSecret = secret) => {
    const list = new Headers({ [PEER_HEADER]: `${peerSecret} ${peer}` });
    if (forwardedFor !== undefined) list.set("x-forwarded-for", forwardedFor);
    return list;
  };
  const options = { trustedProxies: [], onVercel: false, peerSecret: secret };

  it("takes the socket address and ignores a forged X-Forwarded-For", () => {
    expect(clientIp(withPeer("198.51.100.20", "203.0.113.77"), options)).toBe("198.51.100.20");
    expect(clientIp(withPeer("::ffff:198.51.100.20"), options)).toBe("198.51.100.20");
  });

  it("walks X-Forwarded-For only from a trusted proxy, skipping trusted hops", () => {
    const trusting = { ...options, trustedProxies: ["10.0.0.0/8"] };
    expect(clientIp(withPeer("10.0.0.5", "203.0.113.77"), trusting)).toBe("203.0.113.77");
    // The client prepends a forged hop; the proxy appended the real one after it.
    expect(clientIp(withPeer("10.0.0.5", "1.2.3.4, 203.0.113.77, 10.0.0.9"), trusting)).toBe(
      "203.0.113.77",
    );
    // Not from the trusted proxy: the header is ignored.
    expect(clientIp(withPeer("192.0.2.8", "203.0.113.77"), trusting)).toBe("192.0.2.8");
  });

  it("refuses a peer header with the wrong secret, as if there were none", () => {
    const forged = withPeer("192.0.2.1", "203.0.113.9", "x".repeat(64));
    expect(verifiedPeer(forged, secret)).toBeNull();
    // Falls back to the last X-Forwarded-For entry, which Next sets from the socket.
    expect(clientIp(forged, options)).toBe("203.0.113.9");
    expect(verifiedPeer(withPeer("192.0.2.1"), null)).toBeNull();
    expect(verifiedPeer(withPeer("not-an-ip"), secret)).toBeNull();
  });
});

describe("trusted proxies, IPv4 and IPv6 (node:net BlockList)", () => {
  it("matches IPv6 addresses and ranges", () => {
    const trusted = trustedProxyMatcher(["2001:db8::/32", "fd00::7", "::1"]);
    expect(trusted("2001:db8::1")).toBe(true);
    expect(trusted("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")).toBe(true);
    expect(trusted("2001:db9::1")).toBe(false);
    expect(trusted("fd00::7")).toBe(true);
    expect(trusted("fd00::8")).toBe(false);
    expect(trusted("::1")).toBe(true);
    // An IPv6 range says nothing about IPv4 addresses.
    expect(trusted("32.1.13.184")).toBe(false);
  });

  it("matches an IPv4-mapped address against an IPv4 entry, and the other way round", () => {
    const byIpv4 = trustedProxyMatcher(["10.0.0.0/8", "192.0.2.1"]);
    expect(byIpv4("::ffff:10.1.2.3")).toBe(true);
    expect(byIpv4("::ffff:192.0.2.1")).toBe(true);
    expect(byIpv4("::ffff:192.0.2.2")).toBe(false);
    const byMapped = trustedProxyMatcher(["::ffff:10.0.0.0/104", "::ffff:192.0.2.1"]);
    expect(byMapped("10.1.2.3")).toBe(true);
    expect(byMapped("11.0.0.1")).toBe(false);
    expect(byMapped("192.0.2.1")).toBe(true);
  });

  it("takes a range's network whatever its host bits, and /0 as everything of its family", () => {
    expect(trustedProxyMatcher(["10.1.2.3/8"])("10.200.0.1")).toBe(true);
    expect(trustedProxyMatcher(["2001:db8::1/32"])("2001:db8:5::5")).toBe(true);
    expect(trustedProxyMatcher(["0.0.0.0/0"])("203.0.113.9")).toBe(true);
    expect(trustedProxyMatcher(["::/0"])("2001:db8::1")).toBe(true);
  });

  it("refuses an entry the settings would refuse, loudly", () => {
    expect(() => trustedProxyMatcher(["2001:db8::/129"])).toThrow(/prefix length of an IPv6/);
    expect(() => trustedProxyMatcher(["proxy.internal"])).toThrow(/not an IP address/);
  });

  it("accepts exactly what the settings accept", () => {
    for (const entry of ["10.0.0.0/8", "2001:db8::/32", "::ffff:10.0.0.0/104", "::", "::/0"]) {
      expect(parseIpRange(entry).ok).toBe(true);
      expect(() => trustedProxyMatcher([entry])).not.toThrow();
    }
  });

  it("puts addresses in one form, so one client is one rate-limit key", () => {
    expect(normalizeIp("203.0.113.5")).toBe("203.0.113.5");
    expect(normalizeIp("::ffff:203.0.113.5")).toBe("203.0.113.5");
    expect(normalizeIp("::FFFF:cb00:7105")).toBe("203.0.113.5");
    expect(normalizeIp("2001:DB8:0:0::1")).toBe("2001:db8::1");
    expect(normalizeIp("fe80::1%eth0")).toBe("fe80::1");
    expect(normalizeIp("not-an-ip")).toBeNull();
    expect(normalizeIp("[2001:db8::1]:443")).toBeNull();
  });

  it("walks X-Forwarded-For behind an IPv6 load balancer", () => {
    const secret = "s".repeat(64);
    const options = { trustedProxies: ["2001:db8:1::/48"], onVercel: false, peerSecret: secret };
    const from = (peer: string, forwardedFor: string) =>
      new Headers({ [PEER_HEADER]: `${secret} ${peer}`, "x-forwarded-for": forwardedFor });
    // Each user gets their own address (and rate-limit key), not the balancer's.
    expect(clientIp(from("2001:db8:1::10", "203.0.113.9"), options)).toBe("203.0.113.9");
    expect(clientIp(from("2001:db8:1::10", "2001:DB8:BEEF::5"), options)).toBe("2001:db8:beef::5");
    // A chain of trusted hops of both forms is skipped.
    expect(
      clientIp(from("2001:db8:1::10", "198.51.100.4, 2001:db8:1::20, 2001:db8:1::30"), options),
    ).toBe("198.51.100.4");
    // Not from the balancer: the header is ignored.
    expect(clientIp(from("2001:db8:2::10", "203.0.113.9"), options)).toBe("2001:db8:2::10");
  });

  it("matches an IPv4 proxy on a dual-stack socket, which reports it IPv4-mapped", () => {
    const secret = "s".repeat(64);
    const options = { trustedProxies: ["10.0.0.0/8"], onVercel: false, peerSecret: secret };
    const headers = new Headers({
      [PEER_HEADER]: `${secret} ::ffff:10.0.0.5`,
      "x-forwarded-for": "2001:db8::77",
    });
    expect(clientIp(headers, options)).toBe("2001:db8::77");
  });
});
