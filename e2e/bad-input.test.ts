// Bad input gets a 4xx, never a 5xx, and the error log stays for our faults — through the
// real server (`npm start`'s server.mjs in front of the build) and Chromium:
//
// - bodies over REQUEST_BODY_LIMIT_KB: 413 before Next parses them (a page for a browser,
//   JSON for /api/*, text for a server action), declared or chunked; the sign-in form says so;
// - a server action posted from another origin: 403;
// - a server action id the server does not know (a page older than the deploy): a 4xx, and the
//   forms ask for a reload and keep what was typed;
// - a control character in a text field: a field error, before any rate-limit budget is spent;
// - malformed requests to Auth.js: one warn line each, with the request id, no stack, and no
//   error-level line.
//
// Screenshots of every new state at 360 and 1280 px land in test-results/screenshots/.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { messages } from "@/lib/auth/schemas";
import {
  BODY_TOO_LARGE_MESSAGE,
  CROSS_ORIGIN_MESSAGE,
  STALE_PAGE_MESSAGE,
} from "@/lib/http/refusal-messages";

import {
  assertNoHorizontalOverflow,
  launchBrowser,
  openPage,
  screenshot,
  type OpenedPage,
  type ViewportName,
} from "./support/browser";
import { createPasswordAccount } from "./support/accounts";
import { startRig, type Rig } from "./support/rig";
import { printServerOutputOnFailure, type AppServer } from "./support/server";

const PASSWORD = "violet tram 71 under the pier";
/** The default REQUEST_BODY_LIMIT_KB (128 KiB): the suite runs with the shipped default. */
const LIMIT_BYTES = 128 * 1_024;
/** The attack this guards against: a 1 MB password. */
const ONE_MEGABYTE = 1_024 * 1_024;
/** Well-formed (what Next generates: 42 hex digits) and in no build's manifest. */
const UNKNOWN_ACTION_ID = `7f${"0".repeat(40)}`;
const viewportsUnderTest: ViewportName[] = ["phone", "desktop"];

let browser: Browser | undefined;
let rig: Rig | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  rig = await startRig({
    backend: "embedded",
    env: {
      // Each test speaks from addresses of its own through X-Forwarded-For, as a reverse
      // proxy would add it, so the one-sign-up budget below is per test.
      TRUSTED_PROXIES: "127.0.0.1",
      RATE_LIMIT_SIGN_UP_IP: "1/1h",
    },
  });
});

afterAll(async () => {
  await browser?.close();
  await rig?.stop();
});

printServerOutputOnFailure(() => rig?.app);

function app(): AppServer {
  if (!rig) throw new Error("the app did not start (see beforeAll)");
  return rig.app;
}

function requireBrowser(): Browser {
  if (!browser) throw new Error("the browser did not launch (see beforeAll)");
  return browser;
}

// Each call gives an address no other test has used (10.0.0.0/8, never a real client).
let addresses = 0;
function freshIp(): string {
  addresses += 1;
  return `10.77.${(addresses >> 8) & 255}.${addresses & 255}`;
}

