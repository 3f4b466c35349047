// Every OAuth provider's full redirect flow, in Chromium, against `next build && next start`
// and a local fake identity provider that speaks each provider's protocol. The app runs its
// real provider code; only the base URLs differ (AUTH_TEST_IDP_URL).
import type { Browser, Page } from "playwright-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { launchBrowser, openPage, type OpenedPage } from "./support/browser";
import { startRig, type Rig } from "./support/rig";
import { printServerOutputOnFailure } from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");

const providers = [
  { id: "google", name: "Google" },
  { id: "github", name: "GitHub" },
  { id: "stackoverflow", name: "Stack Overflow" },
] as const;

function rigFor(backend: "embedded" | "postgres"): Promise<Rig> {
  return startRig({
    backend,
    servers: databaseUrl && redisUrl ? { databaseUrl, redisUrl } : undefined,
    // Short, so the timeout case is quick; the fake never answers at all.
    env: { AUTH_PROVIDER_TIMEOUT_MS: "1500" },
  });
}

async function session(page: Page): Promise<{ user?: { id?: string; name?: string } } | null> {
  // page.request shares the browser context's cookies, so this is the page's own session.
  const response = await page.request.get(`${new URL(page.url()).origin}/api/auth/session`);
  return (await response.json()) as { user?: { id?: string; name?: string } } | null;
}

/** Sign-in page → provider button → fake consent page → Authorize → back in the app. */
async function signInWith(opened: OpenedPage, appUrl: string, providerName: string) {
  const { page } = opened;
  await page.goto(`${appUrl}/sign-in`);
  await page.getByRole("button", { name: `Continue with ${providerName}` }).click();
  await page.getByRole("button", { name: "Authorize" }).waitFor();
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.waitForURL((url) => url.origin === appUrl && !url.pathname.startsWith("/api/"));
}

/**
 * The console errors that are the app's: the fake provider's own page has no favicon, and
 * only that 404 is left out (a CSP refusal naming the provider's URL is the app's error).
 */
function appConsoleErrors(opened: OpenedPage, idpUrl: string): string[] {
  return opened.consoleErrors.filter((line) => !line.endsWith(`(${idpUrl}/favicon.ico)`));
}

let browser: Browser | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function newPage(appUrl: string): Promise<OpenedPage> {
  if (!browser) throw new Error("browser did not start");
  return openPage(browser, `${appUrl}/`);
}

