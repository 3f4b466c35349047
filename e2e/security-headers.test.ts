// proxy.ts in front of `next build && next start`: the security headers on pages, API
// responses and error responses, the per-request CSP nonce on Next's own scripts, request
// ids, the health probes, the static files (robots.txt, the manifest, the icons) with their
// headers, pages loading in Chromium with no CSP violation, Auth.js redirects that never
// leave the site, and /api/metrics behind its bearer token. And the log those requests leave
// (LOG_LEVEL=debug, so the routes' request lines are written): the request id on every line
// of a request, from the route and from Auth.js's callbacks, and no secret a request carried.
// And its traces: the app sends OpenTelemetry spans to a local OTLP/HTTP collector.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { PASSWORD_PROVIDER_ID } from "@/lib/sign-in-methods";

import { startOtlpReceiver, type OtlpReceiver } from "@/tests/support/otlp-receiver";

import { createPasswordAccount } from "./support/accounts";
import { launchBrowser, openPage } from "./support/browser";
import { postCredentials } from "./support/http";
import { startRig, type Rig } from "./support/rig";
import { E2E_METRICS_TOKEN, printServerOutputOnFailure } from "./support/server";

let browser: Browser | undefined;
let rig: Rig | undefined;
let otlp: OtlpReceiver | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  otlp = await startOtlpReceiver();
  rig = await startRig({
    backend: "embedded",
    env: {
      LOG_LEVEL: "debug",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      // Spans are sent in batches; every half second rather than every five here.
      OTEL_BSP_SCHEDULE_DELAY: "500",
    },
  });
});

