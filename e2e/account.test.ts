// The account page in Chromium against `next build && next start` (embedded backend) and
// the local fake identity provider: linking GitHub to a password account and signing in
// with it, unlinking it, a refused link, signing in again before a sensitive change, and
// revoking a device from another browser; Telegram alerts (a connect link, a connected
// chat, disconnecting, the switch that approves sign-ins in the chat). Screenshots at 360
// and 1280 px, light and dark.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import pg from "pg";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { accountErrorMessages } from "@/lib/account/errors";
import { messages } from "@/lib/auth/schemas";

import {
  assertNoHorizontalOverflow,
  type ColorScheme,
  launchBrowser,
  openPage,
  screenshot,
  screenshotDir,
  type OpenedPage,
  type OpenPageOptions,
  type ViewportName,
  viewportPlacement,
  viewportScreenshot,
} from "./support/browser";
import { createPasswordAccountByRequest, signInByRequest } from "./support/accounts";
import { startRig, type Rig } from "./support/rig";
import {
  appForSuite,
  printServerOutputOnFailure,
  startEmbeddedApp,
  type AppServer,
} from "./support/server";

const PASSWORD = "violet tram 71 under the pier";
const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");

// A bot is configured, so the page shows "Telegram alerts". Nothing listens on port 9: the
// page never calls Telegram (the link is made on our side, the bot's answers are elsewhere).
const BOT_USERNAME = "gatehouse_test_bot";
const telegramEnv = {
  TELEGRAM_BOT_TOKEN: "123456:" + "A".repeat(35),
  TELEGRAM_BOT_USERNAME: BOT_USERNAME,
  TELEGRAM_WEBHOOK_SECRET: "s".repeat(32),
  TELEGRAM_TEST_API_URL: "http://127.0.0.1:9",
};
const START_LINK = /^https:\/\/t\.me\/gatehouse_test_bot\?start=([A-Za-z0-9_-]{43})$/;
const LINK_NOTE = `Press Start in the chat with @${BOT_USERNAME}. This link works once, for 10 minutes.`;

let browser: Browser | undefined;
let rig: Rig | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  rig = await startRig({ backend: "embedded", env: telegramEnv });
});

afterAll(async () => {
  await browser?.close();
  await rig?.stop();
});

printServerOutputOnFailure(() => rig?.app);

function r(): Rig {
  if (!rig) throw new Error("the app did not start (see beforeAll)");
  return rig;
}

async function open(
  path: string,
  options: OpenPageOptions = {},
  origin = r().app.url,
): Promise<OpenedPage> {
  if (!browser) throw new Error("the browser did not launch (see beforeAll)");
  return openPage(browser, `${origin}${path}`, options);
}

