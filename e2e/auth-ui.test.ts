// The sign-in, sign-up and sign-in error pages in Chromium against `next build && next
// start` on the embedded backend: the provider grid's layout on a phone and a desktop,
// password sign-up → sign-out → sign-in, what a failed attempt says, and the back/forward
// cache spinner fix against the local fake identity provider. Screenshots of every page at
// 360 and 1280 px, light and dark, land in test-results/screenshots/.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { messages } from "@/lib/auth/schemas";

import {
  assertNoHorizontalOverflow,
  launchBrowser,
  openPage,
  screenshot,
  viewports,
  type ColorScheme,
  type OpenedPage,
  type OpenPageOptions,
  type ViewportName,
  viewportScreenshot,
} from "./support/browser";
import { createPasswordAccount } from "./support/accounts";
import { startRig, type Rig } from "./support/rig";
import { printServerOutputOnFailure, type AppServer } from "./support/server";

/** The password form's one answer to every failed sign-in (lib/actions/auth.ts). */
const SIGN_IN_FAILED = "That email and password do not match an account.";
/** Long, unusual, and well inside 8–128 characters. */
const GOOD_PASSWORD = "violet tram 71 under the pier";

const providerNames = ["Google", "GitHub", "Stack Overflow", "Telegram"];

let browser: Browser | undefined;
let app: AppServer | undefined;
let rig: Rig | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  rig = await startRig({ backend: "embedded" });
  app = rig.app;
});

afterAll(async () => {
  await browser?.close();
  await rig?.stop();
});

printServerOutputOnFailure(() => app);

function server(): AppServer {
  if (!app) throw new Error("the app did not start (see beforeAll)");
  return app;
}

async function open(path: string, options: OpenPageOptions = {}): Promise<OpenedPage> {
  if (!browser) throw new Error("the browser did not launch (see beforeAll)");
  return openPage(browser, `${server().url}${path}`, options);
}

