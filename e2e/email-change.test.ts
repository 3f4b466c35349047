// Changing the account's email in Chromium against `npm start` (server.mjs) with a real SMTP
// server in the test process (tests/support/smtp-sink.ts): ask from the account page, read
// the confirmation mail sent to the new address and the notice sent to the old one, open
// the link, confirm, and see the new address (verified) on the account page and signing in
// with it. Also: a used, a tampered and (on PostgreSQL, where the test can age the row) an
// expired link, a browser signed in to another account, the recent-sign-in requirement, and
// the pages at 360 and 1280 px, light and dark.
import { randomBytes } from "node:crypto";

import { decode, encode } from "next-auth/jwt";
import pg from "pg";
import type { Page } from "playwright-core";
import { describe, expect, inject, test } from "vitest";

import { createPasswordAccountByRequest, signInWithPassword } from "./support/accounts";
import {
  assertNoHorizontalOverflow,
  screenshot,
  viewportPlacement,
  viewportScreenshot,
  type ColorScheme,
  type OpenedPage,
  type ViewportName,
} from "./support/browser";
import { linkIn, mailRigForFile, uniqueEmail } from "./support/mail";
import {
  appForSuite,
  startEmbeddedApp,
  startPostgresApp,
  type AppServer,
  type ServerEnv,
} from "./support/server";

const PASSWORD = "copper kettle 48 on the stairs";
const AUTH_SECRET = randomBytes(32).toString("base64");
/** Auth.js's session cookie on http:// (also the JWT's salt). */
const SESSION_COOKIE = "authjs.session-token";
const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");

const rig = mailRigForFile();

/** The app's env: mail to the sink, and a known secret (to age a session's sign-in). */
function env(): ServerEnv {
  return rig.mailEnv({ AUTH_SECRET });
}

/** Signs up as a new account and asks, from /account, to move it to `newEmail`. */
async function askForChange(page: Page, app: AppServer, oldEmail: string, newEmail: string) {
  await createPasswordAccountByRequest(
    page,
    app.url,
    { email: oldEmail, password: PASSWORD },
    { landOn: "/account" },
  );
  const main = page.getByRole("main");
  await main.getByRole("button", { name: "Change email" }).click();
  await main.getByLabel("New email address").fill(newEmail);
  await main.getByRole("button", { name: "Send link", exact: true }).click();
  const sent = main.getByRole("status").filter({
    hasText: `We've sent a link to ${newEmail}. Your address changes when you open it.`,
  });
  await sent.waitFor();
  await expect.poll(() => viewportPlacement(sent)).toBe("visible");
  const mail = await rig.mailTo(newEmail, /Confirm your new email address/);
  const link = linkIn(mail, `${app.url}/confirm-email-change?token=`);
  return { link, mail };
}

