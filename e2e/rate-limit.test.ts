// Rate limiting through the real server (`npm start`'s server.mjs in front of the build):
// the global per-IP limit in proxy.ts, the sign-in limits per IP and per account, device
// cookies (a browser that signed in before is never locked out by guessing), parallel
// guessing, the sign-up limit, what a refused client gets (429 + headers, JSON or a page),
// and what happens when redis-server is stopped under a running app.
//
// Most tests run with TRUSTED_PROXIES=127.0.0.1 so that each can speak from addresses of
// its own through X-Forwarded-For (as a reverse proxy would add it) and start from empty
// counters; the spoofing test runs without it, where that header must change nothing.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser, Page } from "playwright-core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { waitInWords } from "@/lib/security/password-guard";
import {
  redisServerInstalled,
  startPrivateRedis,
  type PrivateRedis,
} from "@/tests/support/private-redis";

import {
  assertNoHorizontalOverflow,
  launchBrowser,
  openPage,
  screenshot,
  type ViewportName,
} from "./support/browser";
import { expectWrongPasswordRedirect, from, postCredentials } from "./support/http";
import {
  appForSuite,
  printServerOutputOnFailure,
  startEmbeddedApp,
  type AppServer,
} from "./support/server";

const PASSWORD = "violet tram 71 under the pier";

// Each call gives an address no other test has used (10.0.0.0/8, private, never a client).
let addresses = 0;
function freshIp(): string {
  addresses += 1;
  return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`;
}

function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}@example.com`;
}

async function get(
  app: AppServer,
  path: string,
  { ip = null, accept = "text/html" }: { ip?: string | null; accept?: string } = {},
): Promise<Response> {
  const response = await fetch(`${app.url}${path}`, {
    headers: from(ip, { accept }),
    redirect: "manual",
  });
  return response;
}

/** A device cookie's name (lib/security/device-cookie.ts; no __Host- prefix over http). */
const DEVICE_COOKIE = /^gatehouse-device-[A-Za-z0-9_-]{22}$/;

/** The device cookies a response sets, name → value. */
function deviceCookiesSet(response: Response): Map<string, string> {
  const set = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const [pair = ""] = line.split(";");
    const at = pair.indexOf("=");
    const name = pair.slice(0, at);
    if (DEVICE_COOKIE.test(name)) set.set(name, pair.slice(at + 1));
  }
  return set;
}

/** Auth.js's answer to a right password: a redirect without an error. */
function expectSignedInRedirect(response: Response): void {
  expect(response.status).toBe(302);
  expect(response.headers.get("location")).not.toContain("error=");
}

async function expectRefusedJson(
  response: Response,
  expected: { status: 429 | 503; error: string },
): Promise<{ message: string; retryAfterSeconds: number }> {
  expect(response.status).toBe(expected.status);
  expect(response.headers.get("content-type")).toContain("application/json");
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
  const body = (await response.json()) as {
    error: string;
    message: string;
    retryAfterSeconds: number;
    requestId: string;
  };
  expect(body.error).toBe(expected.error);
  expect(body.retryAfterSeconds).toBe(retryAfter);
  expect(body.requestId).toBe(response.headers.get("x-request-id"));
  return body;
}

/** "Too many attempts. Please wait <wait> and try again." → the wait's words. */
const TOO_MANY_ATTEMPTS =
  /^Too many attempts\. Please wait (\d+ (?:second|minute)s?) and try again\.$/;

/**
 * Checks a form's "please wait" against the waits the limiter announced over HTTP for the
 * same limit just before (`most` seconds) and just after (`least`) the form was sent: the
 * instant the next attempt is allowed does not move while everything is refused, so the
 * form's wait lies between the two, in the limiter's own words (rounded up).
 */
function expectWaitBetween(text: string | null, { least, most }: { least: number; most: number }) {
  const said = TOO_MANY_ATTEMPTS.exec(text ?? "")?.[1];
  expect(said, `not a "please wait" message: ${text}`).toBeDefined();
  const possible = new Set<string>();
  for (let seconds = Math.max(1, least); seconds <= most; seconds += 1) {
    possible.add(waitInWords(seconds));
  }
  expect([...possible]).toContain(said);
}

