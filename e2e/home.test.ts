// The app shell against both backends: the home page on a phone and a desktop, in light
// and dark mode; the health endpoint; the 404 page. Screenshots land in
// test-results/screenshots/ for a person to look at.
import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

import { palette } from "@/tailwind.config";

import {
  assertNoHorizontalOverflow,
  launchBrowser,
  openPage,
  screenshot,
  viewports,
  type ColorScheme,
  type ViewportName,
} from "./support/browser";
import {
  printServerOutputOnFailure,
  startEmbeddedApp,
  startPostgresApp,
  type AppServer,
} from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");

interface Backend {
  name: string;
  start: (() => Promise<AppServer>) | null;
}

const backends: Backend[] = [
  { name: "embedded", start: () => startEmbeddedApp() },
  {
    name: "postgres",
    start:
      databaseUrl !== null && redisUrl !== null
        ? () => startPostgresApp({ databaseUrl, redisUrl })
        : null,
  },
];

/** "#0b0a14" → "rgb(11, 10, 20)", the form getComputedStyle reports. */
function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

function currentBrowser(): Browser {
  if (!browser) throw new Error("the browser did not launch (see beforeAll)");
  return browser;
}

test("the overflow check catches a page that scrolls sideways", async () => {
  // Guards the guard: a check that always passed would hide every layout regression below.
  const context = await currentBrowser().newContext({
    viewport: viewports.phone,
    isMobile: true,
  });
  try {
    const page = await context.newPage();
    await page.setContent(
      '<meta name="viewport" content="width=device-width, initial-scale=1"><div style="width:500px">wide</div>',
    );
    await expect(assertNoHorizontalOverflow(page)).rejects.toThrow(/scrolls sideways/);
  } finally {
    await context.close();
  }
});

for (const backend of backends) {
  const start = backend.start;

  describe.runIf(start !== null)(`app shell on the ${backend.name} backend`, () => {
    let app: AppServer | undefined;

    beforeAll(async () => {
      if (!start) return;
      app = await start();
    });

    afterAll(async () => {
      await app?.stop();
    });

    printServerOutputOnFailure(() => app);

    function server(): AppServer {
      if (!app) throw new Error(`the ${backend.name} server did not start (see beforeAll)`);
      return app;
    }

    const layouts: [ViewportName, ColorScheme][] = [
      ["phone", "light"],
      ["phone", "dark"],
      ["desktop", "light"],
      ["desktop", "dark"],
    ];

    for (const [viewport, scheme] of layouts) {
      const width = viewports[viewport].width;

      test(`home page at ${width} px in ${scheme} mode`, async () => {
        const opened = await openPage(currentBrowser(), `${server().url}/`, {
          viewport,
          colorScheme: scheme,
        });
        try {
          const { page } = opened;
          expect(opened.response?.status()).toBe(200);

          const heading = page.getByRole("heading", { level: 1 });
          expect(await heading.isVisible()).toBe(true);
          expect(await heading.textContent()).toMatch(/sign-in/i);

          // Every same-origin link on the page leads somewhere that exists.
          const hrefs = await page.$$eval("a[href^='/']", (links) =>
            links.map((link) => link.getAttribute("href") ?? ""),
          );
          for (const href of new Set(hrefs.filter((h) => !h.startsWith("/#")))) {
            const answer = await fetch(`${server().url}${href}`);
            expect({ href, status: answer.status }).toEqual({ href, status: 200 });
          }

          const home = page.getByRole("banner").getByRole("link", { name: "Gatehouse" });
          expect(await home.getAttribute("href")).toBe("/");
          expect(await page.getByRole("contentinfo").isVisible()).toBe(true);
          // The four feature points.
          expect(await page.getByRole("main").getByRole("listitem").count()).toBe(4);

          // The palette follows the OS theme through CSS variables (no inline script).
          const background = await page.evaluate(
            () => getComputedStyle(document.body).backgroundColor,
          );
          expect(background).toBe(rgb(palette[scheme].surface));

          await assertNoHorizontalOverflow(page);
          await screenshot(page, `home-${backend.name}-${width}-${scheme}`);
          expect(opened.consoleErrors).toEqual([]);
        } finally {
          await opened.close();
        }
      });
    }

    test("keyboard users get a skip link first and a visible focus ring", async () => {
      const opened = await openPage(currentBrowser(), `${server().url}/`);
      try {
        const { page } = opened;
        await page.keyboard.press("Tab");
        const focused = await page.evaluate(() => {
          const element = document.activeElement;
          if (!(element instanceof HTMLElement)) return null;
          const style = getComputedStyle(element);
          const box = element.getBoundingClientRect();
          return {
            text: element.textContent.trim(),
            href: element.getAttribute("href"),
            outline: `${style.outlineStyle} ${style.outlineWidth}`,
            onScreen: box.width > 1 && box.height > 1,
          };
        });
        expect(focused).toEqual({
          text: "Skip to content",
          href: "#main",
          outline: "solid 2px",
          onScreen: true,
        });
      } finally {
        await opened.close();
      }
    });

    test("GET /api/health reports every dependency healthy", async () => {
      const response = await fetch(`${server().url}/api/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        status: "ok",
        checks: { database: "ok", redis: "ok" },
      });
    });

    test("the development mailbox's page does not exist in a production build", async () => {
      // The e2e servers send through SMTP; the mailbox and its page are development-only.
      const response = await fetch(`${server().url}/dev/mail`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain("Development mailbox");
    });

    test("an unknown address shows the not-found page with status 404", async () => {
      const path = `/no-such-page-${randomBytes(4).toString("hex")}`;
      const response = await fetch(`${server().url}${path}`);
      expect(response.status).toBe(404);
      expect(await response.text()).toContain("Page not found");

      const opened = await openPage(currentBrowser(), `${server().url}${path}`, {
        viewport: "phone",
      });
      try {
        const { page } = opened;
        expect(opened.response?.status()).toBe(404);
        const heading = page.getByRole("heading", { level: 1, name: "Page not found" });
        expect(await heading.isVisible()).toBe(true);
        const home = page.getByRole("main").getByRole("link", { name: "Go to the home page" });
        expect(await home.getAttribute("href")).toBe("/");
        await assertNoHorizontalOverflow(page);
        await screenshot(page, `not-found-${backend.name}-360-light`);
        // Chromium logs the 404 of the document itself; anything else is a real error.
        const unexpected = opened.consoleErrors.filter((text) => !text.includes("status of 404"));
        expect(unexpected).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  });
}
