// `npm run dev` with nothing configured: the development stand-ins for Google, GitHub and
// Stack Overflow (scripts/dev.ts, scripts/dev-idp) sign a person in through the app's real
// provider code, and the pages say they are stand-ins and how to turn on the real ones.
//
// Why the development server and not the production build the other e2e files use: a
// production build refuses AUTH_DEV_IDP_URL by construction (lib/env.ts, `builtFor`), so
// the only honest test is the app started the way a developer starts it — scripts/dev.ts,
// which decides, starts the stand-in and runs `next dev`. Pages compile on first request,
// so they are fetched once before the browser opens them (the timeouts are for a loaded
// 2-core machine, not expectations of speed).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { launchBrowser, openPage, screenshot, type OpenedPage } from "./support/browser";
import { freePort } from "./support/server";

const root = fileURLToPath(new URL("..", import.meta.url));
const COMPILE_TIMEOUT_MS = 10 * 60_000;

interface DevServer {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** `npm run dev -- --port <free port>` in a fresh data folder, with no provider configured. */
async function startDevServer(): Promise<DevServer> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-dev-"));
  const inherited = ["PATH", "HOME", "TMPDIR", "LANG", "TZ"].flatMap((name) => {
    const value = process.env[name];
    return value === undefined ? [] : [[name, value] as const];
  });
  const child = spawn(
    process.execPath,
    // What `npm run dev` runs (package.json).
    ["--import", "tsx", "scripts/dev.ts", "--port", `${port}`],
    {
      cwd: root,
      env: {
        ...Object.fromEntries(inherited),
        // What `next dev` sets anyway; Next's types require it.
        NODE_ENV: "development",
        NEXT_TELEMETRY_DISABLED: "1",
        APP_URL: url,
        GATEHOUSE_DATA_DIR: dataDir,
        // Blank, like the other e2e servers: a developer's .env must not leak in.
        DATABASE_URL: "",
        REDIS_URL: "",
        UPSTASH_REDIS_REST_URL: "",
        UPSTASH_REDIS_REST_TOKEN: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const chunks: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => chunks.push(chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    // The whole group: the wrapper, next dev and its workers.
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, output: () => chunks.join(""), stop };
}

/** Any answer from `path`, however long its first compilation takes. */
async function warmUp(server: DevServer, path: string): Promise<void> {
  const deadline = Date.now() + COMPILE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${server.url}${path}`, {
        redirect: "manual",
        signal: AbortSignal.timeout(COMPILE_TIMEOUT_MS),
      });
      await response.body?.cancel();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error(`${path} did not answer:\n${server.output()}`);
}

async function session(page: Page, appUrl: string) {
  const response = await page.request.get(`${appUrl}/api/auth/session`);
  return (await response.json()) as {
    user?: { id?: string; email?: string | null; name?: string | null };
  } | null;
}

/** Sign-in page → "<provider> (dev stand-in)" → the stand-in's form → back in the app. */
async function signInThroughStandIn(
  opened: OpenedPage,
  appUrl: string,
  provider: "Google" | "GitHub",
  fields: Record<string, string>,
) {
  const { page } = opened;
  await page.goto(`${appUrl}/sign-in`);
  // Under `next dev` the page's scripts compile on their first request, for seconds: wait
  // until the network is quiet, so the press lands on the hydrated page. (A press before the
  // passkey autofill's start answers is e2e/oauth.test.ts's case, against `npm start`.)
  await page.waitForLoadState("networkidle");
  await page.getByRole("button", { name: `Continue with ${provider} (dev stand-in)` }).click();
  await page.getByRole("heading", { name: `Development stand-in for ${provider}` }).waitFor();
  for (const [label, value] of Object.entries(fields)) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
  await page.getByLabel(`${provider} has verified this email`).check();
  await page.getByRole("button", { name: "Continue as this identity" }).click();
  await page.waitForURL((url) => url.origin === appUrl && !url.pathname.startsWith("/api/"));
}

describe("npm run dev with no provider configured", () => {
  let server: DevServer | undefined;
  let browser: Browser | undefined;
  const app = () => {
    if (!server) throw new Error("the dev server did not start");
    return server;
  };

  beforeAll(async () => {
    server = await startDevServer();
    for (const path of ["/sign-in", "/", "/sign-up", "/api/auth/providers", "/account"]) {
      await warmUp(server, path);
    }
    browser = await launchBrowser();
  }, 2 * COMPILE_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("starts the stand-ins and says so", () => {
    expect(app().output()).toContain(
      "Development stand-ins for Google, GitHub, Stack Overflow and Telegram",
    );
  });

  it(
    "offers labelled stand-ins and the variables for the real providers",
    async () => {
      if (!browser) throw new Error("no browser");
      for (const viewport of ["phone", "desktop"] as const) {
        for (const colorScheme of ["light", "dark"] as const) {
          const opened = await openPage(browser, `${app().url}/sign-in`, { viewport, colorScheme });
          const { page } = opened;
          for (const name of ["Google", "GitHub", "Stack Overflow", "Telegram"]) {
            await page
              .getByRole("button", { name: `Continue with ${name} (dev stand-in)` })
              .waitFor();
          }
          const note = page.getByRole("complementary", { name: /Development stand-ins/ });
          await expect(note.textContent()).resolves.toContain("AUTH_GOOGLE_ID");
          await expect(note.textContent()).resolves.toContain("AUTH_STACKOVERFLOW_KEY");
          // next dev compiles the page's scripts on first request: wait until React has
          // hydrated the buttons, or the screenshot (which hides the caret by styling inputs)
          // changes the DOM under React's feet and hydration reports a mismatch.
          // Every form: the password form (with the passkey autofill field) may hydrate after
          // the provider buttons.
          await page.waitForFunction(() => {
            const forms = Array.from(document.querySelectorAll("main form"));
            return (
              forms.length > 1 &&
              forms.every((form) => Object.keys(form).some((key) => key.startsWith("__react")))
            );
          });
          await screenshot(page, `dev-stand-ins-sign-in-${viewport}-${colorScheme}`);
          await page.getByRole("button", { name: "Continue with Google (dev stand-in)" }).click();
          await page.getByRole("heading", { name: "Development stand-in for Google" }).waitFor();
          await screenshot(page, `dev-stand-ins-google-${viewport}-${colorScheme}`);
          expect(opened.consoleErrors).toEqual([]);
          await opened.close();
        }
      }
    },
    COMPILE_TIMEOUT_MS,
  );

  it(
    "signs in through a stand-in, and the same verified email links the second provider",
    async () => {
      if (!browser) throw new Error("no browser");
      const appUrl = app().url;
      const first = await openPage(browser, `${appUrl}/`);
      await signInThroughStandIn(first, appUrl, "Google", {
        Name: "Lin Example",
        Email: "lin@example.com",
      });
      const viaGoogle = await session(first.page, appUrl);
      expect(viaGoogle?.user?.email).toBe("lin@example.com");
      await first.close();

      // Another browser, another provider, the same verified email: the same account.
      const second = await openPage(browser, `${appUrl}/`);
      await signInThroughStandIn(second, appUrl, "GitHub", {
        Login: "lin",
        "Primary email (may be empty)": "lin@example.com",
      });
      const viaGitHub = await session(second.page, appUrl);
      expect(viaGitHub?.user?.id).toBe(viaGoogle?.user?.id);
      expect(second.consoleErrors).toEqual([]);
      await second.close();
    },
    COMPILE_TIMEOUT_MS,
  );

  it(
    "signs in with the Telegram stand-in: its own account, named by the typed identity",
    async () => {
      if (!browser) throw new Error("no browser");
      const appUrl = app().url;
      const opened = await openPage(browser, `${appUrl}/sign-in`);
      const { page } = opened;
      // As for the others: let next dev's first compile finish before pressing.
      await page.waitForLoadState("networkidle");
      await page.getByRole("button", { name: "Continue with Telegram (dev stand-in)" }).click();
      await page.getByRole("heading", { name: "Development stand-in for Telegram" }).waitFor();
      await page.getByLabel("Telegram user id", { exact: true }).fill("424242001");
      await page.getByLabel("Name", { exact: true }).fill("Tam Example");
      await page.getByLabel("Username (may be empty)", { exact: true }).fill("tam_example");
      await page.getByRole("button", { name: "Continue as this identity" }).click();
      await page.waitForURL((url) => url.origin === appUrl && !url.pathname.startsWith("/api/"));
      const signedIn = await session(page, appUrl);
      expect(signedIn?.user?.name).toBe("Tam Example");
      // Telegram gives no email, so nothing is matched: a new account of its own.
      expect(signedIn?.user?.email ?? null).toBeNull();
      expect(opened.consoleErrors).toEqual([]);
      await opened.close();
    },
    COMPILE_TIMEOUT_MS,
  );
});
