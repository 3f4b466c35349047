// Two-step verification on the account page in Chromium against `npm start` (server.mjs), on
// both backends: set up an authenticator app by reading the key off the page and computing
// its current code here (otpauth, as an app would), turn it on, see the ten recovery codes
// once (copy, download), dismiss them, make new ones, turn it off. Double presses change
// nothing twice. Screenshots at 360 px (light) and 1280 px (dark); no sideways scrolling.
//
// Signing in with the code is e2e/two-step-sign-in.test.ts.
import { readFile } from "node:fs/promises";

import { Secret, TOTP } from "otpauth";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { createPasswordAccountByRequest } from "./support/accounts";
import {
  assertNoHorizontalOverflow,
  launchBrowser,
  openPage,
  screenshot,
  viewportPlacement,
  type OpenedPage,
  type OpenPageOptions,
} from "./support/browser";
import { uniqueEmail } from "./support/mail";
import { appForSuite, startEmbeddedApp, startPostgresApp } from "./support/server";

const PASSWORD = "lantern quay 93 past the mill";
const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const RECOVERY_CODE = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;

let browser: Browser | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** What an authenticator app shows for `key` right now. */
function currentCode(key: string): string {
  return TOTP.generate({
    secret: Secret.fromBase32(key),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
}

/** The key as the page shows it, without the spaces between its groups. */
async function keyOnPage(section: Locator): Promise<string> {
  const text = (await section.locator("[data-totp-key]").textContent()) ?? "";
  return text.replace(/\s+/g, "");
}

/** The recovery codes on screen, in order. */
async function codesOnPage(section: Locator): Promise<string[]> {
  const list = section.getByRole("list", { name: "Recovery codes" });
  return (await list.getByRole("listitem").allTextContents()).map((code) => code.trim());
}

/** How many events of the activity list read `title`. */
async function activityCount(page: Page, title: string): Promise<number> {
  const activity = page.getByRole("region", { name: "Security activity" });
  const texts = await activity.getByRole("listitem").allTextContents();
  return texts.filter((text) => text.includes(title)).length;
}

describe.each([
  { name: "embedded", start: () => startEmbeddedApp() },
  ...(databaseUrl && redisUrl
    ? [{ name: "postgres", start: () => startPostgresApp({ databaseUrl, redisUrl }) }]
    : []),
])("two-step verification on the account page, $name", ({ name, start }) => {
  const app = appForSuite(start);

  async function signedIn(options: OpenPageOptions): Promise<OpenedPage> {
    if (!browser) throw new Error("the browser did not launch (see beforeAll)");
    const opened = await openPage(browser, `${app().url}/sign-up`, options);
    await createPasswordAccountByRequest(
      opened.page,
      app().url,
      {
        email: uniqueEmail("two-step"),
        password: PASSWORD,
      },
      { landOn: "/account#two-step" },
    );
    return opened;
  }

  test("on a phone: set up, turn on, save the codes, make new ones, turn off", async () => {
    const opened = await signedIn({ viewport: "phone" });
    try {
      const { page, consoleErrors } = opened;
      const section = page.getByRole("region", { name: "Two-step verification" });
      const shot = (state: string) => screenshot(page, `two-step-${name}-phone-light-${state}`);

      // Off: one button.
      await assertNoHorizontalOverflow(page);
      await section.getByRole("button", { name: "Set up authenticator app" }).click();

      // Set-up: the QR code (drawn on the server, big enough to scan) and the key as text.
      const qr = section.getByRole("img", { name: "QR code for your authenticator app" });
      await qr.waitFor();
      const box = await qr.boundingBox();
      expect(box?.width).toBeGreaterThanOrEqual(180);
      expect(await qr.locator("svg path").count()).toBe(1);
      const key = await keyOnPage(section);
      expect(key).toMatch(/^[A-Z2-7]{32}$/);
      const field = section.getByLabel("6-digit code");
      expect(await field.getAttribute("inputmode")).toBe("numeric");
      expect(await field.getAttribute("autocomplete")).toBe("one-time-code");
      await assertNoHorizontalOverflow(page);
      await shot("setup");

      // A wrong code is refused next to the field, which empties for the newest code.
      const wrong = currentCode(key) === "000000" ? "111111" : "000000";
      await field.fill(wrong);
      await section.getByRole("button", { name: "Turn on" }).click();
      await section.getByText("That code did not match.").waitFor();
      await expect.poll(() => field.inputValue()).toBe("");

      // The right one turns it on: ten codes, once.
      await field.fill(currentCode(key));
      await section.getByRole("button", { name: "Turn on" }).click();
      const saveTitle = section.getByRole("heading", { name: "Save your recovery codes" });
      await saveTitle.waitFor();
      const codes = await codesOnPage(section);
      expect(codes).toHaveLength(10);
      for (const code of codes) expect(code).toMatch(RECOVERY_CODE);
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.textContent))
        .toBe("Save your recovery codes");
      expect(await section.textContent()).toContain("They will not be shown again.");
      await expect.poll(() => viewportPlacement(saveTitle)).toBe("visible");
      await assertNoHorizontalOverflow(page);
      await shot("codes");

      // Dismissed, they are gone for good; the status counts them.
      await section.getByRole("button", { name: "I have saved them" }).click();
      await section.getByText("10 of 10 recovery codes left").waitFor();
      expect(await section.textContent()).not.toContain(codes[0]);
      await page.reload();
      await section.getByText("10 of 10 recovery codes left").waitFor();
      expect(await section.textContent()).toMatch(/On since \d{1,2} \w{3} \d{4}/);
      expect(await page.content()).not.toContain(codes[0]);
      expect(await page.content()).not.toContain(key);
      expect(await activityCount(page, "Two-step verification turned on")).toBe(1);
      await assertNoHorizontalOverflow(page);
      await shot("on");

      // New codes: after a confirmation that the old ones stop working.
      await section.getByRole("button", { name: "New recovery codes" }).click();
      expect(await section.textContent()).toContain(
        "Your current recovery codes will stop working",
      );
      await section.getByRole("button", { name: "Make new codes" }).click();
      await saveTitle.waitFor();
      const fresh = await codesOnPage(section);
      expect(fresh).toHaveLength(10);
      expect(fresh.filter((code) => codes.includes(code))).toEqual([]);
      await section.getByRole("button", { name: "I have saved them" }).click();
      await section.getByText("10 of 10 recovery codes left").waitFor();
      await page.reload();
      expect(await activityCount(page, "New recovery codes created")).toBe(1);

      // Turn off: after a confirmation; back to the one button.
      await section.getByRole("button", { name: "Turn off two-step verification" }).click();
      await assertNoHorizontalOverflow(page);
      await shot("turn-off");
      await section.getByRole("button", { name: "Turn off", exact: true }).click();
      await section.getByRole("button", { name: "Set up authenticator app" }).waitFor();
      expect(await section.getByRole("status").textContent()).toContain(
        "Two-step verification is off.",
      );
      await page.reload();
      expect(await activityCount(page, "Two-step verification turned off")).toBe(1);

      expect(consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  test("on a desktop, dark: double presses set up and turn on once; codes copy and download", async () => {
    const opened = await signedIn({ viewport: "desktop", colorScheme: "dark" });
    try {
      const { page, context, consoleErrors } = opened;
      await context.grantPermissions(["clipboard-read", "clipboard-write"]);
      const section = page.getByRole("region", { name: "Two-step verification" });
      const shot = (state: string) => screenshot(page, `two-step-${name}-desktop-dark-${state}`);
      await page
        .getByRole("navigation", { name: "Account sections" })
        .getByRole("link", { name: "Two-step verification" })
        .waitFor();

      await section.getByRole("button", { name: "Set up authenticator app" }).dblclick();
      await section.locator("[data-totp-key]").waitFor();
      // Any second start would have replaced the key: the one on the page must still work.
      await page.waitForLoadState("networkidle");
      const key = await keyOnPage(section);
      await shot("setup");

      await section.getByLabel("6-digit code").fill(currentCode(key));
      await section.getByRole("button", { name: "Turn on" }).dblclick();
      await section.getByRole("heading", { name: "Save your recovery codes" }).waitFor();
      const codes = await codesOnPage(section);
      expect(codes).toHaveLength(10);
      await shot("codes");

      await section.getByRole("button", { name: "Copy all" }).click();
      await section.getByText("Copied. Paste them somewhere safe.").waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(codes.join("\n"));

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        section.getByRole("button", { name: "Download .txt" }).click(),
      ]);
      expect(download.suggestedFilename()).toBe("gatehouse-recovery-codes.txt");
      const saved = await readFile(await download.path(), "utf8");
      expect(saved.split("\n").filter((line) => RECOVERY_CODE.test(line))).toEqual(codes);

      await section.getByRole("button", { name: "I have saved them" }).click();
      await section.getByText("10 of 10 recovery codes left").waitFor();
      await page.reload();
      await section.getByText("10 of 10 recovery codes left").waitFor();
      // One press counted: one event, and no refusal left on the page.
      expect(await activityCount(page, "Two-step verification turned on")).toBe(1);
      expect(await section.getByRole("alert").textContent()).toBe("");
      await shot("on");

      expect(consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
