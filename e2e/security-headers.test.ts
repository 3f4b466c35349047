// proxy.ts in front of `next build && next start`: the security headers on pages, API
// responses and error responses, the per-request CSP nonce on Next's own scripts, request
// ids, pages loading in Chromium with no CSP violation, Auth.js redirects that never
// leave the site, and /api/metrics behind its bearer token.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { createPasswordAccount } from "./support/accounts";
import { launchBrowser, openPage } from "./support/browser";
import { startRig, type Rig } from "./support/rig";
import { E2E_METRICS_TOKEN, printServerOutputOnFailure } from "./support/server";

let browser: Browser | undefined;
let rig: Rig | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  rig = await startRig({ backend: "embedded" });
});

afterAll(async () => {
  await browser?.close();
  await rig?.stop();
});

printServerOutputOnFailure(() => rig?.app);

function appUrl(): string {
  if (!rig) throw new Error("the app did not start (see beforeAll)");
  return rig.app.url;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectSecurityHeaders(response: Response): string {
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  for (const directive of ["object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'"]) {
    expect(csp).toContain(directive);
  }
  // The fake identity provider stands in for every provider's origin here.
  expect(csp).toContain(`form-action 'self' ${rig?.idp.url}`);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  expect(response.headers.get("permissions-policy")).toContain("camera=()");
  expect(response.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  expect(response.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  // Plain http on localhost: HSTS would be ignored, and would pin localhost for later.
  expect(response.headers.get("strict-transport-security")).toBeNull();
  expect(response.headers.get("x-powered-by")).toBeNull();
  return csp;
}

describe("security headers", () => {
  test("an HTML page: every header, and the nonce on each of Next's scripts", async () => {
    const first = await fetch(`${appUrl()}/sign-in`);
    expect(first.status).toBe(200);
    const csp = expectSecurityHeaders(first);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    const html = await first.text();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);

    // Fresh for every request.
    const second = await fetch(`${appUrl()}/sign-in`);
    expect(second.headers.get("content-security-policy")).not.toBe(csp);
    await second.body?.cancel();
  });

  test("an API response and error responses carry them too", async () => {
    const health = await fetch(`${appUrl()}/api/health`);
    expect(health.status).toBe(200);
    expectSecurityHeaders(health);
    await health.body?.cancel();

    const missing = await fetch(`${appUrl()}/no-such-page-${randomBytes(3).toString("hex")}`);
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing);
    await missing.body?.cancel();

    const wrongMethod = await fetch(`${appUrl()}/api/health`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expectSecurityHeaders(wrongMethod);
    await wrongMethod.body?.cancel();
  });

  test("a request id is assigned, or a well-formed incoming one kept", async () => {
    const assigned = await fetch(`${appUrl()}/api/health`);
    expect(assigned.headers.get("x-request-id")).toMatch(UUID);
    await assigned.body?.cancel();

    const mine = `trace_${randomBytes(8).toString("hex")}`;
    const kept = await fetch(`${appUrl()}/api/health`, { headers: { "x-request-id": mine } });
    expect(kept.headers.get("x-request-id")).toBe(mine);
    await kept.body?.cancel();

    for (const bad of ["short", "x".repeat(65), "has spaces in it", "line\\nbreak-injection"]) {
      const replaced = await fetch(`${appUrl()}/api/health`, { headers: { "x-request-id": bad } });
      expect(replaced.headers.get("x-request-id")).toMatch(UUID);
      await replaced.body?.cancel();
    }
  });
});

describe("pages in Chromium under the CSP", () => {
  async function violationsOn(page: Page, path: string): Promise<string[]> {
    await page.goto(`${appUrl()}${path}`, { waitUntil: "networkidle" });
    return page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  }

  test("load, hydrate and sign up with no CSP violation", async () => {
    if (!browser) throw new Error("the browser did not launch");
    const opened = await openPage(browser, `${appUrl()}/`);
    const { page, context } = opened;
    try {
      // Recorded from the first byte of every document, before any script of the page runs.
      await context.addInitScript(() => {
        const violations: string[] = [];
        (window as unknown as { __violations: string[] }).__violations = violations;
        document.addEventListener("securitypolicyviolation", (event) => {
          violations.push(`${event.violatedDirective} ${event.blockedURI}`);
        });
      });
      for (const path of ["/", "/sign-in", "/sign-up", "/auth/error?error=Configuration"]) {
        expect(await violationsOn(page, path)).toEqual([]);
      }
      // Hydrated: the sign-up form's client-side behaviour runs, which needs Next's scripts.
      const email = `csp-${randomBytes(4).toString("hex")}@example.com`;
      await createPasswordAccount(page, appUrl(), {
        email,
        password: "violet tram 71 under the pier",
      });
      expect(await violationsOn(page, "/account")).toEqual([]);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});

describe("Auth.js redirects stay on the site", () => {
  const attacks = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "https%3A%2F%2Fevil.example",
    "%2F%5Cevil.example",
    "javascript%3Aalert(1)",
  ];

  test.each(attacks)("sign-out with callbackUrl %s lands on the home page", async (attack) => {
    const csrf = await fetch(`${appUrl()}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = csrf.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
    const response = await fetch(`${appUrl()}/api/auth/signout`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrfToken, callbackUrl: attack }).toString(),
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location") ?? "", appUrl());
    expect(location.origin).toBe(appUrl());
    expect(location.pathname).toBe("/");
  });
});

describe("/api/metrics", () => {
  const SIGN_IN = 'gatehouse_sign_ins_total{method="password",result="success"}';

  async function scrape(): Promise<string> {
    const response = await fetch(`${appUrl()}/api/metrics`, {
      headers: { authorization: `Bearer ${E2E_METRICS_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    return response.text();
  }

  /** A sample's value in Prometheus's text format; 0 when the series is not there yet. */
  function sample(text: string, series: string): number {
    const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }

  test("counts a browser's password sign-in, with the process metrics, for the token only", async () => {
    if (!browser) throw new Error("the browser did not launch");
    const before = sample(await scrape(), SIGN_IN);
    const opened = await openPage(browser, `${appUrl()}/`);
    try {
      await createPasswordAccount(opened.page, appUrl(), {
        email: `metrics-${randomBytes(4).toString("hex")}@example.com`,
        password: "amber kettle 52 over the dunes",
      });
      // The account page: its session check is timed.
      await opened.page.goto(`${appUrl()}/account`);
    } finally {
      await opened.close();
    }
    const after = await scrape();
    expect(sample(after, SIGN_IN)).toBe(before + 1);
    expect(after).toMatch(/^process_cpu_seconds_total \d/m);
    expect(
      sample(after, 'gatehouse_session_check_duration_seconds_count{result="valid"}'),
    ).toBeGreaterThan(0);
    expect(
      sample(after, 'gatehouse_rate_limit_decisions_total{policy="signInIp",outcome="allowed"}'),
    ).toBeGreaterThan(0);
    expect(after).toMatch(/^gatehouse_outbox_pending\{channel="EMAIL"\} \d+$/m);

    for (const authorization of [null, "Bearer wrong-token", `Basic ${E2E_METRICS_TOKEN}`]) {
      const refused = await fetch(`${appUrl()}/api/metrics`, {
        headers: authorization === null ? {} : { authorization },
      });
      expect(refused.status).toBe(401);
      const body = (await refused.json()) as { error: string };
      expect(body.error).toBe("unauthorized");
    }
  });
});
