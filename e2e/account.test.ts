// The account page in Chromium against `next build && next start` (embedded backend) and
// the local fake identity provider: linking GitHub to a password account and signing in
// with it, unlinking it, a refused link, signing in again before a sensitive change, and
// revoking a device from another browser. Screenshots at 360 and 1280 px, light and dark.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import {
  assertNoHorizontalOverflow,
  launchBrowser,
  openPage,
  screenshot,
  type OpenedPage,
  type OpenPageOptions,
} from "./support/browser";
import { startRig, type Rig } from "./support/rig";
import { printServerOutputOnFailure } from "./support/server";

const PASSWORD = "violet tram 71 under the pier";

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

function r(): Rig {
  if (!rig) throw new Error("the app did not start (see beforeAll)");
  return rig;
}

async function open(path: string, options: OpenPageOptions = {}): Promise<OpenedPage> {
  if (!browser) throw new Error("the browser did not launch (see beforeAll)");
  return openPage(browser, `${r().app.url}${path}`, options);
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

async function signUp(page: Page, email: string): Promise<void> {
  await page.goto(`${r().app.url}/sign-up`);
  const main = page.getByRole("main");
  await main.getByLabel("Email", { exact: true }).fill(email);
  await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await main.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
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

async function gotoAccount(page: Page): Promise<void> {
  await page.goto(`${r().app.url}/account`);
  await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
}

function section(page: Page, name: string) {
  return page.getByRole("region", { name });
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
    const opened = await open("/sign-up");
    try {
      const { page } = opened;
      await signUp(page, email);
      const userId = (await sessionOf(page))?.user?.id;
      expect(userId).toBeTruthy();

      await gotoAccount(page);
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

    const opened = await open("/sign-up");
    try {
      const { page } = opened;
      await signUp(page, uniqueEmail("refused"));
      await gotoAccount(page);
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
    const opened = await open("/sign-up");
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
    const laptop = await open("/sign-up");
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

  for (const viewport of ["phone", "desktop"] as const) {
    for (const colorScheme of ["light", "dark"] as const) {
      test(`looks right at ${viewport} size, ${colorScheme}`, async () => {
        const opened = await open("/sign-up", { viewport, colorScheme });
        try {
          const { page } = opened;
          await signUp(page, uniqueEmail(`look-${viewport}`));
          await gotoAccount(page);
          await assertNoHorizontalOverflow(page);
          await screenshot(page, `account-${viewport === "phone" ? 360 : 1280}-${colorScheme}`);
          // The link buttons use the sign-in page's grid: one column on a phone, two wider.
          const boxes = await section(page, "Sign-in methods")
            .getByRole("button", { name: /^Link / })
            .evaluateAll((buttons) => buttons.map((b) => b.getBoundingClientRect().x));
          expect(boxes).toHaveLength(3);
          const columns = new Set(boxes.map((x) => Math.round(x))).size;
          expect(columns).toBe(viewport === "phone" ? 1 : 2);
          expect(opened.consoleErrors).toEqual([]);
        } finally {
          await opened.close();
        }
      });
    }
  }
});