function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}@example.com`;
}

function requestId(label: string): string {
  return `${label}_${randomBytes(8).toString("hex")}`;
}

interface LogLine {
  level?: string;
  message?: string;
  requestId?: string;
  [key: string]: unknown;
}

/** The server's JSON log lines written since `mark` (an offset into its output). */
function logLinesSince(mark: number): LogLine[] {
  return app()
    .output()
    .slice(mark)
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Next's own console.error lines ("⨯ Error: …") since `mark`. */
function nextErrorsSince(mark: number): string[] {
  return app()
    .output()
    .slice(mark)
    .split("\n")
    .filter((line) => line.startsWith("⨯"));
}

/**
 * Waits until a log line names each request id. The lines are written as the requests are
 * answered (some a moment after); the deadline only matters when one never comes.
 */
async function linesFor(mark: number, ids: string[]): Promise<Map<string, LogLine[]>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const byId = new Map(ids.map((id) => [id, [] as LogLine[]]));
    for (const line of logLinesSince(mark)) {
      if (typeof line.requestId === "string") byId.get(line.requestId)?.push(line);
    }
    if ([...byId.values()].every((lines) => lines.length > 0) || Date.now() > deadline) {
      return byId;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function open(path: string, viewport: ViewportName, ip = freshIp()): Promise<OpenedPage> {
  return openPage(requireBrowser(), `${app().url}${path}`, {
    viewport,
    headers: { "x-forwarded-for": ip },
  });
}

/** Sends every server action call of `page` under an id the server does not know. */
async function makeActionsStale(page: Page): Promise<void> {
  await page.route("**/*", async (route) => {
    const headers = route.request().headers();
    if (!headers["next-action"]) return route.continue();
    return route.continue({ headers: { ...headers, "next-action": UNKNOWN_ACTION_ID } });
  });
}

function formAlert(page: Page, text: string) {
  return page.getByRole("main").getByRole("alert").filter({ hasText: text });
}

async function signUp(page: Page, email: string): Promise<void> {
  await createPasswordAccount(page, app().url, { email, password: PASSWORD });
}

/** A multipart body as a browser's form post sends it. */
function multipart(fields: Record<string, string>): { body: string; contentType: string } {
  const boundary = `----gatehouse${randomBytes(8).toString("hex")}`;
  const parts = Object.entries(fields).map(
    ([name, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return {
    body: `${parts.join("")}--${boundary}--\r\n`,
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** A body sent without Content-Length (Transfer-Encoding: chunked), in 16 KiB chunks. */
function chunked(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) {
        controller.close();
        return;
      }
      const size = Math.min(16 * 1_024, bytes - sent);
      sent += size;
      controller.enqueue(new TextEncoder().encode("x".repeat(size)));
    },
  });
}

// ---------------------------------------------------------------------------------------

describe("request bodies over the limit: 413 before the app parses them", () => {
  test("as a page for a browser, JSON for /api/*, text for a server action, each logged once at warn", async () => {
    const mark = app().output().length;
    const big = "x".repeat(ONE_MEGABYTE);
    const ids = { page: requestId("page"), api: requestId("api"), action: requestId("action") };

    const form = multipart({ email: "ada@example.com", password: big });
    const page = await fetch(`${app().url}/sign-in`, {
      method: "POST",
      headers: {
        "content-type": form.contentType,
        accept: "text/html",
        origin: app().url,
        "x-request-id": ids.page,
      },
      body: form.body,
    });
    expect(page.status).toBe(413);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-request-id")).toBe(ids.page);
    const html = await page.text();
    expect(html).toContain(BODY_TOO_LARGE_MESSAGE);
    expect(html).toContain(ids.page);
    expect(html).not.toMatch(/<script/i);

    const api = await fetch(`${app().url}/api/auth/callback/password`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "text/html",
        "x-request-id": ids.api,
      },
      body: new URLSearchParams({ email: "ada@example.com", password: big }),
    });
    expect(api.status).toBe(413);
    expect(await api.json()).toEqual({
      error: "payload_too_large",
      message: BODY_TOO_LARGE_MESSAGE,
      limitBytes: LIMIT_BYTES,
      requestId: ids.api,
    });

    // What a sign-in form's action call with a 1 MB password sends (the id does not matter:
    // the refusal comes first).
    const action = await fetch(`${app().url}/sign-in`, {
      method: "POST",
      headers: {
        "content-type": form.contentType,
        accept: "text/x-component",
        "next-action": UNKNOWN_ACTION_ID,
        origin: app().url,
        "x-request-id": ids.action,
      },
      body: form.body,
    });
    expect(action.status).toBe(413);
    // Exactly this type: Next's client reads the text only then (lib/http/refusal.ts).
    expect(action.headers.get("content-type")).toBe("text/plain");
    expect(await action.text()).toBe(BODY_TOO_LARGE_MESSAGE);

    const lines = await linesFor(mark, Object.values(ids));
    for (const id of Object.values(ids)) {
      expect(lines.get(id)).toEqual([
        expect.objectContaining({
          level: "warn",
          message: "request refused",
          reason: "body-too-large",
        }),
      ]);
    }
    expect(logLinesSince(mark).filter((line) => line.level === "error")).toEqual([]);
    expect(nextErrorsSince(mark)).toEqual([]);
  });

  test("a chunked body is counted as it arrives: over the limit 413, within it the app gets all of it", async () => {
    const over = await fetch(`${app().url}/api/auth/callback/password`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: chunked(LIMIT_BYTES + 1),
      duplex: "half",
    } as RequestInit);
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: string }).error).toBe("payload_too_large");

    // Within the limit, without Content-Length: a password sign-in with its CSRF token, so
    // Auth.js answering "wrong password" proves it received every field of the body.
    const csrf = await fetch(`${app().url}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = csrf.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
    const fields = new URLSearchParams({
      email: uniqueEmail("chunked"),
      // Padding first, so the fields Auth.js needs arrive in the last chunks.
      padding: "p".repeat(LIMIT_BYTES - 1_024),
      password: "not the password",
      csrfToken,
      callbackUrl: `${app().url}/`,
    }).toString();
    expect(fields.length).toBeLessThanOrEqual(LIMIT_BYTES);
    const bytes = new TextEncoder().encode(fields);
    const within = await fetch(`${app().url}/api/auth/callback/password`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 16 * 1_024) {
            controller.enqueue(bytes.slice(offset, offset + 16 * 1_024));
          }
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(within.status).toBe(302);
    expect(within.headers.get("location")).toContain("error=CredentialsSignin");
  });

  test("a declared body of exactly the limit passes", async () => {
    const response = await fetch(`${app().url}/api/auth/callback/password`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "x".repeat(LIMIT_BYTES),
    });
    // Auth.js's own answer (no CSRF token), not ours.
    expect(response.status).not.toBe(413);
    expect(response.status).toBeLessThan(500);
    await response.body?.cancel();
  });

  for (const viewport of viewportsUnderTest) {
    test(`the sign-in form says so and keeps the email (${viewport})`, async () => {
      const opened = await open("/sign-in", viewport);
      try {
        const { page } = opened;
        const main = page.getByRole("main");
        const email = uniqueEmail("large");
        await main.getByLabel("Email", { exact: true }).fill(email);
        await main.getByLabel("Password", { exact: true }).fill("x".repeat(ONE_MEGABYTE));
        await main.getByRole("button", { name: "Sign in", exact: true }).click();
        await formAlert(page, BODY_TOO_LARGE_MESSAGE).waitFor();
        await expect.poll(() => main.getByLabel("Email", { exact: true }).inputValue()).toBe(email);
        await assertNoHorizontalOverflow(page);
        await screenshot(page, `bad-input-sign-in-too-large-${viewport}`);
        expect(opened.consoleErrors.filter((e) => !e.includes("413"))).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  }
});

describe("server actions from another origin: 403", () => {
  test("to a script's action call, a browser's form post and an opaque origin, logged once at warn", async () => {
    const mark = app().output().length;
    const form = multipart({ provider: "github", callbackUrl: "/" });
    const ids = [requestId("fetch"), requestId("form"), requestId("opaque")];
    const send = (id: string, headers: Record<string, string>) =>
      fetch(`${app().url}/sign-in`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": form.contentType, "x-request-id": id, ...headers },
        body: form.body,
      });

    const action = await send(ids[0] ?? "", {
      origin: "https://evil.example",
      accept: "text/x-component",
      "next-action": UNKNOWN_ACTION_ID,
    });
    expect(action.status).toBe(403);
    expect(action.headers.get("content-type")).toBe("text/plain");
    expect(await action.text()).toBe(CROSS_ORIGIN_MESSAGE);

    const page = await send(ids[1] ?? "", { origin: "https://evil.example", accept: "text/html" });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain(CROSS_ORIGIN_MESSAGE);

    const opaque = await send(ids[2] ?? "", { origin: "null", accept: "*/*" });
    expect(opaque.status).toBe(403);
    expect(((await opaque.json()) as { error: string }).error).toBe("cross_origin");

    const lines = await linesFor(mark, ids);
    for (const id of ids) {
      expect(lines.get(id)).toEqual([
        expect.objectContaining({
          level: "warn",
          message: "request refused",
          reason: "cross-origin",
        }),
      ]);
    }
    // Next never saw them: no "Invalid Server Actions request" error, no error line at all.
    expect(nextErrorsSince(mark)).toEqual([]);
    expect(logLinesSince(mark).filter((line) => line.level === "error")).toEqual([]);
  });
});