describe.each([
  { name: "embedded", start: () => startEmbeddedApp(env()), pg: false },
  ...(databaseUrl && redisUrl
    ? [
        {
          name: "postgres",
          start: () => startPostgresApp({ databaseUrl, redisUrl }, env()),
          pg: true,
        },
      ]
    : []),
])("change of email on $name", ({ name, start, pg: onPostgres }) => {
  const app = appForSuite(start);
  const open = rig.opener(app);

  test("ask → mail to the new address, notice to the old → confirm → the account has the new address", async () => {
    const oldEmail = uniqueEmail("before");
    const newEmail = uniqueEmail("after");
    const opened = await open("about:blank");
    try {
      const { page } = opened;
      const { link, mail } = await askForChange(page, app(), oldEmail, newEmail);
      expect(mail.text).toContain(`change the email address of your account to ${newEmail}`);

      const notice = await rig.mailTo(oldEmail, /is about to change/);
      expect(notice.text).toMatch(/to af•••@e•••\.com\./);
      expect(notice.text).not.toContain(newEmail);
      expect(notice.links).toContain(`${app().url}/forgot-password`);
      expect(notice.links).toContain(`${app().url}/account`);

      // Opening the link only asks.
      await page.goto(link);
      const main = page.getByRole("main");
      await main.getByRole("heading", { name: "Confirm your new email address" }).waitFor();
      expect((await main.textContent())?.replace(/\s+/g, " ")).toContain(
        `Change the email of your account from ${oldEmail} to ${newEmail}?`,
      );
      await page.goto(`${app().url}/account`);
      expect(await page.getByRole("main").textContent()).toContain(oldEmail);

      await page.goto(link);
      await main.getByRole("button", { name: "Change my email" }).click();
      await main.getByRole("heading", { name: "Your email address has changed" }).waitFor();
      expect(await main.textContent()).toContain(`Your account's address is now ${newEmail}`);

      await main.getByRole("link", { name: "Go to your account" }).click();
      await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
      const summary = page.getByRole("main").locator("header");
      await expect.poll(() => summary.textContent()).toContain(newEmail);
      expect(await summary.textContent()).toContain("Email verified");
      // The header too, once a page loads in full (a client-side navigation keeps it).
      await page.reload();
      await expect.poll(() => page.getByRole("banner").textContent()).toContain(newEmail);
      const activity = page.getByRole("region", { name: "Security activity" });
      expect(await activity.textContent()).toContain("Email changed");
      expect(await activity.textContent()).toContain("Email change requested");

      // The new address signs in with the same password.
      const other = await open("/sign-in");
      try {
        await signInWithPassword(other.page, app().url, { email: newEmail, password: PASSWORD });
      } finally {
        await other.close();
      }

      // The same link again: used.
      await page.goto(link);
      await main.getByRole("heading", { name: "This link has already been used" }).waitFor();
    } finally {
      await opened.close();
    }
  });

  test("a tampered link, and a browser signed in to another account, change nothing", async () => {
    const oldEmail = uniqueEmail("mine");
    const newEmail = uniqueEmail("moving");
    const opened = await open("about:blank");
    const stranger = await open("about:blank");
    try {
      const { link } = await askForChange(opened.page, app(), oldEmail, newEmail);
      const tampered = link.replace(
        /token=(.)/,
        (_, c: string) => `token=${c === "A" ? "B" : "A"}`,
      );
      await opened.page.goto(tampered);
      await opened.page.getByRole("heading", { name: "This link does not work" }).waitFor();

      await createPasswordAccountByRequest(stranger.page, app().url, {
        email: uniqueEmail("stranger"),
        password: PASSWORD,
      });
      await stranger.page.goto(link);
      await stranger.page
        .getByRole("heading", { name: "You're signed in to another account" })
        .waitFor();

      // The link still works for its own account.
      await opened.page.goto(link);
      await opened.page.getByRole("button", { name: "Change my email" }).click();
      await opened.page.getByRole("heading", { name: "Your email address has changed" }).waitFor();
    } finally {
      await opened.close();
      await stranger.close();
    }
  });

  test("asking needs a recent sign-in: an older one is sent to 'Confirm it's you' first", async () => {
    const opened = await open("about:blank");
    try {
      const { page, context } = opened;
      const email = uniqueEmail("stale");
      await createPasswordAccountByRequest(page, app().url, { email, password: PASSWORD });
      await ageSignIn(context, app().url, 3_600);
      await page.goto(`${app().url}/account`);
      const main = page.getByRole("main");
      await main.getByRole("button", { name: "Change email" }).click();
      await main.getByLabel("New email address").fill(uniqueEmail("elsewhere"));
      await main.getByRole("button", { name: "Send link", exact: true }).click();
      await page.waitForURL((url) => url.pathname === "/sign-in");
      expect(new URL(page.url()).searchParams.get("reauth")).toBe("1");
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Confirm it's you");
    } finally {
      await opened.close();
    }
  });

  if (onPostgres)
    test("an expired link says so, with the way to a new one", async () => {
      const opened = await open("about:blank");
      try {
        const oldEmail = uniqueEmail("slow");
        const { link } = await askForChange(opened.page, app(), oldEmail, uniqueEmail("late"));
        const client = new pg.Client({ connectionString: app().databaseUrl });
        await client.connect();
        try {
          const aged = await client.query(
            // Both moved a day and more into the past (the right side reads the old values), so
            // the link is expired however fast the page is opened after this.
            `UPDATE "EmailToken"
           SET "createdAt" = "createdAt" - interval '2 days', "expiresAt" = "createdAt" - interval '1 day'
           WHERE kind = 'CHANGE_EMAIL' AND "userId" = (SELECT id FROM "User" WHERE email = $1)`,
            [oldEmail],
          );
          expect(aged.rowCount).toBe(1);
        } finally {
          await client.end();
        }
        await opened.page.goto(link);
        const main = opened.page.getByRole("main");
        await expect
          .poll(() => main.getByRole("heading").first().textContent())
          .toBe("This link has expired");
        expect(await main.getByRole("link", { name: "Go to your account" }).count()).toBe(1);
      } finally {
        await opened.close();
      }
    });

  if (name === "embedded")
    test("the form, its answer and the link's pages at 360 and 1280 px, light and dark", async () => {
      for (const viewport of ["phone", "desktop"] as ViewportName[]) await shootFlow(viewport);
    });

  /**
   * The flow once per size, each of its pages saved in both colour schemes: the scheme is
   * switched on the open page (Tailwind's dark variant follows prefers-color-scheme), which
   * spares a whole flow per scheme.
   */
  async function shootFlow(viewport: ViewportName): Promise<void> {
    const width = viewport === "phone" ? 360 : 1280;
    const opened = await open("about:blank", { viewport });
    /** Saves what is shown now in light and dark (the screen, or the whole page). */
    const shoot = async (what: string, shot: typeof screenshot) => {
      for (const colorScheme of ["light", "dark"] as ColorScheme[]) {
        await opened.page.emulateMedia({ colorScheme });
        await assertNoHorizontalOverflow(opened.page);
        await shot(opened.page, `${what}-${width}-${colorScheme}`);
      }
    };
    try {
      const { page } = opened;
      const oldEmail = uniqueEmail("look");
      await createPasswordAccountByRequest(
        page,
        app().url,
        { email: oldEmail, password: PASSWORD },
        { landOn: "/account" },
      );
      const main = page.getByRole("main");
      await main.getByRole("button", { name: "Change email" }).click();
      await main.getByLabel("New email address").waitFor();
      await shoot("email-change-form", viewportScreenshot);
      const newEmail = uniqueEmail("a-rather-long-new-address-for-wrapping");
      await main.getByLabel("New email address").fill(newEmail);
      await main.getByRole("button", { name: "Send link", exact: true }).click();
      const sent = main.getByRole("status").filter({ hasText: "We've sent a link" });
      await sent.waitFor();
      await expect.poll(() => viewportPlacement(sent)).toBe("visible");
      await shoot("email-change-sent", viewportScreenshot);

      const mail = await rig.mailTo(newEmail, /Confirm your new email address/);
      const link = mail.links.find((url) => url.includes("/confirm-email-change?token="));
      await page.goto(link ?? "");
      await main.getByRole("button", { name: "Change my email" }).waitFor();
      await shoot("email-change-confirm", screenshot);
      await main.getByRole("button", { name: "Change my email" }).click();
      await main.getByRole("heading", { name: "Your email address has changed" }).waitFor();
      await shoot("email-change-done", screenshot);
      await page.goto(link ?? "");
      await main.getByRole("heading", { name: "This link has already been used" }).waitFor();
      await shoot("email-change-used", screenshot);
    } finally {
      await opened.close();
    }
  }
});

/**
 * Makes this browser's sign-in `seconds` older, as if it had signed in that long ago: the
 * session cookie is a JWT encrypted with AUTH_SECRET, which the test set.
 */
async function ageSignIn(
  context: OpenedPage["context"],
  appUrl: string,
  seconds: number,
): Promise<void> {
  const cookie = (await context.cookies(appUrl)).find((c) => c.name === SESSION_COOKIE);
  if (!cookie) throw new Error("no session cookie");
  const token = await decode({ token: cookie.value, secret: AUTH_SECRET, salt: SESSION_COOKIE });
  if (typeof token?.authTime !== "number") throw new Error("the session has no authTime");
  const value = await encode({
    token: { ...token, authTime: token.authTime - seconds },
    secret: AUTH_SECRET,
    salt: SESSION_COOKIE,
  });
  await context.addCookies([{ ...cookie, value }]);
}