function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}@example.com`;
}

/** A GitHub identity nobody has used yet, with no verified email (so nothing matches it). */
function freshGitHubIdentity(login: string) {
  return {
    id: Number.parseInt(randomBytes(3).toString("hex"), 16) + 1_000_000,
    login,
    name: `GitHub ${login}`,
    email: null,
    emails: [],
  };
}

async function sessionOf(page: Page): Promise<{ user?: { id?: string } } | null> {
  const response = await page.request.get(`${r().app.url}/api/auth/session`);
  return (await response.json()) as { user?: { id?: string } } | null;
}

/** A fresh browser on no page yet, for a test that first makes its account. */
async function openBlank(options: OpenPageOptions = {}): Promise<OpenedPage> {
  if (!browser) throw new Error("the browser did not launch (see beforeAll)");
  return openPage(browser, "about:blank", options);
}

/** A new password account, `page` signed in as it on the home page. */
async function signUp(page: Page, email: string, origin = r().app.url): Promise<void> {
  await createPasswordAccountByRequest(page, origin, { email, password: PASSWORD });
}

/** A new password account, `page` signed in as it on the account page. */
async function signUpToAccount(page: Page, email: string, origin = r().app.url): Promise<void> {
  await createPasswordAccountByRequest(
    page,
    origin,
    { email, password: PASSWORD },
    { landOn: "/account" },
  );
  await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
}

async function signInWithPassword(page: Page, email: string, path = "/sign-in"): Promise<void> {
  await page.goto(`${r().app.url}${path}`);
  const main = page.getByRole("main");
  await main.getByLabel("Email", { exact: true }).fill(email);
  await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await main.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
}

/** Consent at the fake provider, then back in the app. */
async function authorizeAtProvider(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.waitForURL((url) => url.origin === r().app.url && !url.pathname.startsWith("/api/"));
}

async function gotoAccount(page: Page, origin = r().app.url): Promise<void> {
  await page.goto(`${origin}/account`);
  await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
}

function section(page: Page, name: string) {
  return page.getByRole("region", { name });
}

/** Saves one element to test-results/screenshots/<name>.png. */
async function elementScreenshot(element: Locator, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await element.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

function viewportWidth(viewport: ViewportName): number {
  return viewport === "phone" ? 360 : 1280;
}

const COLOR_SCHEMES: readonly ColorScheme[] = ["light", "dark"];

/** The rendered height of each button and link in `scope`, by accessible name. */
async function controlHeights(scope: Locator): Promise<Record<string, number>> {
  return scope
    .locator("button, a")
    .evaluateAll((elements) =>
      Object.fromEntries(
        elements.map((element) => [
          element.textContent?.trim() ?? "",
          element.getBoundingClientRect().height,
        ]),
      ),
    );
}

/** The token in the "Open Telegram" link, after checking the whole link's shape. */
async function startToken(link: Locator): Promise<string> {
  const href = (await link.getAttribute("href")) ?? "";
  expect(href).toMatch(START_LINK);
  return START_LINK.exec(href)?.[1] ?? "";
}

describe("the account page", () => {
  test("signed out, /account sends to sign-in and comes back after", async () => {
    const opened = await open("/account");
    try {
      const { page } = opened;
      expect(new URL(page.url()).pathname).toBe("/sign-in");
      expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe("/account");
      await signUp(page, uniqueEmail("return"));
      await signOut(page);
      await page.goto(`${r().app.url}/account`);
      const main = page.getByRole("main");
      await main.getByLabel("Email", { exact: true }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/sign-in");
    } finally {
      await opened.close();
    }
  });

  test("link GitHub to a password account, sign in with GitHub as the same user, unlink it", async () => {
    const { idp } = r();
    idp.setIdentity("github", freshGitHubIdentity("linker"));
    const email = uniqueEmail("linker");
    const opened = await openBlank();
    try {
      const { page } = opened;
      await signUpToAccount(page, email);
      const userId = (await sessionOf(page))?.user?.id;
      expect(userId).toBeTruthy();

      const methods = section(page, "Sign-in methods");
      await methods.getByRole("button", { name: "Link GitHub" }).click();
      await authorizeAtProvider(page);
      expect(new URL(page.url()).pathname).toBe("/account");
      await expect.poll(() => methods.textContent()).toContain("GitHub is now linked.");
      expect(await methods.textContent()).toContain("GitHub linker");
      // Linking replaced this browser's session instead of adding a phantom device.
      expect(await section(page, "Devices").getByRole("listitem").count()).toBe(1);
      expect((await sessionOf(page))?.user?.id).toBe(userId);

      await signOut(page);
      await page.goto(`${r().app.url}/sign-in`);
      await page.getByRole("button", { name: "Continue with GitHub" }).click();
      await authorizeAtProvider(page);
      expect((await sessionOf(page))?.user?.id).toBe(userId);

      await gotoAccount(page);
      const github = methods.getByRole("listitem").filter({ hasText: "GitHub" });
      await github.getByRole("button", { name: "Unlink" }).click();
      // A confirmation step first: nothing is gone until it is confirmed.
      expect(await methods.textContent()).toContain("GitHub linker");
      await methods.getByRole("button", { name: "Unlink GitHub" }).click();
      await expect.poll(() => methods.textContent()).not.toContain("GitHub linker");
      expect(await methods.getByRole("button", { name: "Link GitHub" }).isVisible()).toBe(true);

      const activity = section(page, "Security activity");
      await expect.poll(() => activity.textContent()).toContain("Unlinked GitHub");
      expect(await activity.textContent()).toContain("Linked GitHub");
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("a GitHub account that belongs to another user is refused with a clear message", async () => {
    const { idp } = r();
    const taken = freshGitHubIdentity("taken");
    idp.setIdentity("github", taken);
    // Someone else signs up with that GitHub account first.
    const other = await open("/sign-in");
    try {
      await other.page.getByRole("button", { name: "Continue with GitHub" }).click();
      await authorizeAtProvider(other.page);
      expect((await sessionOf(other.page))?.user?.id).toBeTruthy();
    } finally {
      await other.close();
    }

    const opened = await openBlank();
    try {
      const { page } = opened;
      await signUpToAccount(page, uniqueEmail("refused"));
      const methods = section(page, "Sign-in methods");
      await methods.getByRole("button", { name: "Link GitHub" }).click();
      await authorizeAtProvider(page);
      expect(new URL(page.url()).pathname).toBe("/account");
      const alert = page.getByRole("main").getByRole("alert");
      await expect.poll(() => alert.first().textContent()).toContain("already belongs to another");
      // Nothing changed: GitHub is still offered, not listed.
      expect(await methods.getByRole("button", { name: "Link GitHub" }).isVisible()).toBe(true);
      expect(await methods.textContent()).not.toContain("GitHub taken");
    } finally {
      await opened.close();
    }
  });

  test("signing in again to confirm keeps one device and returns to the account page", async () => {
    const email = uniqueEmail("reauth");
    const opened = await openBlank();
    try {
      const { page } = opened;
      await signUp(page, email);
      await page.goto(`${r().app.url}/sign-in?callbackUrl=%2Faccount&reauth=1`);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Confirm it's you");
      const main = page.getByRole("main");
      // The signed-in person's email is filled in already.
      expect(await main.getByLabel("Email", { exact: true }).inputValue()).toBe(email);
      await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await main.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL((url) => url.pathname === "/account");
      await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
      expect(await section(page, "Devices").getByRole("listitem").count()).toBe(1);
    } finally {
      await opened.close();
    }
  });

  test("revoking a device from one browser signs the other out on its next request", async () => {
    const email = uniqueEmail("devices");
    const laptop = await openBlank();
    const phone = await open("/sign-in", { viewport: "phone" });
    try {
      await signUp(laptop.page, email);
      await signInWithPassword(phone.page, email);
      await gotoAccount(phone.page);

      await gotoAccount(laptop.page);
      const devices = section(laptop.page, "Devices");
      expect(await devices.getByRole("listitem").count()).toBe(2);
      const current = devices.getByRole("listitem").filter({ hasText: "This device" });
      expect(await current.count()).toBe(1);
      const other = devices.getByRole("listitem").filter({ hasNotText: "This device" });
      await other.getByRole("button", { name: "Sign out" }).click();
      await expect.poll(() => devices.getByRole("listitem").count()).toBe(1);

      // The phone's next request: signed out, sent to sign in, and back to /account after.
      await phone.page.goto(`${r().app.url}/account`);
      expect(new URL(phone.page.url()).pathname).toBe("/sign-in");
      // The laptop is still signed in.
      const laptopUser = (await sessionOf(laptop.page))?.user?.id;
      expect(laptopUser).toBeTruthy();

      // The phone still holds the revoked cookie. Someone else signing in with GitHub on it
      // gets their own account: the dead cookie is dropped before the OAuth flow, so Auth.js
      // does not mistake its old owner for someone linking.
      r().idp.setIdentity("github", freshGitHubIdentity("borrower"));
      await phone.page.getByRole("button", { name: "Continue with GitHub" }).click();
      await authorizeAtProvider(phone.page);
      await gotoAccount(phone.page);
      const phoneUser = (await sessionOf(phone.page))?.user?.id;
      expect(phoneUser).toBeTruthy();
      expect(phoneUser).not.toBe(laptopUser);

      const activity = section(laptop.page, "Security activity");
      await expect.poll(() => activity.textContent()).toContain("Signed out a device");
    } finally {
      await laptop.close();
      await phone.close();
    }
  });

  test("failed password attempts on the account show in its security activity, a run as one line", async () => {
    const email = uniqueEmail("guessed");
    const owner = await openBlank({ viewport: "phone" });
    const stranger = await open("/sign-in");
    try {
      await signUp(owner.page, email);

      /** One wrong password for the owner's email, from the stranger's browser. */
      const guess = async () => {
        const { page } = stranger;
        await page.goto(`${r().app.url}/sign-in`);
        const main = page.getByRole("main");
        await main.getByLabel("Email", { exact: true }).fill(email);
        await main.getByLabel("Password", { exact: true }).fill("not the right password");
        await main.getByRole("button", { name: "Sign in", exact: true }).click();
        const alert = main.getByRole("alert");
        await expect.poll(async () => (await alert.textContent())?.trim() ?? "").not.toBe("");
      };
      // One attempt, an event, then three in a row: one plain line, then one summed up.
      await guess();
      await signInWithPassword(stranger.page, email);
      await signOut(stranger.page);
      for (let attempt = 0; attempt < 3; attempt += 1) await guess();

      const { page } = owner;
      await gotoAccount(page);
      const activity = section(page, "Security activity");
      const lines = (await activity.getByRole("listitem").allTextContents()).map((line) =>
        line.replaceAll("\u00a0", " "),
      );
      expect(lines[0]).toMatch(
        /^3 failed password attempts from 1 address, the last one (just now|1 minute ago)$/,
      );
      expect(lines[1]).toMatch(/^Signed out — /);
      expect(lines[2]).toMatch(/^Signed in with email and password — /);
      // The owner's email is not proven (a password sign-up): the attempt's browser and
      // address are left out, as they would be from a squatter (docs/account.md).
      expect(lines[3]).toMatch(/^Failed password attempt — (just now|1 minute ago)$/);
      expect(lines.slice(4).join("\n")).toContain("Account created");
      expect(owner.consoleErrors).toEqual([]);

      // The section at a phone's width and a desktop's, light and dark.
      for (const [width, colorScheme] of [
        [360, "light"],
        [360, "dark"],
        [1280, "light"],
        [1280, "dark"],
      ] as const) {
        await page.setViewportSize({ width, height: 900 });
        await page.emulateMedia({ colorScheme });
        await assertNoHorizontalOverflow(page);
        await elementScreenshot(activity, `account-activity-${width}-${colorScheme}`);
      }
    } finally {
      await owner.close();
      await stranger.close();
    }
  });

  // One account per size; the colour scheme is switched on the open page (Tailwind's dark
  // variant follows prefers-color-scheme), which spares a sign-up per screenshot.
  for (const viewport of ["phone", "desktop"] as const) {
    test(`looks right at ${viewport} size, light and dark`, async () => {
      const opened = await openBlank({ viewport });
      try {
        const { page } = opened;
        await signUpToAccount(page, uniqueEmail(`look-${viewport}`));
        await assertNoHorizontalOverflow(page);
        for (const colorScheme of COLOR_SCHEMES) {
          await page.emulateMedia({ colorScheme });
          await screenshot(page, `account-${viewportWidth(viewport)}-${colorScheme}`);
        }
        // The link buttons use the sign-in page's grid: one column on a phone, two wider.
        const boxes = await section(page, "Sign-in methods")
          .getByRole("button", { name: /^Link / })
          .evaluateAll((buttons) => buttons.map((b) => b.getBoundingClientRect().x));
        // Google, GitHub, Stack Overflow and Telegram: none is linked to a new account.
        expect(boxes).toHaveLength(4);
        const columns = new Set(boxes.map((x) => Math.round(x))).size;
        expect(columns).toBe(viewport === "phone" ? 1 : 2);
        expect(opened.consoleErrors).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  }
});

/** Waits for `element`, checks all of it is on screen, and saves what the screen shows. */
async function expectOnScreen(page: Page, element: Locator, name: string): Promise<void> {
  await element.waitFor();
  await expect.poll(() => viewportPlacement(element)).toBe("visible");
  await viewportScreenshot(page, name);
}

/** Signs `email` in from a browser of its own, which then goes away: one more device. */
async function signInElsewhere(email: string, password = PASSWORD): Promise<void> {
  if (!browser) throw new Error("the browser did not launch (see beforeAll)");
  // The sign-in form is not what the callers test: Auth.js's endpoint, from a browser
  // context of its own, makes the same session without drawing a page.
  const other = await browser.newContext();
  try {
    await signInByRequest(other.request, r().app.url, { email, password });
  } finally {
    await other.close();
  }
}

describe("every account action answers on screen, on a phone", () => {
  const NEW_PASSWORD = "amber kite 42 over the dunes";

  test("link, unlink, change password, sign out one device, all others, everywhere; Connect Telegram", async () => {
    r().idp.setIdentity("github", freshGitHubIdentity("phone-linker"));
    const email = uniqueEmail("phone-feedback");
    const opened = await openBlank({ viewport: "phone" });
    try {
      const { page } = opened;
      await signUp(page, email);
      await signInElsewhere(email);
      await signInElsewhere(email);
      await gotoAccount(page);

      // Back from the provider the page opens at its top; the notice is brought into view.
      const methods = section(page, "Sign-in methods");
      await methods.getByRole("button", { name: "Link GitHub" }).click();
      await authorizeAtProvider(page);
      const linked = methods.getByRole("status").filter({ hasText: "GitHub is now linked." });
      await expectOnScreen(page, linked, "feedback-linked-360-light");

      await methods.getByRole("button", { name: "Unlink GitHub" }).click();
      await methods
        .getByRole("group", { name: "Unlink GitHub?" })
        .getByRole("button", { name: "Unlink GitHub" })
        .click();
      const unlinked = methods
        .getByRole("status")
        .filter({ hasText: "GitHub is no longer linked." });
      await expectOnScreen(page, unlinked, "feedback-unlinked-360-light");

      // The message the person used to miss: it shows under the button that was pressed.
      const password = section(page, "Password");
      await password.getByLabel("Current password").fill(PASSWORD);
      await password.getByLabel("New password").fill(NEW_PASSWORD);
      await password.getByRole("button", { name: "Change password" }).click();
      const changed = password.getByRole("status").filter({
        hasText: "Password changed, and 2 other devices were signed out.",
      });
      await expectOnScreen(page, changed, "feedback-password-changed-360-light");
      // No second "Change password" heading under "Password".
      expect(await password.getByRole("heading").allTextContents()).toEqual(["Password"]);

      for (let device = 0; device < 3; device++) await signInElsewhere(email, NEW_PASSWORD);
      await page.reload();
      const devices = section(page, "Devices");
      const others = devices.getByRole("listitem").filter({ hasNotText: "This device" });
      await expect.poll(() => others.count()).toBe(3);
      await others.first().getByRole("button", { name: "Sign out" }).click();
      const one = devices.getByRole("status").filter({ hasText: "It will need to sign in again." });
      await expectOnScreen(page, one, "feedback-device-signed-out-360-light");

      await devices.getByRole("button", { name: "Sign out all other devices" }).click();
      const all = devices.getByRole("status").filter({ hasText: "Signed out 2 other devices." });
      await expectOnScreen(page, all, "feedback-others-signed-out-360-light");

      const telegram = section(page, "Telegram alerts");
      await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).click();
      await expectOnScreen(
        page,
        telegram.getByRole("link", { name: /^Open Telegram/ }),
        "feedback-telegram-link-360-light",
      );

      await devices.getByRole("button", { name: "Sign out everywhere" }).click();
      await devices
        .getByRole("group", { name: "Sign out everywhere?" })
        .getByRole("button", { name: "Sign out everywhere" })
        .click();
      await page.waitForURL((url) => url.pathname === "/sign-in");
      // The sign-in page says what happened.
      const notice = page.getByRole("status").filter({ hasText: "signed out everywhere" });
      await expectOnScreen(page, notice, "feedback-signed-out-everywhere-360-light");
      expect(await notice.innerText()).toContain(
        "Every device that was signed in to your account, this one too, needs to sign in again.",
      );
      await assertNoHorizontalOverflow(page);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  }, 240_000);

  test("setting a password, and a refused one, on an account made with GitHub", async () => {
    r().idp.setIdentity("github", freshGitHubIdentity("phone-setter"));
    const opened = await open("/sign-in", { viewport: "phone" });
    try {
      const { page } = opened;
      await page.getByRole("button", { name: "Continue with GitHub" }).click();
      await authorizeAtProvider(page);
      await gotoAccount(page);
      const password = section(page, "Password");
      const email = password.getByLabel("Email", { exact: true });
      const address = uniqueEmail("phone-setter");
      await email.fill(address);
      await password.getByLabel("New password").fill("short");
      await password.getByRole("button", { name: "Set password" }).click();
      // A refused field: the caret goes to it, with its reason beside it.
      const field = password.getByLabel("New password");
      await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
      await expectOnScreen(
        page,
        password.getByText(messages.passwordTooShort),
        "feedback-set-password-refused-360-light",
      );

      await field.fill(NEW_PASSWORD);
      await password.getByRole("button", { name: "Set password" }).click();
      const set = password.getByRole("status").filter({ hasText: "Password set." });
      await expectOnScreen(page, set, "feedback-password-set-360-light");
      // The address came with the password: a link to confirm it is on its way.
      expect(await set.innerText()).toContain(
        `You can now sign in with ${address} and your password. We've sent a link to that address to confirm it.`,
      );
      // The form became "Change password", still under the one "Password" heading.
      await password.getByRole("button", { name: "Change password" }).waitFor();
      expect(await viewportPlacement(set)).toBe("visible");
      expect(await password.getByRole("heading").allTextContents()).toEqual(["Password"]);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  }, 120_000);
});