function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}@example.com`;
}

function providerButtons(page: Page) {
  return page.getByRole("button", { name: /^Continue with / });
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

async function providerButtonBoxes(page: Page): Promise<Box[]> {
  return providerButtons(page).evaluateAll((buttons) =>
    buttons.map((button) => {
      const { x, y, width, height } = button.getBoundingClientRect();
      return { x, y, width, height };
    }),
  );
}

/** The form-level message region inside the page's main content. */
function formAlert(page: Page) {
  return page.getByRole("main").getByRole("alert");
}

async function alertText(page: Page): Promise<string> {
  await expect.poll(async () => (await formAlert(page).textContent())?.trim() ?? "").not.toBe("");
  return (await formAlert(page).textContent())?.trim() ?? "";
}

/** Fills and submits the password sign-in form on the current page. */
async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  const main = page.getByRole("main");
  await main.getByLabel("Email", { exact: true }).fill(email);
  await main.getByLabel("Password", { exact: true }).fill(password);
  await main.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** The signed-in user as Auth.js's session endpoint sees it, or null. */
async function sessionUser(page: Page): Promise<unknown> {
  const response = await page.request.get(`${server().url}/api/auth/session`);
  const body = (await response.json()) as { user?: unknown } | null;
  return body?.user ?? null;
}

/** Creates an account through the sign-up page, signs in, waits until the header shows it. */
async function signUp(page: Page, email: string, password = GOOD_PASSWORD): Promise<void> {
  await createPasswordAccount(page, server().url, { email, password });
  const banner = page.getByRole("banner");
  await banner.getByRole("button", { name: "Sign out" }).waitFor();
  // The header says who is signed in (on a phone only to screen readers: see SiteHeader).
  expect(await banner.textContent()).toContain(`Signed in as ${email}`);
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
}

describe("the sign-in page", () => {
  test("shows a button per provider, then the password form and a link to sign up", async () => {
    const opened = await open("/sign-in");
    try {
      const { page } = opened;
      expect(opened.response?.status()).toBe(200);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(
        "Sign in to Gatehouse",
      );
      expect(await providerButtons(page).allTextContents()).toEqual(
        providerNames.map((name) => `Continue with ${name}`),
      );
      for (const name of providerNames) {
        const button = page.getByRole("button", { name: `Continue with ${name}`, exact: true });
        expect(await button.isVisible()).toBe(true);
      }
      const main = page.getByRole("main");
      // "webauthn": the browser's suggestions list this site's passkeys too (localhost can
      // have passkeys: e2e/passkeys.test.ts).
      expect(await main.getByLabel("Email", { exact: true }).getAttribute("autocomplete")).toBe(
        "username webauthn",
      );
      expect(await main.getByLabel("Password", { exact: true }).getAttribute("autocomplete")).toBe(
        "current-password",
      );
      expect(
        await main.getByRole("link", { name: "Create one with a password" }).getAttribute("href"),
      ).toBe("/sign-up");
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("provider buttons sit in one column on a phone and two on a desktop", async () => {
    const opened = await open("/sign-in", { viewport: "phone" });
    try {
      const { page } = opened;
      const phone = await providerButtonBoxes(page);
      expect(phone).toHaveLength(providerNames.length);
      // One column: the same left edge and width, each below the one before.
      for (const box of phone.slice(1)) {
        expect(Math.abs(box.x - phone[0]!.x)).toBeLessThan(1);
        expect(Math.abs(box.width - phone[0]!.width)).toBeLessThan(1);
      }
      phone.slice(1).forEach((box, index) => {
        const above = phone[index]!;
        expect(box.y).toBeGreaterThanOrEqual(above.y + above.height);
      });
      // Full width of the content column (360 px minus the page's side padding).
      expect(phone[0]!.width).toBeGreaterThan(viewports.phone.width - 64);
      // Thumb-sized, and every label on one line (a wrapped one makes the button taller).
      for (const box of phone) {
        expect(box.height).toBeGreaterThanOrEqual(44);
        expect(box.height).toBeLessThan(56);
      }
      await assertNoHorizontalOverflow(page);

      // The switch happens at exactly 480 px.
      await page.setViewportSize({ width: 479, height: 800 });
      const narrow = await providerButtonBoxes(page);
      expect(new Set(narrow.map((box) => Math.round(box.x))).size).toBe(1);
      await page.setViewportSize({ width: 480, height: 800 });
      const wide = await providerButtonBoxes(page);
      expect(new Set(wide.map((box) => Math.round(box.x))).size).toBe(2);
      // Two narrow columns show the provider's name alone, on one line each.
      for (const box of wide) expect(box.height).toBeLessThan(56);
      await screenshot(page, "sign-in-480-light");
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }

    const desktop = await open("/sign-in", { viewport: "desktop" });
    try {
      const boxes = await providerButtonBoxes(desktop.page);
      const [first, second, third, fourth] = boxes;
      if (!first || !second || !third || !fourth) {
        throw new Error(`expected 4 buttons, got ${boxes.length}`);
      }
      // Two columns: each pair shares a row, side by side and equally wide.
      for (const [left, right] of [
        [first, second],
        [third, fourth],
      ] as const) {
        expect(Math.abs(right.y - left.y)).toBeLessThan(1);
        expect(right.x).toBeGreaterThanOrEqual(left.x + left.width);
        expect(Math.abs(right.width - left.width)).toBeLessThan(1);
      }
      // The second row under the first, in the same columns.
      expect(third.y).toBeGreaterThanOrEqual(first.y + first.height);
      expect(Math.abs(third.x - first.x)).toBeLessThan(1);
      expect(desktop.consoleErrors).toEqual([]);
    } finally {
      await desktop.close();
    }
  });

  test("an Auth.js error code in the address becomes a friendly alert, not echoed text", async () => {
    const opened = await open("/sign-in?error=CredentialsSignin");
    try {
      const alert = opened.page.getByRole("main").getByRole("alert").first();
      expect(await alert.textContent()).toContain(SIGN_IN_FAILED);
      expect(await opened.page.locator("body").innerText()).not.toContain("CredentialsSignin");
    } finally {
      await opened.close();
    }
  });

  test("a foreign callbackUrl is replaced by the home page in every form and link", async () => {
    const opened = await open(
      `/sign-in?callbackUrl=${encodeURIComponent("https://evil.example/steal")}`,
    );
    try {
      const values = await opened.page
        .locator('input[name="callbackUrl"]')
        .evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
      // One per provider's form, and the password form's.
      expect(values).toHaveLength(providerNames.length + 1);
      expect(new Set(values)).toEqual(new Set(["/"]));
      const hrefs = await opened.page
        .locator("a[href]")
        .evaluateAll((links) => links.map((link) => link.getAttribute("href") ?? ""));
      expect(hrefs.filter((href) => href.includes("evil"))).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});

describe("password accounts", () => {
  test("sign up, sign out, sign in again (back to where the person was going)", async () => {
    const email = uniqueEmail("sign-up");
    const opened = await open("/sign-up");
    try {
      const { page } = opened;
      const main = page.getByRole("main");
      expect(await main.getByLabel("Password", { exact: true }).getAttribute("autocomplete")).toBe(
        "new-password",
      );
      await signUp(page, email);
      expect(new URL(page.url()).pathname).toBe("/");
      expect(await page.getByRole("banner").getByText(email).isVisible()).toBe(true);
      await screenshot(page, "signed-in-home-1280-light");
      // Signed in: the header names the person and offers "Sign out", not "Sign in".
      const banner = page.getByRole("banner");
      expect(await banner.getByRole("link", { name: "Sign in" }).count()).toBe(0);
      await signOut(page);
      expect(await banner.getByText(email).count()).toBe(0);

      // A signed-out visitor sent to sign in from somewhere returns there afterwards.
      await page.goto(`${server().url}/sign-in?callbackUrl=${encodeURIComponent("/?from=e2e")}`);
      await submitSignIn(page, email, GOOD_PASSWORD);
      await page.waitForURL(`${server().url}/?from=e2e`);
      await banner.getByText(email).waitFor();

      // Signed in, the sign-in page sends the person on instead of showing the forms.
      await page.goto(`${server().url}/sign-in`);
      expect(new URL(page.url()).pathname).toBe("/");
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("a wrong password and an unknown email get exactly the same answer", async () => {
    const email = uniqueEmail("known");
    const setup = await open("/", { viewport: "phone" });
    try {
      await signUp(setup.page, email);
      // Signed in on a phone, a long email in the header must not push the page sideways.
      await assertNoHorizontalOverflow(setup.page);
      await screenshot(setup.page, "signed-in-home-360-light");
    } finally {
      await setup.close();
    }

    const opened = await open("/sign-in", { viewport: "phone" });
    try {
      const { page } = opened;
      const main = page.getByRole("main");
      await submitSignIn(page, email, "not the right password");
      const wrongPassword = await alertText(page);
      // What was typed survives the failed attempt, except the password (polled: the message
      // can show a moment before React's reset of the form lands).
      await expect.poll(() => main.getByLabel("Email", { exact: true }).inputValue()).toBe(email);
      await expect.poll(() => main.getByLabel("Password", { exact: true }).inputValue()).toBe("");
      expect(
        await main.getByRole("button", { name: "Sign in", exact: true }).getAttribute("aria-busy"),
      ).toBe("false");

      await page.goto(`${server().url}/sign-in`);
      await submitSignIn(page, uniqueEmail("nobody"), "not the right password");
      const unknownEmail = await alertText(page);

      await screenshot(page, "sign-in-failed-360-light");
      expect(wrongPassword).toBe(SIGN_IN_FAILED);
      expect(unknownEmail).toBe(wrongPassword);
      expect(new URL(page.url()).pathname).toBe("/sign-in");
      // Still signed out. The header offers no "Sign in" on the sign-in page itself.
      const banner = page.getByRole("banner");
      expect(await banner.getByRole("button", { name: "Sign out" }).count()).toBe(0);
      expect(await banner.getByRole("link", { name: "Sign in" }).count()).toBe(0);
      expect(await sessionUser(page)).toBeNull();
    } finally {
      await opened.close();
    }
  });

  test("sign-up refuses a very common password, says why, and keeps the email", async () => {
    const email = uniqueEmail("common");
    const opened = await open("/sign-up", { viewport: "phone" });
    try {
      const { page } = opened;
      const main = page.getByRole("main");
      const password = main.getByLabel("Password", { exact: true });
      await main.getByLabel("Email", { exact: true }).fill(email);
      await password.fill("password123");
      await main.getByRole("button", { name: "Create account" }).click();

      await expect.poll(() => password.getAttribute("aria-invalid")).toBe("true");
      // The field's error is tied to it (aria-describedby) and says what is wrong.
      const describedBy = (await password.getAttribute("aria-describedby")) ?? "";
      const descriptions = await Promise.all(
        describedBy
          .split(/\s+/)
          .filter(Boolean)
          .map((id) => page.locator(`[id="${id}"]`).textContent()),
      );
      expect(descriptions).toContain(`Error: ${messages.passwordTooCommon}`);
      expect(descriptions.some((text) => (text ?? "").includes("8 to 128 characters"))).toBe(true);
      expect(await alertText(page)).toBe("Please fix the highlighted fields.");
      // The caret waits in the field to fix; the email is kept, the password is not.
      expect(await password.evaluate((input) => input === document.activeElement)).toBe(true);
      await expect.poll(() => main.getByLabel("Email", { exact: true }).inputValue()).toBe(email);
      await expect.poll(() => password.inputValue()).toBe("");
      expect(
        await main.getByLabel("Email", { exact: true }).getAttribute("aria-invalid"),
      ).toBeNull();
      await screenshot(page, "sign-up-refused-360-light");
      // Still signed out: nothing was created.
      expect(await page.getByRole("banner").getByRole("link", { name: "Sign in" }).count()).toBe(1);
      await assertNoHorizontalOverflow(page);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});

describe("the header and the words", () => {
  test("the header offers Sign in everywhere but on the sign-in page", async () => {
    const opened = await open("/sign-in", { viewport: "phone" });
    try {
      const { page } = opened;
      const banner = page.getByRole("banner");
      await page.getByRole("main").getByRole("button", { name: "Sign in", exact: true }).waitFor();
      expect(await banner.getByRole("link", { name: "Sign in" }).count()).toBe(0);
      for (const path of ["/", "/sign-up"]) {
        await page.goto(`${server().url}${path}`);
        expect(await banner.getByRole("link", { name: "Sign in" }).isVisible()).toBe(true);
      }
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("on a phone the account link says 'Account' next to the initial, without overflow", async () => {
    const email = uniqueEmail("header-label");
    const opened = await open("/", { viewport: "phone" });
    try {
      const { page } = opened;
      await signUp(page, email);
      const account = page.getByRole("banner").getByRole("link", { name: "Account" });
      expect(await account.isVisible()).toBe(true);
      expect(await account.innerText()).toMatch(/^[A-Z]\s*Account$/);
      const box = await account.boundingBox();
      expect(box?.height).toBeGreaterThanOrEqual(44);
      await assertNoHorizontalOverflow(page);
      await viewportScreenshot(page, "header-account-360-light");
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("sign-up answers 'Check your inbox', signs nobody in, and shows its progress", async () => {
    const email = uniqueEmail("inbox");
    const opened = await open("/sign-up?callbackUrl=%2Faccount", { viewport: "phone" });
    try {
      const { page } = opened;
      const main = page.getByRole("main");
      await main.getByLabel("Email", { exact: true }).fill(email);
      await main.getByLabel("Password", { exact: true }).fill(GOOD_PASSWORD);
      const submit = main.getByRole("button", { name: "Create account" });
      await submit.click();
      const answer = main.getByRole("region", { name: "Check your inbox" });
      await answer.waitFor();
      expect(await answer.innerText()).toContain(`We've sent a link to ${email} to confirm it.`);
      // The caret is on the answer (the form it replaced is gone), which is in view.
      expect(await page.evaluate(() => document.activeElement?.textContent ?? null)).toBe(
        "Check your inbox",
      );
      expect(await sessionUser(page)).toBeNull();
      await assertNoHorizontalOverflow(page);
      await viewportScreenshot(page, "sign-up-check-inbox-360-light");
      // Its "Sign in" goes where the sign-up was opened from.
      await answer.getByRole("link", { name: "Sign in" }).click();
      await page.waitForURL(`${server().url}/sign-in?callbackUrl=%2Faccount`);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});