describe("a server action id the server does not know (a page older than the deploy)", () => {
  test("gets a 4xx that Next's client recognises", async () => {
    const form = multipart({ "1_email": "ada@example.com", "0": '["$K1"]' });
    const response = await fetch(`${app().url}/sign-up`, {
      method: "POST",
      headers: {
        "content-type": form.contentType,
        accept: "text/x-component",
        "next-action": UNKNOWN_ACTION_ID,
        origin: app().url,
      },
      body: form.body,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get("x-nextjs-action-not-found")).toBe("1");
    await response.body?.cancel();
  });

  for (const viewport of viewportsUnderTest) {
    test(`the sign-up form asks for a reload and keeps what was typed (${viewport})`, async () => {
      const opened = await open("/sign-up", viewport);
      try {
        const { page } = opened;
        await makeActionsStale(page);
        const main = page.getByRole("main");
        const email = uniqueEmail("stale");
        await main.getByLabel("Email", { exact: true }).fill(email);
        await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await main.getByLabel("Name").fill("Ada Lovelace");
        await main.getByRole("button", { name: "Create account" }).click();
        await formAlert(page, STALE_PAGE_MESSAGE).waitFor();
        await expect.poll(() => main.getByLabel("Email", { exact: true }).inputValue()).toBe(email);
        await expect.poll(() => main.getByLabel("Name").inputValue()).toBe("Ada Lovelace");
        // Not stuck: the button is no longer busy.
        expect(
          await main.getByRole("button", { name: "Create account" }).getAttribute("aria-busy"),
        ).toBe("false");
        await assertNoHorizontalOverflow(page);
        await screenshot(page, `bad-input-sign-up-stale-${viewport}`);
      } finally {
        await opened.close();
      }
    });
  }

  test("a provider button says so instead of an error page", async () => {
    for (const viewport of viewportsUnderTest) {
      const opened = await open("/sign-in", viewport);
      try {
        const { page } = opened;
        await makeActionsStale(page);
        const button = page.getByRole("button", { name: "Continue with GitHub", exact: true });
        await button.click();
        await page.getByRole("main").getByText(STALE_PAGE_MESSAGE).waitFor();
        expect(await button.getAttribute("aria-busy")).toBe("false");
        expect(await button.isDisabled()).toBe(false);
        await screenshot(page, `bad-input-provider-stale-${viewport}`);
      } finally {
        await opened.close();
      }
    }
  });

  test("the account page's password form says so and forgets both passwords; sign-out offers a reload", async () => {
    for (const viewport of viewportsUnderTest) {
      const opened = await open("/sign-up", viewport);
      try {
        const { page } = opened;
        await signUp(page, uniqueEmail("stale-account"));
        await page.goto(`${app().url}/account`);
        await makeActionsStale(page);
        const password = page.getByRole("region", { name: "Password" });
        await password.getByLabel("Current password").fill(PASSWORD);
        await password.getByLabel("New password").fill("a brand new passphrase 42");
        await password.getByRole("button", { name: "Change password" }).click();
        await password.getByRole("alert").filter({ hasText: STALE_PAGE_MESSAGE }).waitFor();
        // Passwords are emptied after every answer, a refusal included (the form's `forget`).
        // Polled: the message can show a moment before React's reset of the form lands.
        await expect.poll(() => password.getByLabel("Current password").inputValue()).toBe("");
        await expect.poll(() => password.getByLabel("New password").inputValue()).toBe("");
        await password.scrollIntoViewIfNeeded();
        await screenshot(page, `bad-input-account-stale-${viewport}`);

        // The header's "Sign out" has no form message of its own: the error page says it.
        await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
        await page.getByRole("heading", { name: "This page is out of date" }).waitFor();
        expect(await page.getByText(STALE_PAGE_MESSAGE).count()).toBe(1);
        const reload = page.getByRole("button", { name: "Reload the page" });
        await screenshot(page, `bad-input-sign-out-stale-${viewport}`);
        await page.unroute("**/*");
        await reload.click();
        // A fresh page with this deployment's action ids: signing out works again.
        await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
        await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
      } finally {
        await opened.close();
      }
    }
  });
});

describe("control characters in text fields", () => {
  for (const viewport of viewportsUnderTest) {
    test(`a NUL in the sign-up name is a field error and spends none of the sign-up budget (${viewport})`, async () => {
      // RATE_LIMIT_SIGN_UP_IP is 1/1h and this address is new: if the refused form had
      // counted, the corrected one below would be refused as "too many".
      const opened = await open("/sign-up", viewport);
      try {
        const { page } = opened;
        const main = page.getByRole("main");
        const email = uniqueEmail("nul");
        await main.getByLabel("Email", { exact: true }).fill(email);
        await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
        const name = main.getByLabel("Name");
        await name.fill("Ada\u0000Lovelace");
        await main.getByRole("button", { name: "Create account" }).click();
        await main.getByText(messages.nameControlCharacters).waitFor();
        expect(await name.getAttribute("aria-invalid")).toBe("true");
        expect(await formAlert(page, "Please fix the highlighted fields.").count()).toBe(1);
        // What was typed stays, the control character included, for the person to fix.
        await expect.poll(() => main.getByLabel("Email", { exact: true }).inputValue()).toBe(email);
        await expect.poll(() => name.inputValue()).toBe("Ada\u0000Lovelace");
        await assertNoHorizontalOverflow(page);
        await screenshot(page, `bad-input-sign-up-nul-name-${viewport}`);

        await name.fill("Ada Lovelace");
        await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await main.getByRole("button", { name: "Create account" }).click();
        await main.getByRole("heading", { name: "Check your inbox" }).waitFor();
      } finally {
        await opened.close();
      }
    });
  }

  test("a NUL in the sign-in password is named at its field", async () => {
    for (const viewport of viewportsUnderTest) {
      const opened = await open("/sign-in", viewport);
      try {
        const { page } = opened;
        const main = page.getByRole("main");
        await main.getByLabel("Email", { exact: true }).fill(uniqueEmail("nul-sign-in"));
        const password = main.getByLabel("Password", { exact: true });
        await password.fill("pass\u0000word");
        await main.getByRole("button", { name: "Sign in", exact: true }).click();
        await main.getByText(messages.passwordNul).waitFor();
        expect(await password.getAttribute("aria-invalid")).toBe("true");
        await screenshot(page, `bad-input-sign-in-nul-password-${viewport}`);
      } finally {
        await opened.close();
      }
    }
  });
});

describe("malformed requests to Auth.js", () => {
  test("each is answered with a 4xx or Auth.js's error page and logged once at warn: no error line, no stack", async () => {
    const mark = app().output().length;
    const url = app().url;
    const cases: { label: string; path: string; init?: RequestInit }[] = [
      // Was a 500 "server configuration" error.
      { label: "callback-url", path: "/api/auth/session?callbackUrl=javascript:alert(1)" },
      { label: "callback-url-page", path: "/api/auth/signin?callbackUrl=javascript:alert(1)" },
      { label: "unknown-provider", path: "/api/auth/signin/nope" },
      { label: "unknown-action", path: "/api/auth/nope" },
      { label: "no-state", path: "/api/auth/callback/github?code=x&state=y" },
      {
        label: "bad-state",
        path: "/api/auth/callback/github?code=x&state=y",
        init: { headers: { cookie: "authjs.state=garbage; authjs.pkce.code_verifier=garbage" } },
      },
      {
        label: "missing-csrf",
        path: "/api/auth/signout",
        init: {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "callbackUrl=%2F",
        },
      },
      {
        label: "forged-session",
        path: "/api/auth/session",
        init: { headers: { cookie: "authjs.session-token=forged" } },
      },
      {
        label: "forged-session-page",
        path: "/",
        init: { headers: { cookie: "authjs.session-token=forged" } },
      },
    ];
    const ids: string[] = [];
    for (const { label, path, init } of cases) {
      const id = requestId(label.replace(/-/g, ""));
      ids.push(id);
      const headers = new Headers(init?.headers);
      headers.set("x-request-id", id);
      const response = await fetch(`${url}${path}`, { ...init, headers, redirect: "manual" });
      expect(response.status, `${label}: ${path}`).toBeLessThan(500);
      await response.body?.cancel();
    }

    const lines = await linesFor(mark, ids);
    for (const [index, id] of ids.entries()) {
      const label = cases[index]?.label;
      const written = lines.get(id) ?? [];
      expect(
        written.map((line) => line.level),
        label,
      ).toEqual(["warn"]);
      expect(written[0]?.message, label).toBe("auth: malformed request refused");
      expect(JSON.stringify(written[0]), label).not.toContain('"stack"');
    }
    expect(logLinesSince(mark).filter((line) => line.level === "error")).toEqual([]);
  });
});