describe("OAuth sign-in against a fake identity provider", () => {
  let rig: Rig | undefined;
  beforeAll(async () => {
    rig = await rigFor("embedded");
  });
  afterAll(async () => {
    await rig?.stop();
  });
  printServerOutputOnFailure(() => rig?.app);
  const r = () => {
    if (!rig) throw new Error("the app did not start (see beforeAll)");
    return rig;
  };

  for (const provider of providers) {
    test(`${provider.name}: the full redirect flow creates a user and signs in`, async () => {
      const { app, idp } = r();
      idp.setIdentity("google", {
        sub: `g-${provider.id}`,
        email: `${provider.id}-google@example.com`,
        email_verified: true,
        name: "Grace Google",
      });
      idp.setIdentity("github", {
        id: 4242,
        login: "grace",
        name: "Grace GitHub",
        email: null,
        emails: [{ email: "grace-gh@example.com", primary: true, verified: true }],
      });
      idp.setIdentity("stackoverflow", { user_id: 777, display_name: "Grace Stack" });
      const opened = await newPage(app.url);
      try {
        await signInWith(opened, app.url, provider.name);
        const current = await session(opened.page);
        expect(current?.user?.id).toEqual(expect.any(String));
        // The header names the signed-in person.
        await opened.page.getByRole("button", { name: "Sign out" }).waitFor();
        // The protocol ran as the real one would: state and PKCE on the authorize request.
        const authorize = idp.callsTo(provider.id, "authorize").at(-1);
        expect(authorize?.query.state).toEqual(expect.any(String));
        expect(authorize?.query.code_challenge_method).toBe("S256");
        expect(appConsoleErrors(opened, idp.url)).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  }

  test("signing in again with the same identity lands on the same user", async () => {
    const { app, idp } = r();
    idp.setIdentity("stackoverflow", { user_id: 9001, display_name: "Repeat Visitor" });
    const first = await newPage(app.url);
    const second = await newPage(app.url);
    try {
      await signInWith(first, app.url, "Stack Overflow");
      await signInWith(second, app.url, "Stack Overflow");
      const a = await session(first.page);
      const b = await session(second.page);
      expect(a?.user?.id).toEqual(expect.any(String));
      expect(b?.user?.id).toBe(a?.user?.id);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("a provider button pressed while the passkey autofill is still starting goes straight to the provider", async () => {
    // /sign-in starts the email field's passkey autofill as soon as it loads. On a slow
    // connection that request is still out when the person presses a provider button; the
    // button must not wait behind it, nor make the browser fetch the provider's page (the
    // CSP refuses that, and the console says so).
    const { app, idp } = r();
    idp.setIdentity("github", {
      id: 5150,
      login: "eager",
      name: "Eager Clicker",
      email: null,
      emails: [{ email: "eager@example.com", primary: true, verified: true }],
    });
    const opened = await newPage(app.url);
    const { page } = opened;
    // Every POST the page makes before the press is held until the provider's page shows.
    let holding = true;
    let held = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(`${app.url}/**`, async (route) => {
      if (!holding || route.request().method() !== "POST") return route.continue();
      held += 1;
      await released;
      // The page may have left by now; the held request no longer matters then.
      await route.continue().catch(() => undefined);
    });
    try {
      await page.goto(`${app.url}/sign-in`);
      await expect.poll(() => held, { timeout: 30_000 }).toBeGreaterThan(0);
      holding = false;
      await page.getByRole("button", { name: "Continue with GitHub" }).click();
      await page.getByRole("button", { name: "Authorize" }).waitFor();
      release();
      await page.getByRole("button", { name: "Authorize" }).click();
      await page.waitForURL((url) => url.origin === app.url && !url.pathname.startsWith("/api/"));
      expect((await session(page))?.user?.name).toBe("Eager Clicker");
      expect(appConsoleErrors(opened, idp.url)).toEqual([]);
    } finally {
      release();
      await opened.close();
    }
  });

  const stackFailures = [
    "used-code",
    "used-code-api-shape",
    "form-error",
    "html",
    "timeout",
    "me-error",
  ] as const;
  for (const kind of stackFailures) {
    test(`Stack Overflow "${kind}" shows the error page, not a crash`, async () => {
      const { app, idp } = r();
      idp.failNext("stackoverflow", kind);
      const opened = await newPage(app.url);
      try {
        await signInWith(opened, app.url, "Stack Overflow");
        const url = new URL(opened.page.url());
        expect(url.pathname).toBe("/auth/error");
        await opened.page.getByRole("heading", { level: 1 }).waitFor();
        await opened.page.getByRole("link", { name: /back to sign in/i }).waitFor();
        const text = await opened.page.textContent("main");
        expect(text).not.toMatch(/stack|trace|undefined|TypeError/i);
        expect(await session(opened.page)).toBeNull();
      } finally {
        await opened.close();
      }
    });
  }

  test("an unverified email matching an existing account is refused with a clear page", async () => {
    const { app, idp } = r();
    // First: a verified Google identity creates the user with that email.
    idp.setIdentity("google", {
      sub: "g-owner",
      email: "owner@example.com",
      email_verified: true,
      name: "Owner",
    });
    const owner = await newPage(app.url);
    await signInWith(owner, app.url, "Google");
    await owner.close();
    // Then: a GitHub identity whose matching email GitHub has NOT verified carries no
    // email (only the verified primary counts), so it is a new, separate user — and a
    // Google identity with email_verified=false is refused outright.
    idp.setIdentity("google", {
      sub: "g-impostor",
      email: "owner@example.com",
      email_verified: false,
      name: "Impostor",
    });
    const impostor = await newPage(app.url);
    try {
      await signInWith(impostor, app.url, "Google");
      const url = new URL(impostor.page.url());
      expect(url.pathname).toBe("/auth/error");
      expect(url.searchParams.get("error")).toBe("EmailNotVerified");
      expect(await impostor.page.textContent("main")).toMatch(/sign in the way you did before/i);
      expect(await session(impostor.page)).toBeNull();
    } finally {
      await impostor.close();
    }
  });

  test("Back from the provider's page leaves no spinner on the sign-in page", async () => {
    const { app } = r();
    const opened = await newPage(app.url);
    try {
      const { page } = opened;
      await page.goto(`${app.url}/sign-in`);
      await page.getByRole("button", { name: "Continue with GitHub" }).click();
      await page.getByRole("button", { name: "Authorize" }).waitFor();
      await page.goBack();
      await page.getByRole("button", { name: "Continue with GitHub" }).waitFor();
      expect(await page.locator("[aria-busy='true']").count()).toBe(0);
      for (const button of await page.getByRole("button", { name: /Continue with/ }).all()) {
        expect(await button.isEnabled()).toBe(true);
      }
    } finally {
      await opened.close();
    }
  });
});

describe.runIf(databaseUrl !== null && redisUrl !== null)(
  "revocable sessions (PostgreSQL, so the test can revoke a row)",
  () => {
    let rig: Rig | undefined;
    beforeAll(async () => {
      rig = await rigFor("postgres");
    });
    afterAll(async () => {
      await rig?.stop();
    });
    printServerOutputOnFailure(() => rig?.app);

    test("a revoked session is signed out on its next request", async () => {
      if (!rig) throw new Error("the app did not start (see beforeAll)");
      const { app, idp } = rig;
      idp.setIdentity("github", {
        id: 31337,
        login: "revokee",
        name: "Revokee",
        email: null,
        emails: [{ email: "revokee@example.com", primary: true, verified: true }],
      });
      const opened = await newPage(app.url);
      try {
        await signInWith(opened, app.url, "GitHub");
        const before = await session(opened.page);
        expect(before?.user?.id).toEqual(expect.any(String));
        const client = new pg.Client({ connectionString: app.databaseUrl });
        await client.connect();
        try {
          const revoked = await client.query(
            `UPDATE "Session" SET "revokedAt" = now() WHERE "userId" = $1 AND "revokedAt" IS NULL`,
            [before?.user?.id],
          );
          expect(revoked.rowCount).toBe(1);
        } finally {
          await client.end();
        }
        expect(await session(opened.page)).toBeNull();
        await opened.page.reload();
        await opened.page.getByRole("link", { name: "Sign in" }).waitFor();
      } finally {
        await opened.close();
      }
    });
  },
);