describe("the sign-in error page", () => {
  test("explains EmailNotVerified with the provider's name and the way out", async () => {
    const opened = await open("/auth/error?error=EmailNotVerified&provider=github");
    try {
      const { page } = opened;
      const main = page.getByRole("main");
      const text = (await main.textContent()) ?? "";
      expect(text).toContain(
        "That GitHub account's email is not verified, and an account with that email already exists.",
      );
      expect(text).toContain(
        "Sign in the way you did before, then link GitHub from your account page.",
      );
      expect(await main.getByRole("link", { name: "Back to sign in" }).getAttribute("href")).toBe(
        "/sign-in",
      );
      expect(
        await main.getByRole("link", { name: "Go to the home page" }).getAttribute("href"),
      ).toBe("/");
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("an unknown code and provider get the generic copy, and none of the query is echoed", async () => {
    const marker = `Bogus${randomBytes(4).toString("hex")}`;
    const query = new URLSearchParams({
      error: `<img src=x onerror=alert(1)>${marker}`,
      provider: `${marker}Provider`,
    });
    const opened = await open(`/auth/error?${query.toString()}`);
    try {
      const { page } = opened;
      const main = page.getByRole("main");
      expect(await main.getByRole("heading", { level: 1 }).textContent()).toBe(
        "Sign-in did not work",
      );
      expect(await main.textContent()).toContain("Something went wrong while signing you in.");
      expect(await main.getByRole("link", { name: "Back to sign in" }).isVisible()).toBe(true);
      // Nothing from the query string reaches the page: no text, no element. (Next's own
      // router state keeps the address as JSON inside a script; that is not page content.)
      expect(await page.locator("body").innerText()).not.toContain(marker);
      expect(await page.locator("body img").count()).toBe(0);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("an inherited property name is not a code", async () => {
    const opened = await open("/auth/error?error=constructor");
    try {
      expect(
        await opened.page.getByRole("main").getByRole("heading", { level: 1 }).textContent(),
      ).toBe("Sign-in did not work");
    } finally {
      await opened.close();
    }
  });
});

describe("the pending spinner", () => {
  test("Back from the provider's page leaves no spinner and the buttons work again", async () => {
    // What a person sees after "Back". Chromium reloads this page rather than restoring it
    // from the back/forward cache (it is no-store and the flow changed cookies; Playwright
    // also turns the cache off), so the restore path itself is covered by the next test.
    const opened = await open("/sign-in");
    try {
      const { page } = opened;
      const github = page.getByRole("button", { name: "Continue with GitHub" });
      await github.click();
      await page.getByRole("heading", { name: "Fake GitHub — authorize Gatehouse" }).waitFor();

      await page.goBack();
      await github.waitFor();
      expect(new URL(page.url()).pathname).toBe("/sign-in");
      expect(await page.locator('[aria-busy="true"]').count()).toBe(0);
      expect(await page.locator("[data-spinner]").count()).toBe(0);
      for (const name of providerNames) {
        const button = page.getByRole("button", { name: `Continue with ${name}`, exact: true });
        expect(await button.isEnabled()).toBe(true);
      }

      // And a second attempt starts a fresh flow.
      await github.click();
      await page.getByRole("heading", { name: "Fake GitHub — authorize Gatehouse" }).waitFor();
    } finally {
      await opened.close();
    }
  });

  test("a page restored from the back/forward cache drops its pending state", async () => {
    // A browser that does keep the page in its back/forward cache shows it exactly as it
    // was left. This drives that restore directly: a sign-in that never answers leaves the
    // spinner up, then `pageshow` with `persisted` arrives as it does on "Back".
    const opened = await open("/sign-in");
    try {
      const { page } = opened;
      await page.route(
        (url) => url.pathname === "/sign-in",
        async (route) => {
          if (route.request().method() === "POST") return; // never answered
          await route.fallback();
        },
      );
      const github = page.getByRole("button", { name: "Continue with GitHub" });
      await github.click();
      await expect.poll(() => github.getAttribute("aria-busy")).toBe("true");
      expect(await page.locator("[data-spinner]").count()).toBe(1);
      expect(await page.getByRole("button", { name: "Continue with Google" }).isDisabled()).toBe(
        true,
      );
      await screenshot(page, "sign-in-pending-1280-light");
      // The polite live region says what is happening, outside the button's name.
      expect(await page.locator('[aria-live="polite"]').allTextContents()).toContain(
        "Redirecting to GitHub…",
      );

      // An ordinary pageshow (a fresh load) changes nothing...
      await page.evaluate(() => {
        window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: false }));
      });
      expect(await github.getAttribute("aria-busy")).toBe("true");
      // ...a restore from the cache resets every pending state.
      await page.evaluate(() => {
        window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true }));
      });
      await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
      expect(await page.locator("[data-spinner]").count()).toBe(0);
      expect(await page.getByRole("button", { name: "Continue with Google" }).isEnabled()).toBe(
        true,
      );
    } finally {
      await opened.close();
    }
  });

  test("the password form shows a spinner while signing in, reset the same way", async () => {
    const opened = await open("/sign-in");
    try {
      const { page } = opened;
      await page.route(
        (url) => url.pathname === "/sign-in",
        async (route) => {
          if (route.request().method() === "POST") return; // never answered
          await route.fallback();
        },
      );
      const submit = page.getByRole("main").getByRole("button", { name: "Sign in", exact: true });
      await submitSignIn(page, uniqueEmail("slow"), GOOD_PASSWORD);
      await expect.poll(() => submit.getAttribute("aria-busy")).toBe("true");
      expect(await submit.locator("[data-spinner]").count()).toBe(1);
      // It says what it is doing, on the button (its name stays "Sign in") and aloud.
      const shown = submit.locator('span[aria-hidden="true"]');
      expect(await shown.textContent()).toBe("Signing in…");
      expect(await shown.isVisible()).toBe(true);
      expect(await page.locator('[aria-live="polite"]').allTextContents()).toContain("Signing in…");
      await screenshot(page, "sign-in-password-pending-1280-light");
      await page.evaluate(() => {
        window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true }));
      });
      await expect.poll(() => submit.getAttribute("aria-busy")).toBe("false");
      expect(await page.locator("[data-spinner]").count()).toBe(0);
      expect(await shown.count()).toBe(0);
      expect(await submit.innerText()).toBe("Sign in");
    } finally {
      await opened.close();
    }
  });
});