/** A password attempt from a new address with a wrong password. */
function guessFromAnywhere(app: AppServer, email: string, label: string): Promise<Response> {
  return postCredentials(app, { ip: freshIp(), email, password: `guess ${label}` });
}

/**
 * The account's limit, refusing for at least `seconds` more: guesses from new addresses until
 * it refuses, and answers that refusal and its announced wait. The run may come just before
 * the window slides on, when the wait is short (even 1 s, whatever the time of day): then it
 * waits that out and uses the limit up again — from then on the previous window's count
 * weighs, and the limiter announces minutes.
 */
async function accountLimitHeld(
  app: AppServer,
  email: string,
  { seconds, attempts }: { seconds: number; attempts: number },
): Promise<{ refused: Response; wait: number }> {
  for (let round = 0; round < 3; round += 1) {
    for (let n = 0; n <= attempts; n += 1) {
      const response = await guessFromAnywhere(app, email, `${round}.${n}`);
      if (response.status !== 429) {
        expectWrongPasswordRedirect(response);
        continue;
      }
      const wait = Number(response.headers.get("retry-after"));
      if (wait >= seconds) return { refused: response, wait };
      await response.body?.cancel();
      await sleep(wait * 1_000);
      break;
    }
  }
  throw new Error(`the account's limit never held for ${seconds} s`);
}

/** The wait the account's limit announces now, over HTTP (its refusal counts nothing). */
async function accountWait(app: AppServer, email: string): Promise<number> {
  const response = await guessFromAnywhere(app, email, "probe");
  expect(response.status).toBe(429);
  await response.body?.cancel();
  return Number(response.headers.get("retry-after"));
}

let browser: Browser | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

function requireBrowser(): Browser {
  if (!browser) throw new Error("the browser did not launch");
  return browser;
}

async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  const main = page.getByRole("main");
  await main.getByLabel("Email", { exact: true }).fill(email);
  await main.getByLabel("Password", { exact: true }).fill(password);
  await main.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Signs up from `ip` in a fresh browser, then signs in there with the password (sign-up
 *  itself signs nobody in); resolves with the sign-up form's alert text, or null when the
 *  account was created (or the address had one: the answer is the same) and signed in. */
async function signUpFrom(app: AppServer, ip: string, email: string): Promise<string | null> {
  const opened = await openPage(requireBrowser(), `${app.url}/sign-up`, { headers: from(ip) });
  try {
    const main = opened.page.getByRole("main");
    await main.getByLabel("Email", { exact: true }).fill(email);
    await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await main.getByRole("button", { name: "Create account" }).click();
    const inbox = main.getByRole("heading", { name: "Check your inbox" });
    const alert = main.getByRole("alert").first();
    await inbox.or(alert).first().waitFor();
    if ((await inbox.count()) === 0) return (await alert.textContent()) ?? "";
    await opened.page.goto(`${app.url}/sign-in`);
    await fillSignIn(opened.page, email, PASSWORD);
    await opened.page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
    return null;
  } finally {
    await opened.close();
  }
}

// ---------------------------------------------------------------------------------------

