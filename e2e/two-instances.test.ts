// Two app instances on one PostgreSQL and one redis-server, as behind a load balancer: the
// same AUTH_SECRET, so a browser signed in through one is signed in on the other, and a
// session revoked through one is refused by the other on its very next request (every page
// checks the Session row; nothing about a session is kept in an instance's memory).
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { launchBrowser, openPage } from "./support/browser";
import { createPasswordAccount, signInWithPassword } from "./support/accounts";
import {
  printServerOutputOnFailure,
  startApp,
  startPostgresApp,
  type AppServer,
} from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const PASSWORD = "two doors, one gatehouse 44";

describe.runIf(databaseUrl !== null && redisUrl !== null)(
  "two instances on one PostgreSQL and one Redis",
  () => {
    let browser: Browser | undefined;
    let first: AppServer | undefined;
    let second: AppServer | undefined;
    const secondDataDir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-data-"));

    beforeAll(async () => {
      if (!databaseUrl || !redisUrl) throw new Error("no test servers");
      browser = await launchBrowser();
      const secret = randomBytes(32).toString("base64");
      first = await startPostgresApp({ databaseUrl, redisUrl }, { AUTH_SECRET: secret });
      if (!first.databaseUrl) throw new Error("the first instance has no database");
      second = await startApp({
        name: "postgres (second instance)",
        env: {
          DATABASE_URL: first.databaseUrl,
          REDIS_URL: redisUrl,
          GATEHOUSE_DATA_DIR: secondDataDir,
          AUTH_SECRET: secret,
        },
      });
    });
    afterAll(async () => {
      await second?.stop();
      await first?.stop();
      await browser?.close();
      rmSync(secondDataDir, { recursive: true, force: true });
    });
    printServerOutputOnFailure(() => first);
    printServerOutputOnFailure(() => second);

    function servers(): { one: AppServer; two: AppServer; chromium: Browser } {
      if (!first || !second || !browser) throw new Error("not started (see beforeAll)");
      return { one: first, two: second, chromium: browser };
    }

    async function signedInAs(page: Page): Promise<string | null> {
      const link = page.getByRole("banner").getByRole("link", { name: "Account" });
      if ((await link.count()) === 0) return null;
      return page.getByRole("banner").locator("p").first().textContent();
    }

    test("a session revoked through one instance is refused by the other on its next request", async () => {
      const { one, two, chromium } = servers();
      const email = `two-instances-${randomBytes(4).toString("hex")}@example.com`;
      // Cookies belong to a host, not a port: both instances see the same cookie jar.
      const laptop = await openPage(chromium, `${one.url}/`);
      const phone = await openPage(chromium, `${two.url}/`);
      try {
        await createPasswordAccount(laptop.page, one.url, { email, password: PASSWORD });
        await signInWithPassword(phone.page, two.url, { email, password: PASSWORD });

        // The laptop signed in through the first instance is signed in on the second.
        await laptop.page.goto(`${two.url}/account`);
        await laptop.page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
        const devices = laptop.page.getByRole("region", { name: "Devices" });
        expect(await devices.getByRole("listitem").count()).toBe(2);

        // The phone, through the second instance, signs the laptop out.
        await phone.page.goto(`${two.url}/account`);
        const phoneDevices = phone.page.getByRole("region", { name: "Devices" });
        await phoneDevices
          .getByRole("listitem")
          .filter({ hasNotText: "This device" })
          .getByRole("button", { name: "Sign out" })
          .click();
        await expect.poll(() => phoneDevices.getByRole("listitem").count()).toBe(1);

        // The laptop's next request, to the first instance: signed out everywhere.
        await laptop.page.goto(`${one.url}/`);
        expect(await signedInAs(laptop.page)).toBeNull();
        await laptop.page.goto(`${one.url}/account`);
        expect(new URL(laptop.page.url()).pathname).toBe("/sign-in");
        await laptop.page.goto(`${two.url}/account`);
        expect(new URL(laptop.page.url()).pathname).toBe("/sign-in");

        // The phone is still signed in on both.
        for (const server of [one, two]) {
          await phone.page.goto(`${server.url}/`);
          expect(await signedInAs(phone.page)).toContain(email);
        }
      } finally {
        await laptop.close();
        await phone.close();
      }
    });
  },
);
