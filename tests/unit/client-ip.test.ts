import { describe, expect, it } from "vitest";
import { clientIp } from "@/lib/http/client-ip";

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
