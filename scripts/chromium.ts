// Debian's Chromium driven by playwright-core, for the e2e tests and the scripts that draw
// with a browser (make-icons). No browser download: the project never runs
// `npx playwright install`, it uses /usr/bin/chromium from the OS package.
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Everything that would reach the internet (updates, sync, field trials) is off: tests
    // talk only to servers on 127.0.0.1. No sandbox because CI runs as root.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}