describe("every auth page in every layout", () => {
  const pages = [
    { name: "sign-in", path: "/sign-in", heading: "Sign in to Gatehouse" },
    { name: "sign-up", path: "/sign-up", heading: "Create an account" },
    {
      name: "auth-error",
      path: "/auth/error?error=EmailNotVerified&provider=github",
      heading: "Sign in the way you did before",
    },
  ];
  const layouts: [ViewportName, ColorScheme][] = [
    ["phone", "light"],
    ["phone", "dark"],
    ["desktop", "light"],
    ["desktop", "dark"],
  ];

  for (const { name, path, heading } of pages) {
    for (const [viewport, scheme] of layouts) {
      const width = viewports[viewport].width;
      test(`${name} at ${width} px in ${scheme} mode`, async () => {
        const opened = await open(path, { viewport, colorScheme: scheme });
        try {
          const { page } = opened;
          expect(opened.response?.status()).toBe(200);
          expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(heading);
          await assertNoHorizontalOverflow(page);
          // Every control is big enough to hit with a thumb.
          const small = await page
            .getByRole("main")
            .locator("input:not([type=hidden]), button")
            .evaluateAll((elements) =>
              elements
                .filter((element) => element.getBoundingClientRect().height < 44)
                .map((element) => element.outerHTML.slice(0, 80)),
            );
          expect(small).toEqual([]);
          await screenshot(page, `${name}-${width}-${scheme}`);
          expect(opened.consoleErrors).toEqual([]);
        } finally {
          await opened.close();
        }
      });
    }
  }
});
