// Which address the app records for a client, through `npm start`'s server (server.mjs):
// a forged X-Forwarded-For is ignored, unless the request comes from a configured trusted
// proxy. The address shows on the account page's device list (it also keys the per-IP
// rate limits).
import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

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
    await page.goto(`${app.url}/sign-up`);
    const main = page.getByRole("main");
    await main
      .getByLabel("Email", { exact: true })
      .fill(`ip-${randomBytes(4).toString("hex")}@example.com`);
    await main.getByLabel("Password", { exact: true }).fill("violet tram 71 under the pier");
    await main.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
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
