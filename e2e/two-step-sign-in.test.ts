// Signing in with two-step verification in Chromium against `npm start` (server.mjs), on both
// backends. The authenticator app is set up on the account page by reading the key off the
// page; its codes are computed here (otpauth, as an app would). Then:
// - a right password is held: the challenge page, and no session until the code passes; a
//   wrong code is answered with the tries left; the app's code signs in, to where the sign-in
//   was headed;
// - the code that signed in does not sign in again;
// - a recovery code signs in once, and the account page counts one fewer;
// - five wrong codes end the sign-in: "Sign in again", and the right code no longer helps;
// - "Cancel" ends it too; with the app turned off, the password alone signs in again;
// - a provider sign-in (GitHub, through the fake identity provider) is held the same way: the
//   challenge's cookie is set on the OAuth callback's redirect, and the code finishes it.
// Screenshots at 360 px (light) and 1280 px (dark); nothing scrolls sideways.
import { Secret, TOTP } from "otpauth";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { createPasswordAccountByRequest } from "./support/accounts";
import {
  assertNoHorizontalOverflow,
  launchBrowser,
  openPage,
  screenshot,
  type OpenPageOptions,
} from "./support/browser";
import { uniqueEmail } from "./support/mail";
import { startRig, type Rig } from "./support/rig";
import {
  appForSuite,
  printServerOutputOnFailure,
  startEmbeddedApp,
  startPostgresApp,
} from "./support/server";

const PASSWORD = "copper kettle 58 on the stair";
const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");

let browser: Browser | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** What an authenticator app shows for `key` right now. */
function currentCode(key: string): string {
  return TOTP.generate({ secret: Secret.fromBase32(key) });
}

/**
 * The newest code the server accepts now: the next step's (one step of clock drift either
 * way is allowed). A code is accepted once and never one of an older or the same step, so
 * right after turning the app on (which spent the current step's code) an app's current code
 * would be "already used"; the next step's is always newer than any accepted before.
 */
function nextCode(key: string): string {
  return TOTP.generate({ secret: Secret.fromBase32(key), timestamp: Date.now() + 30_000 });
}

/** Six digits that are not `key`'s code a step either side of now. */
function wrongCode(key: string): string {
  const now = Date.now();
  const near = new Set(
    [-30_000, 0, 30_000].map((ms) =>
      TOTP.generate({ secret: Secret.fromBase32(key), timestamp: now + ms }),
    ),
  );
  return ["000000", "111111", "222222", "333333"].find((code) => !near.has(code)) ?? "444444";
}

/** The signed-in user of the page's browser, or null. */
async function sessionUser(page: Page): Promise<unknown> {
  const response = await page.request.get(`${new URL(page.url()).origin}/api/auth/session`);
  const body = (await response.json()) as { user?: unknown } | null;
  return body?.user ?? null;
}