describe("rate limits behind a trusted proxy", () => {
  // Big enough for a browser's sign-up (page, prefetches, action, redirect) several times
  // from one address; the global-limit tests use it up on purpose.
  const GLOBAL = 60;
  const SIGN_IN_IP = 4;
  const SIGN_IN_ACCOUNT = 6;
  const SIGN_IN_DEVICE = 3;
  const SIGN_UP_IP = 2;
  const running = appForSuite(() =>
    startEmbeddedApp({
      TRUSTED_PROXIES: "127.0.0.1",
      RATE_LIMIT_GLOBAL: `${GLOBAL}/60s`,
      RATE_LIMIT_SIGN_IN_IP: `${SIGN_IN_IP}/5m`,
      // An hour, not the default quarter: the windows start on the clock's multiples, and a
      // test that needs the account's limit to hold for two minutes must wait the window out
      // when it runs in a window's last two minutes (1 run in 30 for an hour; 1 in 7 for 15
      // minutes, when it took CI 110 s instead of 9).
      RATE_LIMIT_SIGN_IN_ACCOUNT: `${SIGN_IN_ACCOUNT}/1h`,
      RATE_LIMIT_SIGN_IN_DEVICE: `${SIGN_IN_DEVICE}/15m`,
      RATE_LIMIT_SIGN_UP_IP: `${SIGN_UP_IP}/1h`,
    }),
  );

  test("the global limit counts every request per address and answers 429 with headers, as a page for browsers and JSON for the API", async () => {
    const app = running();
    // The limit's windows are fixed minutes from the epoch, and a fresh address has nothing in
    // the one before. A run that straddles a minute's end has its first part weighed as the
    // previous window, whose floor drops one request, so one more gets through: such a run is
    // repeated with a new address (how fast the machine is decides how often, not the result).
    const windowOf = () => Math.floor(Date.now() / 60_000);
    let ip = freshIp();
    let page: Response | undefined;
    for (let round = 0; round < 3 && !page; round += 1) {
      ip = freshIp();
      const started = windowOf();
      for (let n = 1; n <= GLOBAL; n += 1) {
        const response = await get(app, "/", { ip });
        expect(response.status).toBe(200);
        expect(response.headers.get("retry-after")).toBeNull();
        await response.body?.cancel();
      }
      const next = await get(app, "/", { ip });
      if (windowOf() === started) page = next;
      else await next.body?.cancel();
    }
    if (!page) throw new Error("three runs in a row straddled a minute's end");
    expect(page.status).toBe(429);
    expect(page.headers.get("content-type")).toContain("text/html");
    const retryAfter = Number(page.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(page.headers.get("ratelimit-limit")).toBe(String(GLOBAL));
    expect(page.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(page.headers.get("ratelimit-reset"))).toBeGreaterThanOrEqual(1);
    // The refusal carries the same security headers as every other response.
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    const html = await page.text();
    expect(html).toContain("Too many requests. Please wait");
    expect(html).toContain(page.headers.get("x-request-id"));
    expect(html).not.toMatch(/<script/i);

    // API routes answer JSON, whatever the client accepts.
    const api = await get(app, "/api/auth/session", { ip, accept: "text/html" });
    const body = await expectRefusedJson(api, { status: 429, error: "rate_limited" });
    expect(body.message).toMatch(/^Too many requests\. Please wait \d+ (second|minute)s?/);

    // The health probes and the files a phone fetches around a page view are exempt; another
    // address has its own quota.
    for (const path of [
      "/api/health",
      "/api/health/live",
      "/api/health/ready",
      "/robots.txt",
      "/manifest.webmanifest",
      "/icons/icon-192.png",
      "/apple-touch-icon.png",
    ]) {
      const exempt = await get(app, path, { ip });
      await exempt.body?.cancel();
      expect({ path, status: exempt.status }).toEqual({ path, status: 200 });
    }
    expect((await get(app, "/", { ip: freshIp() })).status).toBe(200);
  });

  /**
   * An address the global limit refuses for at least `seconds` more: a new one, its quota used
   * up. Just before the minute's window slides on the wait is short, and once it has slid the
   * fading count frees a request every second; so a short wait is waited out and a new
   * address used up, which then has the whole new window ahead.
   */
  async function refusedAddress(app: AppServer, seconds: number): Promise<string> {
    for (let round = 0; round < 3; round += 1) {
      const ip = freshIp();
      for (let n = 0; n <= 2 * GLOBAL; n += 1) {
        const response = await get(app, "/", { ip });
        await response.body?.cancel();
        if (response.status !== 429) continue;
        const wait = Number(response.headers.get("retry-after"));
        if (wait >= seconds) return ip;
        await sleep(wait * 1_000);
        break;
      }
    }
    throw new Error(`no address stayed refused for ${seconds} s`);
  }

  test("a browser sent over the global limit sees a small readable page (360 px and desktop)", async () => {
    const app = running();
    const ip = await refusedAddress(app, 30);
    for (const viewport of ["phone", "desktop"] as ViewportName[]) {
      const opened = await openPage(requireBrowser(), `${app.url}/sign-in`, {
        viewport,
        headers: from(ip),
      });
      try {
        expect(opened.response?.status()).toBe(429);
        expect(await opened.page.getByRole("heading", { level: 1 }).textContent()).toBe(
          "Slow down",
        );
        await opened.page.getByRole("link", { name: "Go to the home page" }).waitFor();
        await assertNoHorizontalOverflow(opened.page);
        await screenshot(opened.page, `rate-limited-${viewport}`);
        // Chromium reports the 429 itself as a console error; nothing else may fail.
        expect(opened.consoleErrors.filter((e) => !e.includes("status of 429"))).toEqual([]);
      } finally {
        await opened.close();
      }
    }
    // A run just before the minute's window slides on waits that out (refusedAddress).
  }, 120_000);

  test(
    "guessing one account's password from many addresses still stops at the per-account limit",
    async () => {
      const app = running();
      const email = uniqueEmail("victim");
      expect(await signUpFrom(app, freshIp(), email)).toBeNull();

      // One wrong guess per address: no address comes near its own limit… (the sign-in that
      // followed the sign-up used one of the account's attempts)
      for (let n = 2; n <= SIGN_IN_ACCOUNT; n += 1) {
        expectWrongPasswordRedirect(
          await postCredentials(app, { ip: freshIp(), email, password: `guess number ${n}` }),
        );
      }
      // …but the account's limit is used up, for every address, in any letter case.
      const refused = await postCredentials(app, {
        ip: freshIp(),
        email: email.toUpperCase(),
        password: "guess number 7",
      });
      await expectRefusedJson(refused, { status: 429, error: "rate_limited" });
      expect(refused.headers.get("ratelimit-limit")).toBe(String(SIGN_IN_ACCOUNT));
      expect(refused.headers.get("ratelimit-remaining")).toBe("0");
      // The wait goes to the header that says when the quota is back, too.
      expect(refused.headers.get("ratelimit-reset")).toBe(refused.headers.get("retry-after"));

      // While it holds, even the right password is refused from a browser that never signed
      // in to the account, in the sign-in form too, with a message that says how long to
      // wait — the wait the limiter announces — and nobody is signed in.
      const { wait: most } = await accountLimitHeld(app, email, {
        seconds: 60,
        attempts: SIGN_IN_ACCOUNT,
      });
      const opened = await openPage(requireBrowser(), `${app.url}/sign-in`, {
        headers: from(freshIp()),
      });
      try {
        await fillSignIn(opened.page, email, PASSWORD);
        const alert = opened.page.getByRole("main").getByRole("alert").first();
        await alert.getByText("Too many attempts").waitFor();
        expectWaitBetween(await alert.textContent(), {
          least: await accountWait(app, email),
          most,
        });
        await screenshot(opened.page, "sign-in-too-many-attempts");
        // Nobody signed in (the sign-in page's header has no "Sign in" link to look for).
        const session = await opened.page.request.get(`${app.url}/api/auth/session`);
        expect(await session.json()).toBeNull();
      } finally {
        await opened.close();
      }
    },
    // A run just before the account's window slides on waits that out (accountLimitHeld).
    150_000,
  );

  test(
    "guessing never locks the owner out of a browser that signed in before, while new browsers stay limited",
    async () => {
      const app = running();
      const email = uniqueEmail("owner");
      expect(await signUpFrom(app, freshIp(), email)).toBeNull();

      // A password sign-in posted straight to Auth.js leaves the device cookies too: one for
      // the email (the password attempts' budget) and one for the user id (whether the
      // browser is new to the account, for approving sign-ins in Telegram)…
      const direct = await postCredentials(app, { ip: freshIp(), email, password: PASSWORD });
      expectSignedInRedirect(direct);
      expect(deviceCookiesSet(direct).size).toBe(2);

      // …and so does the form: the owner signs in once in browser A, from an address the
      // attacker will share (the same NAT), then signs out. The cookie stays: it is the
      // browser's, not the session's.
      const shared = freshIp();
      const ownerBrowser = await openPage(requireBrowser(), `${app.url}/sign-in`, {
        headers: from(shared),
      });
      try {
        const owner = ownerBrowser.page;
        await fillSignIn(owner, email, PASSWORD);
        await owner.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
        await owner.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
        const held = (await ownerBrowser.context.cookies()).filter((c) =>
          DEVICE_COOKIE.test(c.name),
        );
        expect(held).toHaveLength(2);
        const [localPart = ""] = email.split("@");
        for (const device of held) {
          expect(device).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
          // DEVICE_COOKIE_MAX_AGE_DAYS (365 by default), and nothing of the email in it.
          expect(device.expires * 1_000).toBeGreaterThan(Date.now() + 364 * 86_400_000);
          expect(`${device.name}=${device.value}`).not.toContain(localPart);
        }
        expect(direct.headers.getSetCookie().join("\n")).not.toContain(localPart);
        // What browser A sends: both of its device cookies, as a browser would.
        const deviceCookie = held.map((device) => `${device.name}=${device.value}`).join("; ");

        // The attacker guesses from the shared address until its own limit refuses…
        let refused: Response | undefined;
        for (let n = 0; n <= SIGN_IN_IP && !refused; n += 1) {
          const response = await postCredentials(app, {
            ip: shared,
            email,
            password: `shared guess ${n}`,
          });
          if (response.status === 429) refused = response;
          else {
            expectWrongPasswordRedirect(response);
            // A wrong password leaves no device cookie.
            expect(deviceCookiesSet(response).size).toBe(0);
          }
        }
        if (!refused) throw new Error("the shared address was never refused");
        await expectRefusedJson(refused, { status: 429, error: "rate_limited" });
        expect(refused.headers.get("ratelimit-limit")).toBe(String(SIGN_IN_IP));
        // …then from new addresses until the account's limit refuses — for long enough for
        // the rest of this test, whenever it runs.
        const guessed = await accountLimitHeld(app, email, {
          seconds: 120,
          attempts: SIGN_IN_ACCOUNT,
        });
        await expectRefusedJson(guessed.refused, { status: 429, error: "rate_limited" });
        expect(guessed.refused.headers.get("ratelimit-limit")).toBe(String(SIGN_IN_ACCOUNT));

        // A new browser B with the right password is refused, and told how long to wait.
        const newBrowser = await openPage(requireBrowser(), `${app.url}/sign-in`, {
          headers: from(freshIp()),
        });
        try {
          await fillSignIn(newBrowser.page, email, PASSWORD);
          const alert = newBrowser.page.getByRole("main").getByRole("alert").first();
          await alert.getByText("Too many attempts").waitFor();
          expectWaitBetween(await alert.textContent(), {
            least: await accountWait(app, email),
            most: guessed.wait,
          });
        } finally {
          await newBrowser.close();
        }

        // Browser A, from the used-up shared address, signs in at once with the same form.
        await owner.goto(`${app.url}/sign-in`);
        await fillSignIn(owner, email, PASSWORD);
        await owner.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
        await screenshot(owner, "sign-in-known-device-while-guessed");

        // The same over HTTP: A's device cookies get in, and are renewed with the same nonces
        // (the same budget); without them, the right password is still refused.
        const renewed = await postCredentials(app, {
          ip: shared,
          email,
          password: PASSWORD,
          cookies: deviceCookie,
        });
        expectSignedInRedirect(renewed);
        for (const device of held) {
          expect(deviceCookiesSet(renewed).get(device.name)?.split(".")[1]).toBe(
            device.value.split(".")[1],
          );
        }
        await expectRefusedJson(
          await postCredentials(app, { ip: freshIp(), email, password: PASSWORD }),
          { status: 429, error: "rate_limited" },
        );

        // A's budget (SIGN_IN_DEVICE attempts: two sign-ins so far, then a guess) is all a
        // stolen copy of its cookie is worth: then that cookie is locked out too, and its
        // attempts are an unknown browser's, refused by the account's limit.
        expectWrongPasswordRedirect(
          await postCredentials(app, {
            ip: freshIp(),
            email,
            password: "guess with the cookie",
            cookies: deviceCookie,
          }),
        );
        const locked = await postCredentials(app, {
          ip: freshIp(),
          email,
          password: PASSWORD,
          cookies: deviceCookie,
        });
        await expectRefusedJson(locked, { status: 429, error: "rate_limited" });
        expect(locked.headers.get("ratelimit-limit")).toBe(String(SIGN_IN_ACCOUNT));
      } finally {
        await ownerBrowser.close();
      }
    },
    // Three browser sign-ins and a dozen HTTP ones, some throttled; a slow CI box needs room,
    // and a run just before the account's window slides on waits that out (accountLimitHeld).
    300_000,
  );

  test("ten parallel guesses at one account get no more password checks than its limit allows", async () => {
    const app = running();
    const email = uniqueEmail("burst");
    // The sign-in that follows the sign-up used one of the account's attempts.
    expect(await signUpFrom(app, freshIp(), email)).toBeNull();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        postCredentials(app, { ip: freshIp(), email, password: `burst guess ${n}` }),
      ),
    );
    // A wrong-password answer means the password was checked; a refusal comes before that.
    const checked = responses.filter(
      (r) => r.status === 302 && r.headers.get("location")?.includes("error=CredentialsSignin"),
    );
    const limited = responses.filter((r) => r.status === 429);
    expect({ checked: checked.length, limited: limited.length }).toEqual({
      checked: SIGN_IN_ACCOUNT - 1,
      limited: 10 - (SIGN_IN_ACCOUNT - 1),
    });
    for (const response of limited) {
      expect(response.headers.get("ratelimit-limit")).toBe(String(SIGN_IN_ACCOUNT));
    }
    for (const response of responses) await response.body?.cancel();
  });

  test("sign-in attempts are limited per address, whichever accounts they name", async () => {
    const app = running();
    const ip = freshIp();
    for (let n = 1; n <= SIGN_IN_IP; n += 1) {
      expectWrongPasswordRedirect(
        await postCredentials(app, { ip, email: uniqueEmail("spray"), password: PASSWORD }),
      );
    }
    const refused = await postCredentials(app, {
      ip,
      email: uniqueEmail("spray"),
      password: PASSWORD,
    });
    await expectRefusedJson(refused, { status: 429, error: "rate_limited" });
    expect(refused.headers.get("ratelimit-limit")).toBe(String(SIGN_IN_IP));
    // Another address is not affected.
    expectWrongPasswordRedirect(
      await postCredentials(app, {
        ip: freshIp(),
        email: uniqueEmail("spray"),
        password: PASSWORD,
      }),
    );
  });

  test("sign-ups are limited per address; the form says how long to wait", async () => {
    const app = running();
    const ip = freshIp();
    for (let n = 1; n <= SIGN_UP_IP; n += 1) {
      expect(await signUpFrom(app, ip, uniqueEmail("signup"))).toBeNull();
    }
    const email = uniqueEmail("signup");
    // The wait counts to when the next sign-up from this address is allowed, which may be
    // seconds away if the hour's window ends just then — any wait within the window.
    const refusal = await signUpFrom(app, ip, email);
    expectWaitBetween(refusal, { least: 1, most: 3_600 });
    // Nothing was created: that email can still sign up from elsewhere.
    expect(await signUpFrom(app, freshIp(), email)).toBeNull();
    // Four sign-ups in a browser; a loaded 2-core machine needs more than the default minute.
  }, 120_000);
});

