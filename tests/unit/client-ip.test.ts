import { describe, expect, it } from "vitest";
import { clientIp, PEER_HEADER, verifiedPeer } from "@/lib/http/client-ip";

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