describe("a password form used before the page's scripts have run", () => {
  test("keeps the passwords out of the address, and is sent once the scripts are there", async () => {
    const email = uniqueEmail("early-submit");
    const newPassword = "cobalt ferry 19 past the lock";
    const opened = await openBlank();
    try {
      const { page } = opened;
      await signUp(page, email);
      // The page's scripts are held back until the form has been submitted: what a person on
      // a slow connection does when they type faster than the page loads.
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      await page.route(/\/_next\/static\/chunks\/.+\.js$/, async (route) => {
        await released;
        await route.continue();
      });
      const addresses: string[] = [];
      page.on("request", (request) => addresses.push(request.url()));
      // Not waiting for any load event: those wait for the scripts held back above.
      await page.goto(`${r().app.url}/account`, { waitUntil: "commit" });
      const password = section(page, "Password");
      await password.getByLabel("Current password").fill(PASSWORD);
      await password.getByLabel("New password").fill(newPassword);
      await password.getByRole("button", { name: "Change password" }).click();
      release();

      await page.waitForLoadState("load");
      // A browser submitting the form itself would have sent both passwords in the address.
      for (const address of [...addresses, page.url()]) {
        expect(address).not.toContain("Password=");
        expect(decodeURIComponent(address.replaceAll("+", " "))).not.toContain(newPassword);
      }
      // React sent the early submit once the scripts had run.
      await password.getByRole("status").filter({ hasText: "Password changed" }).waitFor();
      // The new password is the one that works now.
      await signInElsewhere(email, newPassword);
    } finally {
      await opened.close();
    }
  }, 120_000);
});