describe("rate limits without a trusted proxy", () => {
  const running = appForSuite(() => startEmbeddedApp({ RATE_LIMIT_GLOBAL: "5/60s" }));

  test("a spoofed X-Forwarded-For never resets a limit", async () => {
    const app = running();
    // Use up the socket address's quota (the start-up probe may have used one already)…
    let status = 200;
    for (let n = 0; n < 10 && status === 200; n += 1) {
      const response = await get(app, "/", { ip: freshIp() });
      status = response.status;
      await response.body?.cancel();
    }
    expect(status).toBe(429);
    // …then every new forged address is still the same client.
    for (let n = 0; n < 5; n += 1) {
      const response = await get(app, "/", { ip: freshIp() });
      expect(response.status).toBe(429);
      await response.body?.cancel();
    }
  });
});

// ---------------------------------------------------------------------------------------

describe.runIf(redisServerInstalled)("when redis-server stops under a running app", () => {
  let redis: PrivateRedis | undefined;
  let app: AppServer | undefined;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    app = await startEmbeddedApp({ REDIS_URL: redis.url, TRUSTED_PROXIES: "127.0.0.1" });
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.stop();
  });
  printServerOutputOnFailure(() => app);

  test("the global limit fails open, sign-in and sign-up fail closed with 'try again shortly', each logged once; all comes back with Redis", async () => {
    if (!app || !redis) throw new Error("the app or redis-server did not start");
    const warnings = () =>
      app
        ?.output()
        .split("\n")
        .filter((line) => line.includes("Rate limiting is unavailable")) ?? [];
    const email = uniqueEmail("outage");
    expect(await signUpFrom(app, freshIp(), email)).toBeNull();
    // With Redis up, the decisions are kept there.
    const before = await get(app, "/", { ip: freshIp() });
    expect(before.status).toBe(200);
    await before.body?.cancel();
    const admin = new Redis(redis.url);
    try {
      expect(await admin.keys("gatehouse:rl:global:*")).not.toEqual([]);
      expect(await admin.keys("gatehouse:rl:signInAccount:*")).not.toEqual([]);
    } finally {
      admin.disconnect();
    }

    const warningsBefore = warnings().length;
    await redis.stop();

    // Pages keep being served.
    for (let n = 0; n < 5; n += 1) {
      const page = await get(app, "/", { ip: freshIp() });
      expect(page.status).toBe(200);
      await page.body?.cancel();
    }
    // A password sign-in is refused, as 503 + Retry-After over HTTP…
    const api = await postCredentials(app, { ip: freshIp(), email, password: PASSWORD });
    const body = await expectRefusedJson(api, { status: 503, error: "unavailable" });
    expect(body.message).toBe("This is briefly unavailable. Please try again shortly.");
    // …and with a clear message in the form, even with the right password.
    const opened = await openPage(requireBrowser(), `${app.url}/sign-in`, {
      headers: from(freshIp()),
    });
    try {
      await fillSignIn(opened.page, email, PASSWORD);
      const alert = opened.page.getByRole("main").getByRole("alert").first();
      await alert.getByText("try again shortly").waitFor();
      expect(await alert.textContent()).toBe(
        "We can't sign you in right now. Please try again shortly.",
      );
    } finally {
      await opened.close();
    }
    expect(await signUpFrom(app, freshIp(), uniqueEmail("outage"))).toBe(
      "We can't create your account right now. Please try again shortly.",
    );

    // One warning for the whole outage, however many requests it refused or let through.
    expect(warnings()).toHaveLength(warningsBefore + 1);

    // Redis comes back on the same port: sign-in works again and the recovery is logged.
    redis = await startPrivateRedis(redis.port);
    let response: Response | undefined;
    for (let attempt = 0; attempt < 40; attempt += 1) {
      response = await postCredentials(app, { ip: freshIp(), email, password: PASSWORD });
      if (response.status !== 503) break;
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(response?.status).toBe(302);
    expect(response?.headers.get("location")).not.toContain("error=");
    expect(app.output()).toContain("Rate limiting is working again");
    expect(warnings()).toHaveLength(warningsBefore + 1);
  });
});
