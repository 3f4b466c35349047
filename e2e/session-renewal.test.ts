// A browser in use stays signed in: proxy.ts re-seals the session cookie on a page view once
// the touch interval has passed since it was sealed (lib/auth/session-renewal.ts), so the
// cookie's expiry moves with the Session row's instead of ending SESSION_MAX_AGE_DAYS after
// the sign-in. A renewed cookie is still only as good as its row: signed out is signed out.
// The interval is shortened to 15 s here; the test waits for it by the clock, not by how
// fast the machine is, on both backends at the same time.
import { randomBytes } from "node:crypto";

import { decode } from "@auth/core/jwt";
import type { Browser, BrowserContext, Cookie, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { createPasswordAccount } from "./support/accounts";
import { launchBrowser, openPage } from "./support/browser";
import { uniqueEmail } from "./support/mail";
import {
  printServerOutputOnFailure,
  startEmbeddedApp,
  startPostgresApp,
  type AppServer,
  type ServerEnv,
} from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");

const TOUCH_INTERVAL_SECONDS = 15;
const MAX_AGE_DAYS = 1;
const COOKIE = "authjs.session-token"; // http://localhost: no __Secure- prefix
const PASSWORD = "renewed every day 8317";
const SECRET = randomBytes(32).toString("base64");
const env: ServerEnv = {
  AUTH_SECRET: SECRET,
  SESSION_TOUCH_INTERVAL_SECONDS: String(TOUCH_INTERVAL_SECONDS),
  SESSION_MAX_AGE_DAYS: String(MAX_AGE_DAYS),
};

const backends = [
  { name: "embedded", start: () => startEmbeddedApp(env) },
  {
    name: "postgres",
    start:
      databaseUrl !== null && redisUrl !== null
        ? () => startPostgresApp({ databaseUrl, redisUrl }, env)
        : null,
  },
];

let browser: Browser | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function sessionCookie(context: BrowserContext): Promise<Cookie> {
  const cookie = (await context.cookies()).find((each) => each.name === COOKIE);
  if (!cookie) throw new Error("the browser holds no session cookie");
  return cookie;
}

async function claimsOf(cookie: Cookie): Promise<Record<string, unknown> & { iat: number }> {
  const claims = await decode({ token: cookie.value, secret: SECRET, salt: COOKIE });
  if (!claims || typeof claims.iat !== "number") throw new Error("the cookie does not open");
  return { ...claims, iat: claims.iat };
}

async function signedIn(page: Page): Promise<boolean> {
  const banner = page.getByRole("banner");
  await banner
    .getByRole("link", { name: /^(Sign in|Account)$/ })
    .first()
    .waitFor();
  return (await banner.getByRole("button", { name: "Sign out" }).count()) === 1;
}

async function untilClock(epochSeconds: number): Promise<void> {
  const wait = epochSeconds * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

// The backends side by side: each test spends most of its time waiting out the touch
// interval by the clock, and the two waits need not add up.
describe.concurrent("both backends at once", () => {
  for (const backend of backends) {
    const start = backend.start;

    describe.runIf(start !== null)(`session cookie renewal on the ${backend.name} backend`, () => {
      let app: AppServer | undefined;
      beforeAll(async () => {
        app = await start?.();
      });
      afterAll(async () => {
        await app?.stop();
      });
      printServerOutputOnFailure(() => app);

      test("a page view after the touch interval renews the cookie; signing out still ends it", async () => {
        if (!app || !browser) throw new Error("not started (see beforeAll)");
        const { url } = app;
        const laptop = await openPage(browser, `${url}/`);
        const replay = await browser.newContext();
        try {
          const { page, context } = laptop;
          await createPasswordAccount(page, url, {
            email: uniqueEmail("renewal"),
            password: PASSWORD,
          });
          const first = await sessionCookie(context);
          const sealed = await claimsOf(first);
          // The cookie lives as long as the session may (a day here), from its sealing.
          expect(first.expires).toBeGreaterThan(sealed.iat + MAX_AGE_DAYS * 86_400 - 60);

          // Within the interval a page view sends nothing new.
          await page.goto(`${url}/`);
          expect(await signedIn(page)).toBe(true);
          expect((await sessionCookie(context)).value).toBe(first.value);

          // Past it, the next page view re-seals the same session with a later expiry.
          await untilClock(sealed.iat + TOUCH_INTERVAL_SECONDS + 1);
          await page.goto(`${url}/account`);
          expect(await signedIn(page)).toBe(true);
          const renewed = await sessionCookie(context);
          expect(renewed.value).not.toBe(first.value);
          const resealed = await claimsOf(renewed);
          expect(resealed.iat).toBeGreaterThanOrEqual(sealed.iat + TOUCH_INTERVAL_SECONDS);
          expect(renewed.expires).toBeGreaterThanOrEqual(first.expires + TOUCH_INTERVAL_SECONDS);
          for (const claim of ["sub", "sid", "sessionId", "authTime", "method", "email"]) {
            expect(resealed[claim]).toEqual(sealed[claim]);
          }

          // Signing out revokes the row: neither the renewed cookie nor the first one (old
          // enough to be renewed again, and the proxy does) signs anyone back in.
          await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
          await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
          const replayed = await replay.newPage();
          for (const cookie of [renewed, first]) {
            await replay.clearCookies();
            await replay.addCookies([cookie]);
            await replayed.goto(`${url}/account`);
            // /account sends a signed-out browser to sign in.
            await replayed.waitForURL((target) => target.pathname === "/sign-in");
            await replayed
              .getByRole("main")
              .getByRole("button", { name: "Sign in", exact: true })
              .waitFor();
            expect(
              await replayed.getByRole("banner").getByRole("button", { name: "Sign out" }).count(),
            ).toBe(0);
          }
        } finally {
          await replay.close();
          await laptop.close();
        }
      });
    });
  }
});
