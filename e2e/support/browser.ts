// Pages in Debian's Chromium (launched by scripts/chromium.ts) at the sizes the tests look
// at, with what went wrong on them collected.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Locator, Page, Response } from "playwright-core";

// The tests' way in to the browser, so they import pages and browser from one place.
export { launchBrowser } from "@/scripts/chromium";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const screenshotDir = join(root, "test-results", "screenshots");

export const viewports = {
  phone: { width: 360, height: 780 },
  desktop: { width: 1280, height: 800 },
} as const;

export type ViewportName = keyof typeof viewports;
export type ColorScheme = "light" | "dark";

export interface OpenPageOptions {
  viewport?: ViewportName;
  colorScheme?: ColorScheme;
  /** Sent with every request of the page (e.g. an X-Forwarded-For a trusted proxy would add). */
  headers?: Record<string, string>;
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** The main document's response (null only for same-document navigations). */
  response: Response | null;
  /** Console errors and uncaught page exceptions, in order, since the page opened. */
  consoleErrors: string[];
  close(): Promise<void>;
}

/**
 * Opens `url` in a fresh context (no cookies shared with other tests) at a named viewport
 * and colour scheme, collecting console errors from the first request on.
 */
export async function openPage(
  browser: Browser,
  url: string,
  options: OpenPageOptions = {},
): Promise<OpenedPage> {
  const viewport = viewports[options.viewport ?? "desktop"];
  const context = await browser.newContext({
    viewport,
    colorScheme: options.colorScheme ?? "light",
    // A phone viewport should behave like a phone: touch, and the meta viewport honoured.
    isMobile: options.viewport === "phone",
    hasTouch: options.viewport === "phone",
    reducedMotion: "reduce",
    extraHTTPHeaders: options.headers,
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // "Failed to load resource" names no resource in its text; the location does.
    const where = message.location().url;
    consoleErrors.push(where ? `${message.text()} (${where})` : message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  const response = await page.goto(url, { waitUntil: "load" });
  return { page, context, response, consoleErrors, close: () => context.close() };
}

/** Saves a full-page screenshot to test-results/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name.replace(/[^A-Za-z0-9._-]+/g, "-")}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface HorizontalOverflow {
  scrollWidth: number;
  /** The narrower of innerWidth and the root's clientWidth; see below. */
  viewportWidth: number;
  /** Up to five elements whose right edge passes the viewport, to say what to fix. */
  offenders: string[];
  /**
   * Header rows whose items do not fit: they spill into the row's own padding, so the page
   * does not scroll, but the last item sits closer to the edge than the first (the site
   * header did at 360 px).
   */
  spilledRows: string[];
}

/**
 * Measures horizontal overflow: `scrollWidth <= innerWidth` means none. With mobile emulation
 * Chromium widens the visual viewport to fit overflowing content (innerWidth became 500 at a
 * 360 px viewport in a probe), so the layout viewport (`clientWidth`) bounds it too.
 */
export async function measureHorizontalOverflow(page: Page): Promise<HorizontalOverflow> {
  return page.evaluate(() => {
    const viewportWidth = Math.min(window.innerWidth, document.documentElement.clientWidth);
    const offenders: string[] = [];
    for (const element of document.body.querySelectorAll("*")) {
      if (offenders.length >= 5) break;
      const rect = element.getBoundingClientRect();
      if (rect.right > viewportWidth + 0.5) {
        const id = element.id ? `#${element.id}` : "";
        const classes = element.getAttribute("class")?.split(/\s+/).slice(0, 4).join(".") ?? "";
        offenders.push(`${element.tagName.toLowerCase()}${id}${classes ? `.${classes}` : ""}`);
      }
    }
    const spilledRows: string[] = [];
    for (const row of document.querySelectorAll("header > div")) {
      const style = getComputedStyle(row);
      if (style.display !== "flex") continue;
      const box = row.getBoundingClientRect();
      const contentRight = box.left + row.clientWidth - parseFloat(style.paddingRight);
      const widest = Math.max(
        ...Array.from(row.querySelectorAll("*"), (item) => item.getBoundingClientRect().right),
      );
      if (widest > contentRight + 0.5) {
        spilledRows.push(`a header row's items end at ${widest}px, past its ${contentRight}px`);
      }
    }
    return {
      scrollWidth: document.documentElement.scrollWidth,
      viewportWidth,
      offenders,
      spilledRows,
    };
  });
}

/** Throws, naming the widest elements, when the page scrolls sideways. */
export async function assertNoHorizontalOverflow(page: Page): Promise<void> {
  const overflow = await measureHorizontalOverflow(page);
  if (overflow.scrollWidth > overflow.viewportWidth) {
    throw new Error(
      `page scrolls sideways: scrollWidth ${overflow.scrollWidth} > viewport ${overflow.viewportWidth}; ` +
        `elements past the right edge: ${overflow.offenders.join(", ") || "(none found)"}`,
    );
  }
  if (overflow.spilledRows.length > 0) {
    throw new Error(`items do not fit their row: ${overflow.spilledRows.join("; ")}`);
  }
}

/**
 * Saves what the person sees right now (the viewport, not the whole page) to
 * test-results/screenshots/<name>.png: for feedback, where being on screen is the point.
 */
export async function viewportScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name.replace(/[^A-Za-z0-9._-]+/g, "-")}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * Where `element` is, against the viewport: "visible" when all of it is inside (and it has a
 * size), otherwise a description of where it is, for the failure message.
 */
export async function viewportPlacement(element: Locator): Promise<string> {
  return element.evaluate((node) => {
    const box = node.getBoundingClientRect();
    const { innerWidth, innerHeight } = window;
    if (box.width === 0 || box.height === 0) return "no size";
    const inside =
      box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth;
    return inside
      ? "visible"
      : `at ${Math.round(box.top)}..${Math.round(box.bottom)} of a ${innerHeight} px tall view`;
  });
}