describe("Telegram alerts", () => {
  test("Connect Telegram shows a single-use link; 'Get a new link' replaces it", async () => {
    const opened = await openBlank();
    try {
      const { page } = opened;
      await signUpToAccount(page, uniqueEmail("telegram"));
      const nav = page.getByRole("navigation", { name: "Account sections" });
      expect(await nav.getByRole("link").allTextContents()).toEqual([
        "Sign-in methods",
        "Passkeys",
        "Password",
        "Two-step verification",
        "Devices",
        "Telegram alerts",
        "Security activity",
      ]);
      expect(await nav.getByRole("link", { name: "Telegram alerts" }).getAttribute("href")).toBe(
        "#telegram",
      );
      const telegram = section(page, "Telegram alerts");
      expect(await telegram.getAttribute("id")).toBe("telegram");
      expect(await telegram.textContent()).toContain(
        "Get a Telegram message for every sign-in, with a button to sign out everywhere if it wasn't you.",
      );

      await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).click();
      const openLink = telegram.getByRole("link", { name: /^Open Telegram/ });
      await openLink.waitFor();
      const first = await startToken(openLink);
      expect(await openLink.getAttribute("target")).toBe("_blank");
      expect(await openLink.getAttribute("rel")).toBe("noopener noreferrer");
      expect(await telegram.textContent()).toContain(LINK_NOTE);
      // The button it replaced had the focus; the link takes it.
      expect(await openLink.evaluate((link) => link === document.activeElement)).toBe(true);
      expect(
        await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).count(),
      ).toBe(0);

      await telegram.getByRole("button", { name: "Get a new link" }).click();
      await expect.poll(() => openLink.getAttribute("href")).not.toContain(first);
      const second = await startToken(openLink);
      expect(second).not.toBe(first);
      await expect
        .poll(() => telegram.getByRole("status").textContent())
        .toContain("The previous one no longer works.");

      // The token is in the link's href and nowhere else: not the page's address, not its
      // markup besides that attribute, not the server's log.
      for (const token of [first, second]) {
        expect(page.url()).not.toContain(token);
        expect(r().app.output()).not.toContain(token);
      }
      const html = await page.content();
      expect(html.split(second)).toHaveLength(2);
      expect(html).not.toContain(first);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("a link on screen past its lifetime says it has expired", async () => {
    const opened = await openBlank({ viewport: "phone" });
    try {
      const { page } = opened;
      await signUp(page, uniqueEmail("telegram-expiry"));
      // The page's clock, controlled from here from the next load on.
      await page.clock.install();
      await gotoAccount(page);
      const telegram = section(page, "Telegram alerts");
      await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).click();
      const openLink = telegram.getByRole("link", { name: /^Open Telegram/ });
      await openLink.waitFor();

      await page.clock.fastForward("09:50");
      expect(await openLink.isVisible()).toBe(true);
      await page.clock.fastForward("00:10");
      await telegram.getByText("This link has expired. Get a new one to connect.").waitFor();
      expect(await openLink.count()).toBe(0);

      await telegram.getByRole("button", { name: "Get a new link" }).click();
      await openLink.waitFor();
      await startToken(openLink);
      expect(await telegram.textContent()).toContain(LINK_NOTE);
    } finally {
      await opened.close();
    }
  });

  for (const viewport of ["phone", "desktop"] as const) {
    test(`the section looks right at ${viewport} size, light and dark`, async () => {
      const width = viewportWidth(viewport);
      const opened = await openBlank({ viewport });
      try {
        const { page } = opened;
        await signUpToAccount(page, uniqueEmail(`telegram-look-${viewport}`));
        const telegram = section(page, "Telegram alerts");
        await telegram.scrollIntoViewIfNeeded();
        await assertNoHorizontalOverflow(page);
        for (const colorScheme of COLOR_SCHEMES) {
          await page.emulateMedia({ colorScheme });
          await elementScreenshot(telegram, `account-telegram-${width}-${colorScheme}`);
        }
        expect((await controlHeights(telegram))["Connect Telegram"]).toBeGreaterThanOrEqual(44);

        await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).click();
        await telegram.getByRole("link", { name: /^Open Telegram/ }).waitFor();
        await assertNoHorizontalOverflow(page);
        for (const colorScheme of COLOR_SCHEMES) {
          await page.emulateMedia({ colorScheme });
          await elementScreenshot(telegram, `account-telegram-link-${width}-${colorScheme}`);
        }
        const heights = await controlHeights(telegram);
        expect(heights["Open Telegram (opens in a new tab)"]).toBeGreaterThanOrEqual(44);
        expect(heights["Get a new link"]).toBeGreaterThanOrEqual(44);
        expect(opened.consoleErrors).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  }
});

describe("Telegram alerts without a bot", () => {
  const running = appForSuite(() => startEmbeddedApp());

  test("no bot configured: no section and no entry in the section list", async () => {
    const app = running();
    const opened = await openBlank();
    try {
      const { page } = opened;
      await signUpToAccount(page, uniqueEmail("no-bot"), app.url);
      const nav = page.getByRole("navigation", { name: "Account sections" });
      expect(await nav.getByRole("link").allTextContents()).toEqual([
        "Sign-in methods",
        "Passkeys",
        "Password",
        "Two-step verification",
        "Devices",
        "Security activity",
      ]);
      expect(await page.getByRole("region").count()).toBe(6);
      expect(await page.getByRole("main").textContent()).not.toContain("Telegram");
    } finally {
      await opened.close();
    }
  });
});

describe.runIf(databaseUrl !== null && redisUrl !== null)(
  "Telegram alerts with a connected chat (PostgreSQL, so the test can write the link row)",
  () => {
    let pgRig: Rig | undefined;
    beforeAll(async () => {
      if (!databaseUrl || !redisUrl) throw new Error("no test servers");
      pgRig = await startRig({
        backend: "postgres",
        servers: { databaseUrl, redisUrl },
        env: telegramEnv,
      });
    });
    afterAll(async () => {
      await pgRig?.stop();
    });
    printServerOutputOnFailure(() => pgRig?.app);

    function app(): AppServer {
      if (!pgRig) throw new Error("the app did not start (see beforeAll)");
      return pgRig.app;
    }

    async function withDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
      const client = new pg.Client({ connectionString: app().databaseUrl });
      await client.connect();
      try {
        return await work(client);
      } finally {
        await client.end();
      }
    }

    /** Links a chat to the account with `email`, as the bot's /start <token> would. */
    async function linkChat(email: string, username: string | null): Promise<void> {
      const chatId = 7_000_000_000 + Number.parseInt(randomBytes(3).toString("hex"), 16);
      const inserted = await withDatabase((client) =>
        client.query(
          // UTC, as Prisma reads this `timestamp without time zone` column.
          `INSERT INTO "TelegramLink" (id, "userId", "chatId", "telegramUserId", username, "createdAt")
           SELECT $1, id, $2, $2, $3, now() AT TIME ZONE 'UTC' FROM "User" WHERE email = $4`,
          [`tl${randomBytes(8).toString("hex")}`, chatId, username, email],
        ),
      );
      expect(inserted.rowCount).toBe(1);
    }

    async function linkRows(email: string): Promise<number> {
      const result = await withDatabase((client) =>
        client.query(
          `SELECT 1 FROM "TelegramLink" l JOIN "User" u ON u.id = l."userId" WHERE u.email = $1`,
          [email],
        ),
      );
      return result.rowCount ?? 0;
    }

    async function signedUp(email: string, options: OpenPageOptions = {}): Promise<OpenedPage> {
      const opened = await openBlank(options);
      await signUp(opened.page, email, app().url);
      return opened;
    }

    test("back from Telegram the section shows the chat; Disconnect, once confirmed, removes it", async () => {
      const email = uniqueEmail("telegram-connected");
      const opened = await signedUp(email);
      try {
        const { page } = opened;
        await gotoAccount(page, app().url);
        const telegram = section(page, "Telegram alerts");
        await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).click();
        await telegram.getByRole("link", { name: /^Open Telegram/ }).waitFor();

        // The person pressed Start in Telegram, and comes back to the tab.
        await linkChat(email, "alerts_e2e");
        await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
        await expect.poll(() => telegram.textContent()).toContain("Connected to @alerts_e2e");
        expect(await telegram.textContent()).toContain("Linked just now");
        expect(await telegram.getByRole("link", { name: /^Open Telegram/ }).count()).toBe(0);
        expect(await telegram.getByRole("status").textContent()).toContain(
          "Telegram is connected.",
        );

        // The same after a reload.
        await page.reload();
        await expect.poll(() => telegram.textContent()).toContain("Connected to @alerts_e2e");

        await telegram.getByRole("button", { name: "Disconnect Telegram" }).click();
        const confirm = telegram.getByRole("group", { name: "Stop alerts in that chat?" });
        await confirm.waitFor();
        // Nothing is gone until it is confirmed; Cancel keeps it.
        await confirm.getByRole("button", { name: "Cancel" }).click();
        expect(await linkRows(email)).toBe(1);
        await telegram.getByRole("button", { name: "Disconnect Telegram" }).click();
        await confirm.getByRole("button", { name: "Disconnect" }).click();

        await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).waitFor();
        expect(await telegram.textContent()).not.toContain("Connected to");
        expect(await telegram.getByRole("status").textContent()).toContain(
          "Telegram is disconnected.",
        );
        expect(await linkRows(email)).toBe(0);
        const activity = section(page, "Security activity");
        await expect.poll(() => activity.textContent()).toContain("Telegram disconnected");
        expect(opened.consoleErrors).toEqual([]);
      } finally {
        await opened.close();
      }
    });

    test("on a phone, 'connected' and 'disconnected' show where the person is looking", async () => {
      const email = uniqueEmail("telegram-phone");
      const opened = await signedUp(email, { viewport: "phone" });
      try {
        const { page } = opened;
        await gotoAccount(page, app().url);
        const telegram = section(page, "Telegram alerts");
        await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).click();
        await telegram.getByRole("link", { name: /^Open Telegram/ }).waitFor();

        await linkChat(email, "alerts_phone");
        await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
        const connected = telegram
          .getByRole("status")
          .filter({ hasText: "Telegram is connected." });
        await expectOnScreen(page, connected, "feedback-telegram-connected-360-light");

        await telegram.getByRole("button", { name: "Disconnect Telegram" }).click();
        await telegram
          .getByRole("group", { name: "Stop alerts in that chat?" })
          .getByRole("button", { name: "Disconnect" })
          .click();
        const disconnected = telegram
          .getByRole("status")
          .filter({ hasText: "Telegram is disconnected." });
        await expectOnScreen(page, disconnected, "feedback-telegram-disconnected-360-light");
        expect(opened.consoleErrors).toEqual([]);
      } finally {
        await opened.close();
      }
    });

    test("a chat with no username reads 'Connected'; one removed meanwhile gets the server's message", async () => {
      const email = uniqueEmail("telegram-gone");
      const opened = await signedUp(email, { viewport: "phone" });
      try {
        const { page } = opened;
        await linkChat(email, null);
        await gotoAccount(page, app().url);
        const telegram = section(page, "Telegram alerts");
        await telegram.getByRole("button", { name: "Disconnect Telegram" }).waitFor();
        expect(await telegram.textContent()).toContain("Connected");
        expect(await telegram.textContent()).not.toContain("Connected to");

        // Disconnected from the chat (/unlink) while this page was open.
        await withDatabase((client) =>
          client.query(
            `DELETE FROM "TelegramLink" WHERE "userId" = (SELECT id FROM "User" WHERE email = $1)`,
            [email],
          ),
        );
        await telegram.getByRole("button", { name: "Disconnect Telegram" }).click();
        await telegram.getByRole("button", { name: "Disconnect", exact: true }).click();
        await expect
          .poll(() => telegram.getByRole("alert").textContent())
          .toBe(accountErrorMessages["not-found"]);
        // The refresh shows what is true now.
        await telegram.getByRole("button", { name: "Connect Telegram", exact: true }).waitFor();
        await elementScreenshot(telegram, "account-telegram-error-360-light");
      } finally {
        await opened.close();
      }
    });

    /** Whether the account with `email` approves sign-ins from its chat (null: no chat). */
    async function approvesSignIns(email: string): Promise<boolean | null> {
      const result = await withDatabase((client) =>
        client.query<{ approveSignIns: boolean }>(
          `SELECT l."approveSignIns" FROM "TelegramLink" l JOIN "User" u ON u.id = l."userId"
           WHERE u.email = $1`,
          [email],
        ),
      );
      return result.rows[0]?.approveSignIns ?? null;
    }

    for (const viewport of ["phone", "desktop"] as const) {
      test(`'Approve new sign-ins in Telegram' turns on and off, and says so, at ${viewport} size`, async () => {
        const width = viewportWidth(viewport);
        const email = uniqueEmail(`telegram-approve-${viewport}`);
        const opened = await signedUp(email, { viewport });
        try {
          const { page } = opened;
          // As long as Telegram allows (32 characters), to catch overflow.
          await linkChat(email, "a_rather_long_telegram_username1");
          await gotoAccount(page, app().url);
          const telegram = section(page, "Telegram alerts");
          const approval = telegram.getByRole("switch", {
            name: "Approve new sign-ins in Telegram",
          });
          // The switch, its label and its explanation.
          const row = approval.locator("..");
          expect(await approval.getAttribute("aria-checked")).toBe("false");
          expect(await approval.textContent()).toBe("Off");
          // Described by what it does.
          const hint = await approval.evaluate(
            (node) =>
              document.getElementById(node.getAttribute("aria-describedby") ?? "")?.textContent,
          );
          expect(hint).toMatch(/^When someone signs in from a browser new to your account,/);
          expect(hint).toContain("No answer in 2 minutes and the sign-in expires");
          await telegram.scrollIntoViewIfNeeded();
          await assertNoHorizontalOverflow(page);
          expect((await approval.boundingBox())?.height).toBeGreaterThanOrEqual(44);
          await elementScreenshot(telegram, `account-telegram-approval-off-${width}-light`);

          // On, with a press.
          await approval.click();
          await expect.poll(() => approval.getAttribute("aria-checked")).toBe("true");
          expect(await approval.textContent()).toBe("On");
          expect(await telegram.getByRole("status").textContent()).toContain(
            "Sign-in approval is on.",
          );
          expect(await approvesSignIns(email)).toBe(true);
          // The focus stays on the switch (it did not go away).
          expect(await approval.evaluate((node) => node === document.activeElement)).toBe(true);
          const activity = section(page, "Security activity");
          await expect
            .poll(() => activity.textContent())
            .toContain("Sign-in approval from Telegram turned on");
          await assertNoHorizontalOverflow(page);
          await screenshot(page, `account-telegram-approval-on-${width}-light`);
          await elementScreenshot(telegram, `account-telegram-approval-on-section-${width}-light`);

          // Disconnecting says approval ends with it; Cancel keeps both.
          await telegram.getByRole("button", { name: "Disconnect Telegram" }).click();
          const confirm = telegram.getByRole("group", { name: "Stop alerts in that chat?" });
          expect(await confirm.textContent()).toContain("nor wait for your approval there");
          await confirm.getByRole("button", { name: "Cancel" }).click();

          // The same after a reload; then off, from the keyboard.
          await page.reload();
          await expect.poll(() => approval.getAttribute("aria-checked")).toBe("true");
          await approval.focus();
          await page.keyboard.press("Space");
          await expect.poll(() => approval.getAttribute("aria-checked")).toBe("false");
          expect(await approval.textContent()).toBe("Off");
          expect(await telegram.getByRole("status").textContent()).toContain(
            "Sign-in approval is off.",
          );
          expect(await approvesSignIns(email)).toBe(false);
          await expect
            .poll(() => activity.textContent())
            .toContain("Sign-in approval from Telegram turned off");
          await elementScreenshot(telegram, `account-telegram-approval-turned-off-${width}-light`);

          // And in the dark.
          await page.emulateMedia({ colorScheme: "dark" });
          await elementScreenshot(row, `account-telegram-approval-off-${width}-dark`);
          // A slow answer: the switch waits, busy, and the section says what is happening.
          const accountUrl = `${app().url}/account`;
          await page.route(accountUrl, async (route) => {
            if (route.request().method() === "POST") {
              await new Promise((resolve) => setTimeout(resolve, 1_500));
            }
            await route.continue();
          });
          await approval.click();
          await expect.poll(() => approval.getAttribute("aria-busy")).toBe("true");
          expect(await approval.getAttribute("aria-checked")).toBe("false");
          expect(await telegram.getByText("Turning on sign-in approval…").count()).toBe(1);
          await elementScreenshot(row, `account-telegram-approval-busy-${width}-dark`);
          await expect
            .poll(() => approval.getAttribute("aria-checked"), { timeout: 10_000 })
            .toBe("true");
          await page.unroute(accountUrl);
          expect(await approval.getAttribute("aria-busy")).toBeNull();
          await elementScreenshot(telegram, `account-telegram-approval-on-section-${width}-dark`);
          expect(opened.consoleErrors).toEqual([]);
        } finally {
          await opened.close();
        }
      });
    }

    for (const viewport of ["phone", "desktop"] as const) {
      test(`the connected section looks right at ${viewport} size, light and dark`, async () => {
        const width = viewportWidth(viewport);
        const email = uniqueEmail(`telegram-look-${viewport}`);
        const opened = await signedUp(email, { viewport });
        try {
          const { page } = opened;
          // As long as Telegram allows (32 characters), to catch overflow.
          await linkChat(email, "a_rather_long_telegram_username1");
          await gotoAccount(page, app().url);
          const telegram = section(page, "Telegram alerts");
          await telegram.scrollIntoViewIfNeeded();
          await assertNoHorizontalOverflow(page);
          for (const colorScheme of COLOR_SCHEMES) {
            await page.emulateMedia({ colorScheme });
            await elementScreenshot(telegram, `account-telegram-connected-${width}-${colorScheme}`);
          }

          await telegram.getByRole("button", { name: "Disconnect Telegram" }).click();
          await telegram.getByRole("group", { name: "Stop alerts in that chat?" }).waitFor();
          await assertNoHorizontalOverflow(page);
          for (const colorScheme of COLOR_SCHEMES) {
            await page.emulateMedia({ colorScheme });
            await elementScreenshot(telegram, `account-telegram-confirm-${width}-${colorScheme}`);
          }
          const heights = await controlHeights(telegram);
          expect(heights.Disconnect).toBeGreaterThanOrEqual(44);
          expect(heights.Cancel).toBeGreaterThanOrEqual(44);
          expect(opened.consoleErrors).toEqual([]);
        } finally {
          await opened.close();
        }
      });
    }
  },
);
