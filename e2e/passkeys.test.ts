// Passkeys in Chromium against `next build` served by `npm start` (embedded backend), with
// Chromium's virtual authenticator (CDP WebAuthn domain): adding a named passkey on /account,
// signing in with "Sign in with a passkey" and with the email field's autofill, "last used"
// on the account page, removing one, and a passkey-only account that cannot remove its last
// way in. Screenshots of /sign-in and the Passkeys section at 360 and 1280 px, light and
// dark, with no sideways scrolling.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import {
  assertNoHorizontalOverflow,
  launchBrowser,
  openPage,
  screenshot,
  screenshotDir,
  type OpenedPage,
  type OpenPageOptions,
} from "./support/browser";
import { createPasswordAccountByRequest } from "./support/accounts";
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

function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}@example.com`;
}

/**
 * A page with a virtual authenticator: a platform authenticator that holds discoverable
 * credentials, verifies the person and answers at once. `autofill: false` makes the browser
 * say it has no passkey autofill, so the button's own ceremony can be tested: the virtual
 * authenticator would otherwise answer the page-load autofill ceremony by itself.
 */
async function openWithAuthenticator(
  path: string,
  options: OpenPageOptions & { autofill?: boolean } = {},
): Promise<OpenedPage & { authenticator: Authenticator }> {
  if (!browser) throw new Error("the browser did not launch (see beforeAll)");
  // A blank page first: the authenticator and the init script are in place before the
  // app's first page loads.
  const opened = await openPage(browser, "about:blank", options);
  const authenticator = await addAuthenticator(opened.context, opened.page);
  if (options.autofill === false) {
    await opened.context.addInitScript(() => {
      if ("PublicKeyCredential" in window) {
        PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
      }
    });
  }
  await opened.page.goto(`${r().app.url}${path}`);
  return { ...opened, authenticator };
}

interface Authenticator {
  credentialCount(): Promise<number>;
  /** Forgets its credentials (the server still has the passkeys). */
  clear(): Promise<void>;
}

async function addAuthenticator(context: BrowserContext, page: Page): Promise<Authenticator> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    async credentialCount() {
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      return credentials.length;
    },
    async clear() {
      await cdp.send("WebAuthn.clearCredentials", { authenticatorId });
    },
  };
}

function banner(page: Page) {
  return page.getByRole("banner");
}

async function signOut(page: Page): Promise<void> {
  await banner(page).getByRole("button", { name: "Sign out" }).click();
  await banner(page).getByRole("link", { name: "Sign in" }).waitFor();
}

async function gotoAccount(page: Page): Promise<Locator> {
  await page.goto(`${r().app.url}/account`);
  await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
  return page.getByRole("region", { name: "Passkeys" });
}

/** "Add a passkey" with `name`; waits for the success message and the refreshed list. */
async function addPasskey(passkeys: Locator, name: string): Promise<void> {
  await passkeys.getByLabel("Name").fill(name);
  await passkeys.getByRole("button", { name: "Add a passkey" }).click();
  await passkeys.getByText(`Passkey “${name}” added. You can sign in with it now.`).waitFor();
  await passkeys.getByRole("listitem").filter({ hasText: name }).waitFor();
}

async function elementScreenshot(element: Locator, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await element.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

describe("passkeys", () => {
  test("add a named passkey, sign out, sign in with the button, see it used, remove it", async () => {
    const email = uniqueEmail("passkey");
    const opened = await openWithAuthenticator("/sign-up", { autofill: false });
    try {
      const { page, authenticator, consoleErrors } = opened;
      await createPasswordAccountByRequest(page, r().app.url, { email, password: PASSWORD });
      let passkeys = await gotoAccount(page);
      await passkeys.getByText("No passkeys yet.").waitFor();
      await addPasskey(passkeys, "Work laptop");
      expect(await authenticator.credentialCount()).toBe(1);
      const row = passkeys.getByRole("listitem").filter({ hasText: "Work laptop" });
      expect(await row.innerText()).toMatch(/Added \d{1,2} \w{3} \d{4}[\s·,]*never used/);
      // Sign-in methods counts the passkey: the password is no longer the only way in.
      await signOut(page);

      await page.goto(`${r().app.url}/sign-in`);
      const main = page.getByRole("main");
      expect(await main.getByLabel("Email", { exact: true }).getAttribute("autocomplete")).toBe(
        "username webauthn",
      );
      await main.getByRole("button", { name: "Sign in with a passkey" }).click();
      await banner(page).getByRole("button", { name: "Sign out" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/");

      passkeys = await gotoAccount(page);
      expect(await row.innerText()).toMatch(/last used just now/);
      // The session says how it signed in.
      await page
        .getByRole("region", { name: "Devices" })
        .getByText("Signed in with a passkey")
        .first()
        .waitFor();

      await row.getByRole("button", { name: "Remove Work laptop" }).click();
      const confirm = passkeys.getByRole("group", { name: "Remove “Work laptop”?" });
      await confirm.getByRole("button", { name: "Remove Work laptop" }).click();
      await passkeys
        .getByText("“Work laptop” is removed. You can also delete it from your device")
        .waitFor();
      await passkeys.getByText("No passkeys yet.").waitFor();
      await assertNoHorizontalOverflow(page);
      expect(consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("the email field's autofill signs in with the passkey on page load", async () => {
    const email = uniqueEmail("autofill");
    const opened = await openWithAuthenticator("/sign-up");
    try {
      const { page, consoleErrors } = opened;
      await createPasswordAccountByRequest(page, r().app.url, { email, password: PASSWORD });
      await addPasskey(await gotoAccount(page), "Phone");
      await signOut(page);
      // The virtual authenticator picks the suggestion itself, as a person would.
      await page.goto(`${r().app.url}/sign-in`);
      await banner(page).getByRole("button", { name: "Sign out" }).waitFor();
      const passkeys = await gotoAccount(page);
      expect(await passkeys.getByRole("listitem").filter({ hasText: "Phone" }).innerText()).toMatch(
        /last used just now/,
      );
      expect(consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("a passkey-only account cannot remove its last way in", async () => {
    const { idp } = r();
    idp.setIdentity("github", {
      id: Number.parseInt(randomBytes(3).toString("hex"), 16) + 2_000_000,
      login: "keyholder",
      name: "Key Holder",
      email: null,
      emails: [],
    });
    const opened = await openWithAuthenticator("/sign-in", { autofill: false });
    try {
      const { page, consoleErrors } = opened;
      await page.getByRole("main").getByRole("button", { name: "Continue with GitHub" }).click();
      await page.getByRole("button", { name: "Authorize" }).click();
      await banner(page).getByRole("button", { name: "Sign out" }).waitFor();
      const passkeys = await gotoAccount(page);
      await addPasskey(passkeys, "Only key");
      // GitHub can go now: the passkey is another way in.
      const methods = page.getByRole("region", { name: "Sign-in methods" });
      await methods.getByRole("button", { name: "Unlink GitHub" }).click();
      await methods
        .getByRole("group", { name: "Unlink GitHub?" })
        .getByRole("button", { name: "Unlink GitHub" })
        .click();
      await methods.getByText("GitHub is no longer linked.").waitFor();
      await methods.getByText("No provider or password: you sign in with a passkey.").waitFor();

      // The passkey is the last way in: Remove is disabled and says why.
      const remove = passkeys.getByRole("button", { name: "Remove Only key" });
      await passkeys
        .getByText("This passkey is your only way to sign in, so it cannot be removed.")
        .waitFor();
      expect(await remove.isDisabled()).toBe(true);
      expect(await remove.getAttribute("aria-describedby")).toBeTruthy();
      await assertNoHorizontalOverflow(page);
      await elementScreenshot(passkeys, "passkeys-last-way-1280-light");

      // And it signs in on its own.
      await signOut(page);
      await page.goto(`${r().app.url}/sign-in`);
      await page.getByRole("main").getByRole("button", { name: "Sign in with a passkey" }).click();
      await banner(page).getByRole("button", { name: "Sign out" }).waitFor();
      expect(consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  for (const viewport of ["phone", "desktop"] as const) {
    for (const colorScheme of ["light", "dark"] as const) {
      test(`looks right at ${viewport} size, ${colorScheme}`, async () => {
        const width = viewport === "phone" ? 360 : 1280;
        const shot = (name: string) => `passkeys-${name}-${width}-${colorScheme}`;
        const opened = await openWithAuthenticator("/sign-in", {
          viewport,
          colorScheme,
          autofill: false,
        });
        try {
          const { page, authenticator, consoleErrors } = opened;
          await page
            .getByRole("main")
            .getByRole("button", { name: "Sign in with a passkey" })
            .waitFor();
          await assertNoHorizontalOverflow(page);
          await screenshot(page, shot("sign-in"));

          await createPasswordAccountByRequest(page, r().app.url, {
            email: uniqueEmail("looks"),
            password: PASSWORD,
          });
          const passkeys = await gotoAccount(page);
          await passkeys.scrollIntoViewIfNeeded();
          await assertNoHorizontalOverflow(page);
          await elementScreenshot(passkeys, shot("empty"));

          await addPasskey(passkeys, "Work laptop");
          // A second passkey from "another device": the authenticator forgets the first, so
          // the registration's excludeCredentials does not stop it.
          await authenticator.clear();
          await addPasskey(passkeys, "A security key with a rather long name, 64 characters.");
          await assertNoHorizontalOverflow(page);
          await elementScreenshot(passkeys, shot("two"));

          await passkeys.getByRole("button", { name: "Remove Work laptop" }).click();
          await passkeys.getByRole("group", { name: "Remove “Work laptop”?" }).waitFor();
          await assertNoHorizontalOverflow(page);
          await elementScreenshot(passkeys, shot("confirm"));
          await passkeys
            .getByRole("group", { name: "Remove “Work laptop”?" })
            .getByRole("button", { name: "Remove Work laptop" })
            .click();
          await passkeys.getByText("“Work laptop” is removed.", { exact: false }).waitFor();

          await passkeys.getByRole("button", { name: /^Rename A security key/ }).click();
          await passkeys.getByLabel(/^New name for/).waitFor();
          await assertNoHorizontalOverflow(page);
          await elementScreenshot(passkeys, shot("rename"));
          expect(consoleErrors).toEqual([]);
        } finally {
          await opened.close();
        }
      });
    }
  }
});