afterAll(async () => {
  await browser?.close();
  await rig?.stop();
  await otlp?.close();
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

describe("health probes", () => {
  test("live and ready: JSON, never cached, the security headers; /api/health answers as ready", async () => {
    const live = await fetch(`${appUrl()}/api/health/live`);
    expect(live.status).toBe(200);
    expect(live.headers.get("content-type")).toContain("application/json");
    expect(live.headers.get("cache-control")).toBe("no-store");
    expect(live.headers.get("x-request-id")).toMatch(UUID);
    expectSecurityHeaders(live);
    expect(await live.json()).toEqual({ status: "ok" });

    const ready = await fetch(`${appUrl()}/api/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get("content-type")).toContain("application/json");
    expect(ready.headers.get("cache-control")).toBe("no-store");
    expectSecurityHeaders(ready);
    const report = { status: "ok", checks: { database: "ok", redis: "ok" } };
    expect(await ready.json()).toEqual(report);
    expect(await (await fetch(`${appUrl()}/api/health`)).json()).toEqual(report);
  });
});

describe("the files a phone and a crawler ask for", () => {
  const A_DAY = "public, max-age=86400";
  const PNG_SIGNATURE = "89504e470d0a1a0a";

  async function expectPng(path: string): Promise<void> {
    const response = await fetch(`${appUrl()}${path}`);
    expect({ path, status: response.status }).toEqual({ path, status: 200 });
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("cache-control")).toBe(A_DAY);
    expectSecurityHeaders(response);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 8).toString("hex")).toBe(PNG_SIGNATURE);
  }

  test("robots.txt keeps /account and /api out", async () => {
    const response = await fetch(`${appUrl()}/robots.txt`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(response.headers.get("cache-control")).toBe(A_DAY);
    expectSecurityHeaders(response);
    const text = await response.text();
    expect(text).toMatch(/^User-agent: \*$/m);
    expect(text).toMatch(/^Disallow: \/account$/m);
    expect(text).toMatch(/^Disallow: \/api\/$/m);
  });

  test("the manifest is linked from pages, names Gatehouse, and its icons resolve", async () => {
    const html = await (await fetch(`${appUrl()}/`)).text();
    const links = (html.match(/<link\b[^>]*>/g) ?? []).join("\n");
    expect(links).toMatch(/<link rel="manifest" href="\/manifest\.webmanifest"/);
    expect(links).toMatch(/<link rel="apple-touch-icon" href="\/apple-touch-icon\.png"/);
    expect(links).toMatch(/<link rel="icon" href="\/icon\.svg"/);
    expect(links).toMatch(/<link rel="icon" href="\/favicon\.ico/);

    const response = await fetch(`${appUrl()}/manifest.webmanifest`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/manifest+json");
    expectSecurityHeaders(response);
    const manifest = (await response.json()) as {
      name: string;
      icons: { src: string; sizes: string; type: string }[];
    };
    expect(manifest.name).toBe("Gatehouse");
    expect(manifest.icons.map((icon) => icon.sizes)).toEqual(
      expect.arrayContaining(["192x192", "512x512"]),
    );
    for (const icon of manifest.icons) await expectPng(new URL(icon.src, appUrl()).pathname);
    await expectPng("/apple-touch-icon.png");
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

interface LogLine {
  level?: string;
  message?: string;
  requestId?: string;
  notificationId?: string;
  trace_id?: string;
  req?: { query?: Record<string, string>; headers?: Record<string, string> };
}

/** The server's JSON log lines written since `mark` (an offset into its output). */
function logLinesSince(mark: number): LogLine[] {
  return (rig?.app.output() ?? "")
    .slice(mark)
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

/**
 * Waits until a line since `mark` matches. Lines reach us through a pipe a moment after the
 * response; the deadline only matters when one never comes.
 */
async function waitForLine(mark: number, match: (line: LogLine) => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!logLinesSince(mark).some(match)) {
    if (Date.now() > deadline) throw new Error("the expected log line was never written");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const secret = (label: string) => `${label}-${randomBytes(12).toString("hex")}`;

/** Signs up through the pages, in a browser page of its own. */
async function newPasswordAccount(
  browser: Browser,
  account: { email: string; password: string },
): Promise<void> {
  const opened = await openPage(browser, `${appUrl()}/`);
  try {
    await createPasswordAccount(opened.page, appUrl(), account);
  } finally {
    await opened.close();
  }
}

describe("the log", () => {
  test("every line of a password sign-in carries its request id: the route's and Auth.js's callbacks'", async () => {
    if (!browser) throw new Error("the browser did not launch");
    const email = `log-${randomBytes(4).toString("hex")}@example.com`;
    const password = secret("password");
    await newPasswordAccount(browser, { email, password });

    const csrf = await fetch(`${appUrl()}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookies = csrf.headers.getSetCookie().map((line) => line.split(";")[0]);
    const cookieSecret = secret("cookie");
    const bearer = secret("bearer");
    const requestId = `signin_${randomBytes(8).toString("hex")}`;

    const mark = rig?.app.output().length ?? 0;
    const response = await fetch(`${appUrl()}/api/auth/callback/${PASSWORD_PROVIDER_ID}`, {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: [...cookies, `extra=${cookieSecret}`].join("; "),
        authorization: `Bearer ${bearer}`,
        "x-request-id": requestId,
      },
      body: new URLSearchParams({ email, password, csrfToken, callbackUrl: "/account" }).toString(),
    });
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get("location") ?? "", appUrl()).pathname).toBe("/account");
    expect(response.headers.getSetCookie().join()).toContain("session-token=");
    expect(response.headers.get("x-request-id")).toBe(requestId);

    await waitForLine(mark, (line) => line.message === "signed in");
    // Outbox retries of earlier tests' mail run on a timer, for no request: not this one's.
    const lines = logLinesSince(mark).filter((line) => line.notificationId === undefined);
    // Written by the route wrapper, and inside Auth.js's jwt callback, neither handed the id.
    expect(lines.map((line) => line.message)).toEqual(
      expect.arrayContaining(["request", "signed in"]),
    );
    for (const line of lines) expect(line, JSON.stringify(line)).toMatchObject({ requestId });

    const output = rig?.app.output() ?? "";
    for (const value of [password, cookieSecret, bearer, csrfToken]) {
      expect(output).not.toContain(value);
    }
    const request = lines.find((line) => line.message === "request");
    expect(request?.req?.headers).toMatchObject({
      cookie: "[redacted]",
      authorization: "[redacted]",
    });
  });

  test("cookies, Authorization, and codes and tokens in links never reach it: their fields say [redacted]", async () => {
    const values = {
      sessionCookie: secret("session"),
      bearer: secret("bearer"),
      code: secret("code"),
      state: secret("state"),
      resetToken: secret("reset"),
      verifyToken: secret("verify"),
    };
    const ids = {
      health: `health_${randomBytes(8).toString("hex")}`,
      callback: `callback_${randomBytes(8).toString("hex")}`,
    };
    const mark = rig?.app.output().length ?? 0;
    const get = async (path: string, headers: Record<string, string>) => {
      const response = await fetch(`${appUrl()}${path}`, { headers, redirect: "manual" });
      expect(response.status, path).toBeLessThan(500);
      await response.body?.cancel();
    };
    await get("/api/health", {
      cookie: `authjs.session-token=${values.sessionCookie}`,
      authorization: `Bearer ${values.bearer}`,
      "x-request-id": ids.health,
    });
    // An OAuth callback whose code and state came in the link.
    await get(`/api/auth/callback/github?code=${values.code}&state=${values.state}`, {
      "x-request-id": ids.callback,
    });
    // Emailed links: the pages refuse tokens they do not know.
    await get(`/reset-password?token=${values.resetToken}`, {});
    await get(`/verify-email?token=${values.verifyToken}`, {});

    const isRequestLine = (id: string) => (line: LogLine) =>
      line.message === "request" && line.requestId === id;
    await waitForLine(mark, isRequestLine(ids.health));
    await waitForLine(mark, isRequestLine(ids.callback));
    const lines = logLinesSince(mark);
    expect(lines.find(isRequestLine(ids.health))?.req?.headers).toMatchObject({
      cookie: "[redacted]",
      authorization: "[redacted]",
    });
    expect(lines.find(isRequestLine(ids.callback))?.req?.query).toEqual({
      code: "[redacted]",
      state: "[redacted]",
    });
    const output = rig?.app.output() ?? "";
    for (const [name, value] of Object.entries(values)) {
      expect(output, name).not.toContain(value);
    }
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

describe("traces (OTEL_EXPORTER_OTLP_ENDPOINT)", () => {
  test("a password sign-in is on its request's span, in the caller's trace, as service gatehouse", async () => {
    if (!browser || !otlp) throw new Error("the setup did not finish (see beforeAll)");
    const email = `trace-${randomBytes(4).toString("hex")}@example.com`;
    const password = secret("password");
    await newPasswordAccount(browser, { email, password });
    // A trace begun upstream (a load balancer, another service) is continued, not restarted.
    const traceId = randomBytes(16).toString("hex");
    const mark = rig?.app.output().length ?? 0;
    const response = await postCredentials(
      { url: appUrl() },
      {
        ip: null,
        email,
        password,
        headers: { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` },
      },
    );
    expect(response.status).toBe(302);
    expect(response.headers.getSetCookie().join()).toContain("session-token=");

    const withVerdict = await otlp.waitForSpan(
      (span) =>
        span.traceId === traceId && span.events.some((event) => event.name === "gatehouse.sign_in"),
    );
    expect(withVerdict.events.find((event) => event.name === "gatehouse.sign_in")).toEqual({
      name: "gatehouse.sign_in",
      attributes: { "gatehouse.sign_in.method": "password", "gatehouse.sign_in.result": "success" },
    });
    // Self-hosted: not described as Vercel, which @vercel/otel does by default.
    expect(withVerdict.resource["service.name"]).toBe("gatehouse");
    expect(withVerdict.resource["cloud.provider"]).toBeUndefined();
    // The request's server span, named after the route, in the same trace.
    const server = await otlp.waitForSpan(
      (span) => span.traceId === traceId && span.name === "POST /api/auth/[...nextauth]",
    );
    expect(server.kind).toBe(2); // SERVER
    expect(server.attributes).toMatchObject({
      "http.target": `/api/auth/callback/${PASSWORD_PROVIDER_ID}`,
      "http.status_code": 302,
    });
    expect(otlp.raw()).not.toContain(password);
    // The log line the sign-in wrote leads to this trace.
    await waitForLine(mark, (line) => line.message === "signed in" && line.trace_id === traceId);
  });

  test("a Stack Overflow sign-in: the calls to the provider are spans of its trace, their query values scrubbed", async () => {
    if (!browser || !otlp || !rig) throw new Error("the setup did not finish (see beforeAll)");
    rig.idp.setIdentity("stackoverflow", { user_id: 4711, display_name: "Traced Visitor" });
    const traceId = randomBytes(16).toString("hex");
    const opened = await openPage(browser, `${appUrl()}/sign-in`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` },
    });
    try {
      await opened.page.getByRole("button", { name: "Continue with Stack Overflow" }).click();
      await opened.page.getByRole("button", { name: "Authorize" }).click();
      await opened.page.waitForURL(
        (url) => url.origin === appUrl() && !url.pathname.startsWith("/api/"),
      );
    } finally {
      await opened.close();
    }
    const idp = rig.idp.url;
    // The profile request carries the app's key in its query; the trace shows that it did.
    const me = await otlp.waitForSpan(
      (span) =>
        span.traceId === traceId &&
        span.name.startsWith(`fetch GET ${idp}/`) &&
        span.name.includes("/2.3/me?"),
    );
    expect(me.kind).toBe(3); // CLIENT
    expect(me.name).toContain("site=[redacted]&key=[redacted]");
    const token = await otlp.waitForSpan(
      (span) =>
        span.traceId === traceId &&
        span.name.startsWith(`fetch POST ${idp}/`) &&
        span.name.endsWith("/oauth/access_token/json"),
    );
    expect(token.kind).toBe(3);
    expect(token.attributes["http.status_code"]).toBe(200);
    const verdict = await otlp.waitForSpan(
      (span) =>
        span.traceId === traceId &&
        span.events.some(
          (event) => event.attributes["gatehouse.sign_in.method"] === "stackoverflow",
        ),
    );
    expect(verdict.events.at(-1)?.attributes["gatehouse.sign_in.result"]).toBe("success");
    expect(otlp.raw()).not.toContain("key=stack-key");
  });

  test("the tokens of emailed links never leave for the collector", async () => {
    if (!otlp) throw new Error("the setup did not finish (see beforeAll)");
    const token = secret("reset");
    const traceId = randomBytes(16).toString("hex");
    const page = await fetch(`${appUrl()}/reset-password?token=${token}`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` },
    });
    expect(page.status).toBeLessThan(500);
    await page.body?.cancel();

    const span = await otlp.waitForSpan(
      (candidate) => candidate.traceId === traceId && candidate.kind === 2,
    );
    expect(span.attributes["http.target"]).toBe("/reset-password?token=[redacted]");
    expect(otlp.raw()).not.toContain(token);
  });
});
