// The second `npm run dev`: the server restarted with the `.next/dev` an earlier run left,
// and the first page opened must load once and stay put. The failure this guards against
// was a reload loop (about 1.6 loads a second, the dev socket sending
// {"type":"reloadPage","data":"HMR hash mismatch"} each time) in which the sign-in form never
// got to navigate. Next's dev server sends that message when the HMR version the page was
// rendered with is not the server's current one when the page subscribes to updates, so the
// page is watched from its first subscription on, and any such message fails the test at
// once, however slow the machine is.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { createPasswordAccount } from "./support/accounts";
import { launchBrowser } from "./support/browser";
import { startDevServer, type DevServer } from "./support/dev-server";
import { freePort } from "./support/server";

const root = fileURLToPath(new URL("..", import.meta.url));

// A first compile of a page by `next dev` takes well over a minute on a loaded 2-core machine.
const PAGE_TIMEOUT_MS = 5 * 60_000;
// How long the page is watched, untouched, once it has subscribed to updates. The loop
// reloaded within a second, and the dev server answers a subscription from an outdated page
// with its reload request at once, in the handler of that very message; the watch goes on,
// for the reload requests, through the sign-in that follows (the last check below).
const WATCH_MS = 5_000;

const email = "restart@example.com";
const password = "a long and unguessable passphrase";

interface PageWatch {
  /** `load` events of the main frame: 1 means the page was never reloaded. */
  loads(): number;
  /** Every message of the dev socket that asked the page to reload. */
  reloadRequests: string[];
  /** Resolves when the page has told the dev socket what it is showing. */
  subscribed: Promise<void>;
}

function watchPage(page: Page): PageWatch {
  let loads = 0;
  const reloadRequests: string[] = [];
  let markSubscribed = () => {};
  const subscribed = new Promise<void>((resolve) => (markSubscribed = resolve));
  page.on("load", () => loads++);
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => {
      if (String(payload).includes('"turbopack-subscribe"')) markSubscribed();
    });
    socket.on("framereceived", ({ payload }) => {
      const text = String(payload);
      if (text.includes('"reloadPage"')) reloadRequests.push(text);
    });
  });
  return { loads: () => loads, reloadRequests, subscribed };
}

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ reducedMotion: "reduce" });
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(PAGE_TIMEOUT_MS);
  return page;
}

describe("development server restarted with its cache kept", () => {
  let browser: Browser;
  let dataDir: string;
  let server: DevServer | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
    // Both starts share it, as two `npm run dev` share `.data`: same database, same secret.
    dataDir = mkdtempSync(join(tmpdir(), "gatehouse-dev-restart-"));
  });

  afterAll(async () => {
    await server?.stop();
    await browser?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<DevServer> {
    const port = await freePort();
    server = await startDevServer({ port, dataDir });
    return server;
  }

  test(
    "the first page after a restart loads once, stays put, and its sign-in form works",
    async (context) => {
      context.onTestFailed(() => {
        if (server) process.stderr.write(`\n----- next dev output -----\n${server.output()}\n`);
      });

      // The earlier run: a developer creates an account, which compiles the pages into the
      // cache, then stops the server.
      const first = await start();
      const earlier = await newPage(browser);
      await createPasswordAccount(earlier, first.url, { email, password });
      await earlier.context().close();
      await first.stop();
      expect(existsSync(join(root, ".next", "dev")), "the first run left .next/dev").toBe(true);

      // The second run, on the cache the first one left.
      const second = await start();
      const page = await newPage(browser);
      const watch = watchPage(page);
      await page.goto(`${second.url}/sign-in`, { waitUntil: "load" });
      await watch.subscribed;
      await page.waitForTimeout(WATCH_MS);
      expect(watch.reloadRequests, "the dev socket asked the page to reload").toEqual([]);
      expect(watch.loads(), "page loads of /sign-in").toBe(1);

      // The form is usable and navigates: signing in lands on the home page, signed in.
      const main = page.getByRole("main");
      await main.getByLabel("Email", { exact: true }).fill(email);
      await main.getByLabel("Password", { exact: true }).fill(password);
      await main.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
      expect(new URL(page.url()).pathname).not.toBe("/sign-in");
      expect(watch.reloadRequests).toEqual([]);
      await page.context().close();
    },
    20 * 60_000,
  );
});
