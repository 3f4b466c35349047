// Which address the app records for a client, through `npm start`'s server (server.mjs):
// a forged X-Forwarded-For is ignored, unless the request comes from a configured trusted
// proxy — IPv4 or IPv6. The address shows on the account page's device list (it also keys
// the per-IP rate limits, which is how the IPv6 case is observed, without a browser).
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { createPasswordAccount } from "./support/accounts";
import { launchBrowser } from "./support/browser";
import { appForSuite, startEmbeddedApp, type AppServer } from "./support/server";

const FORGED = "203.0.113.77";

let browser: Browser | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Signs up in a browser that sends X-Forwarded-For: FORGED; returns the device list text. */
async function devicesSeenWithForgedHeader(app: AppServer): Promise<string> {
  if (!browser) throw new Error("the browser did not launch");
  const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": FORGED } });
  try {
    const page = await context.newPage();
    await createPasswordAccount(page, app.url, {
      email: `ip-${randomBytes(4).toString("hex")}@example.com`,
      password: "violet tram 71 under the pier",
    });
    await page.goto(`${app.url}/account`);
    return (await page.getByRole("region", { name: "Devices" }).textContent()) ?? "";
  } finally {
    await context.close();
  }
}

describe("client address", () => {
  const running = appForSuite(() => startEmbeddedApp());

  test("a forged X-Forwarded-For is ignored: the socket address is recorded", async () => {
    const devices = await devicesSeenWithForgedHeader(running());
    expect(devices).toContain("127.0.0.1");
    expect(devices).not.toContain(FORGED);
  });
});

describe("client address behind a trusted proxy", () => {
  // The test's own loopback connection plays the trusted reverse proxy.
  const running = appForSuite(() => startEmbeddedApp({ TRUSTED_PROXIES: "127.0.0.1" }));

  test("X-Forwarded-For from the trusted proxy names the client", async () => {
    const devices = await devicesSeenWithForgedHeader(running());
    expect(devices).toContain(FORGED);
  });
});

/** GET `path` from the loopback address `from` (127.0.0.1 or ::1) with X-Forwarded-For. */
function statusFrom(
  app: AppServer,
  from: "127.0.0.1" | "::1",
  path: string,
  forwardedFor: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: from,
        family: from === "::1" ? 6 : 4,
        port: app.port,
        path,
        headers: { host: new URL(app.url).host, "x-forwarded-for": forwardedFor },
      },
      (response) => {
        response.resume();
        response.once("end", () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.once("error", reject);
    outgoing.end();
  });
}

describe("client address behind a trusted IPv6 proxy", () => {
  // The server listens on both families; the test's connections from ::1 play an IPv6 load
  // balancer. The per-address global limit shows whose address a request counts as.
  const LIMIT = 3;
  const running = appForSuite(() =>
    startEmbeddedApp({
      HOSTNAME: "::",
      TRUSTED_PROXIES: "::1/128",
      RATE_LIMIT_GLOBAL: `${LIMIT}/60s`,
    }),
  );

  test("X-Forwarded-For from the IPv6 proxy names the client: each client has its own limit", async () => {
    const app = running();
    const statuses = [];
    for (let n = 0; n <= LIMIT; n += 1) {
      statuses.push(await statusFrom(app, "::1", "/api/auth/session", "203.0.113.10"));
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Another client behind the same balancer has a limit of its own (before BlockList, an
    // IPv6 range never matched, and every client shared the balancer's), however a hop
    // spells its address.
    const spellings = ["2001:db8::20", "2001:DB8:0::20", "2001:db8:0:0:0:0:0:20", "2001:db8::20"];
    const second = [];
    for (const spelling of spellings) {
      second.push(await statusFrom(app, "::1", "/api/auth/session", spelling));
    }
    expect(second).toEqual([200, 200, 200, 429]);
  });

  test("an IPv4 client of the same server is not that proxy: its X-Forwarded-For is ignored", async () => {
    const app = running();
    // 127.0.0.1 arrives IPv4-mapped on the dual-stack socket and is its own client, whatever
    // it forwards (the start-up probe may have used one request of its quota already).
    let status = 200;
    for (let n = 0; n <= LIMIT && status === 200; n += 1) {
      status = await statusFrom(app, "127.0.0.1", "/api/auth/session", `198.51.100.${n + 1}`);
    }
    expect(status).toBe(429);
    expect(await statusFrom(app, "127.0.0.1", "/api/auth/session", "198.51.100.99")).toBe(429);
  });
});