describe.each([
  { name: "embedded", start: () => startEmbeddedApp() },
  ...(databaseUrl && redisUrl
    ? [{ name: "postgres", start: () => startPostgresApp({ databaseUrl, redisUrl }) }]
    : []),
])("signing in with two-step verification, $name", ({ name, start }) => {
  const app = appForSuite(start);

  /** A new password account with the app turned on; the page is signed out again. */
  async function enrolled(options: OpenPageOptions) {
    if (!browser) throw new Error("the browser did not launch (see beforeAll)");
    const opened = await openPage(browser, `${app().url}/sign-up`, options);
    const email = uniqueEmail("two-step-sign-in");
    const { page } = opened;
    await createPasswordAccountByRequest(
      page,
      app().url,
      { email, password: PASSWORD },
      { landOn: "/account#two-step" },
    );
    const section = page.getByRole("region", { name: "Two-step verification" });
    await section.getByRole("button", { name: "Set up authenticator app" }).click();
    const keyText = section.locator("[data-totp-key]");
    await keyText.waitFor();
    const key = ((await keyText.textContent()) ?? "").replace(/\s+/g, "");
    await section.getByLabel("6-digit code").fill(currentCode(key));
    await section.getByRole("button", { name: "Turn on" }).click();
    const codes = section.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
    await codes.first().waitFor();
    const recoveryCodes = (await codes.allTextContents()).map((code) => code.trim());
    await section.getByRole("button", { name: "I have saved them" }).click();
    await section.getByText("10 of 10 recovery codes left").waitFor();
    await signOut(page);
    return { ...opened, email, key, recoveryCodes };
  }

  async function signOut(page: Page) {
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
  }

  /** The password form on /sign-in (headed for /account); resolves on the challenge page. */
  async function passwordStep(page: Page, email: string): Promise<Locator> {
    await page.goto(`${app().url}/sign-in?callbackUrl=/account`);
    const main = page.getByRole("main");
    await main.getByLabel("Email", { exact: true }).fill(email);
    await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await main.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${app().url}/sign-in/second-factor`);
    await main.getByRole("heading", { name: "Two-step verification" }).waitFor();
    return main;
  }

  async function submitCode(main: Locator, label: string, code: string) {
    await main.getByLabel(label).fill(code);
    await main.getByRole("button", { name: "Verify" }).click();
  }

  test("on a phone: held after the password, a wrong code, the app's code, then a recovery code", async () => {
    const opened = await enrolled({ viewport: "phone" });
    try {
      const { page, email, key, recoveryCodes, consoleErrors } = opened;
      const shot = (state: string) => screenshot(page, `two-step-sign-in-${name}-phone-${state}`);

      const main = await passwordStep(page, email);
      // The password was right, and nothing is signed in yet.
      expect(await sessionUser(page)).toBeNull();
      await assertNoHorizontalOverflow(page);
      await shot("challenge");

      await submitCode(main, "Code from your app", wrongCode(key));
      await main.getByText("That code did not match.").waitFor();
      expect(await main.getByRole("alert").first().textContent()).toContain("(4 tries left.)");
      await expect.poll(() => main.getByLabel("Code from your app").inputValue()).toBe("");
      expect(await sessionUser(page)).toBeNull();
      await assertNoHorizontalOverflow(page);
      await shot("wrong-code");

      const code = nextCode(key);
      await submitCode(main, "Code from your app", code);
      await page.waitForURL(`${app().url}/account`);
      expect(await sessionUser(page)).not.toBeNull();

      // The code that signed in does not sign in again.
      await signOut(page);
      const again = await passwordStep(page, email);
      await submitCode(again, "Code from your app", code);
      // Already used while its step lasts, simply wrong after: either way, not signed in.
      await again.getByText(/That code was already used|That code did not match/).waitFor();
      expect(await sessionUser(page)).toBeNull();

      // A recovery code instead.
      await again.getByRole("link", { name: "Use a recovery code instead" }).click();
      await again.getByLabel("Recovery code").waitFor();
      await assertNoHorizontalOverflow(page);
      await shot("recovery-code");
      await submitCode(again, "Recovery code", (recoveryCodes[2] ?? "").toUpperCase());
      await page.waitForURL(`${app().url}/account`);
      const section = page.getByRole("region", { name: "Two-step verification" });
      await section.getByText("9 of 10 recovery codes left").waitFor();
      const activity = page.getByRole("region", { name: "Security activity" });
      expect(await activity.textContent()).toContain("Recovery code used");
      expect(await activity.textContent()).toContain("Wrong two-step verification code");

      // The same recovery code does not work twice.
      await signOut(page);
      const third = await passwordStep(page, email);
      await third.getByRole("link", { name: "Use a recovery code instead" }).click();
      await submitCode(third, "Recovery code", recoveryCodes[2] ?? "");
      await third.getByText("That recovery code was already used.").waitFor();
      expect(await sessionUser(page)).toBeNull();

      expect(consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("on a desktop, dark: five wrong codes end the sign-in; cancel; turned off, the password is enough", async () => {
    const opened = await enrolled({ viewport: "desktop", colorScheme: "dark" });
    try {
      const { page, email, key, consoleErrors } = opened;
      const shot = (state: string) =>
        screenshot(page, `two-step-sign-in-${name}-desktop-dark-${state}`);

      const main = await passwordStep(page, email);
      await shot("challenge");
      for (let tries = 4; tries >= 1; tries--) {
        await submitCode(main, "Code from your app", wrongCode(key));
        await main
          .getByText(tries === 1 ? "(1 try left.)" : `(${tries} tries left.)`, { exact: false })
          .waitFor();
      }
      await submitCode(main, "Code from your app", wrongCode(key));
      await main.getByRole("link", { name: "Sign in again" }).waitFor();
      await shot("ended");
      // The page, opened again, says so too, and the right code has nowhere to go.
      await page.goto(`${app().url}/sign-in/second-factor`);
      await main.getByRole("heading", { name: "This sign\u2011in has ended" }).waitFor();
      expect(await sessionUser(page)).toBeNull();

      // Cancel: back to the sign-in page, and the challenge is gone.
      await passwordStep(page, email);
      await main.getByRole("button", { name: "Cancel and go back to sign-in" }).click();
      await page.waitForURL(`${app().url}/sign-in`);
      await page.goto(`${app().url}/sign-in/second-factor`);
      await main.getByRole("heading", { name: "This sign\u2011in has ended" }).waitFor();

      // Signed in with the code, turn the app off; then the password alone signs in.
      const challenge = await passwordStep(page, email);
      await submitCode(challenge, "Code from your app", nextCode(key));
      await page.waitForURL(`${app().url}/account`);
      const section = page.getByRole("region", { name: "Two-step verification" });
      await section.getByRole("button", { name: "Turn off two-step verification" }).click();
      await section.getByRole("button", { name: "Turn off", exact: true }).click();
      await section.getByRole("button", { name: "Set up authenticator app" }).waitFor();
      await signOut(page);
      await page.goto(`${app().url}/sign-in?callbackUrl=/account`);
      await main.getByLabel("Email", { exact: true }).fill(email);
      await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await main.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(`${app().url}/account`);
      expect(await sessionUser(page)).not.toBeNull();

      expect(consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});

describe("a provider sign-in held for two-step verification (embedded)", () => {
  let rig: Rig | undefined;
  beforeAll(async () => {
    rig = await startRig({ backend: "embedded" });
  });
  afterAll(async () => {
    await rig?.stop();
  });
  printServerOutputOnFailure(() => rig?.app);

  test("GitHub: \"Confirm it's you\" with the app's code; signing in again stops at the challenge", async () => {
    if (!browser || !rig) throw new Error("the browser or the app did not start");
    const { app, idp } = rig;
    idp.setIdentity("github", {
      id: 5150,
      login: "hedy",
      name: "Hedy GitHub",
      email: null,
      emails: [{ email: "hedy-gh@example.com", primary: true, verified: true }],
    });
    const opened = await openPage(browser, `${app.url}/sign-in`, { viewport: "phone" });
    const { page } = opened;
    const viaGitHub = async () => {
      await page.goto(`${app.url}/sign-in?callbackUrl=/account`);
      await page.getByRole("button", { name: "Continue with GitHub" }).click();
      await page.getByRole("button", { name: "Authorize" }).click();
    };
    try {
      // First sign-in creates the account; turn the app on from the account page.
      await viaGitHub();
      await page.waitForURL(`${app.url}/account`);
      const section = page.getByRole("region", { name: "Two-step verification" });
      await section.getByRole("button", { name: "Set up authenticator app" }).click();
      const keyText = section.locator("[data-totp-key]");
      await keyText.waitFor();
      const key = ((await keyText.textContent()) ?? "").replace(/\s+/g, "");
      await section.getByLabel("6-digit code").fill(currentCode(key));
      await section.getByRole("button", { name: "Turn on" }).click();
      const codes = section.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
      const recoveryCode = ((await codes.first().textContent()) ?? "").trim();
      await section.getByRole("button", { name: "I have saved them" }).click();

      // "Confirm it's you": the app's code instead of a sign-in with GitHub.
      await page.goto(`${app.url}/sign-in?reauth=1&callbackUrl=/account`);
      const confirm = page.getByRole("region", { name: "With your authenticator app" });
      await confirm.getByLabel("Code from your app").fill(wrongCode(key));
      await confirm.getByRole("button", { name: "Verify" }).click();
      await confirm.getByText("That code did not match.").waitFor();
      await assertNoHorizontalOverflow(page);
      await screenshot(page, "two-step-confirm-phone-wrong-code");
      await confirm.getByLabel("Code from your app").fill(nextCode(key));
      await confirm.getByRole("button", { name: "Verify" }).click();
      await page.waitForURL(`${app.url}/account`);
      // A fresh sign-in replaced this browser's session: one device, signed in with GitHub.
      const devices = page.getByRole("region", { name: "Devices" });
      expect(await devices.getByRole("listitem").count()).toBe(1);

      await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();

      // Signing in with GitHub again stops at the challenge, signed out; a recovery code (the
      // app's codes of this step and the next are spent) finishes it.
      await viaGitHub();
      await page.waitForURL(`${app.url}/sign-in/second-factor`);
      expect(await sessionUser(page)).toBeNull();
      const main = page.getByRole("main");
      await main.getByRole("link", { name: "Use a recovery code instead" }).click();
      await main.getByLabel("Recovery code").fill(recoveryCode);
      await main.getByRole("button", { name: "Verify" }).click();
      await page.waitForURL(`${app.url}/account`);
      expect(await sessionUser(page)).not.toBeNull();
      const activity = page.getByRole("region", { name: "Security activity" });
      expect(await activity.textContent()).toContain("Signed in with GitHub");
      // The fake provider's own page has no favicon; every other error is the app's.
      expect(
        opened.consoleErrors.filter((line) => !line.endsWith(`(${idp.url}/favicon.ico)`)),
      ).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
