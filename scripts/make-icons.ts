// node --import tsx scripts/make-icons.ts
//
// Draws the PNG icons of lib/app-icons.ts into public/ from app/icon.svg, with Debian's
// Chromium (the one the browser tests use): no image library to install. Run it after
// changing app/icon.svg or the brand colour, and commit the PNGs it writes.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { APPLE_TOUCH_ICON, MANIFEST_ICONS, type AppIcon } from "@/lib/app-icons";
import { launchBrowser } from "@/scripts/chromium";
import { palette } from "@/tailwind.config";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * The full-bleed variant of the mark: the brand colour to the edges, the mark shrunk to 80 %
 * around the centre, which keeps its corners inside a maskable icon's safe circle.
 */
function fullBleed(source: string): string {
  const mark = /<g\b[\s\S]*<\/g>/.exec(source)?.[0];
  if (!mark) throw new Error("app/icon.svg: expected the mark in one <g> element");
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">',
    `<rect width="32" height="32" fill="${palette.light.brand}"/>`,
    `<g transform="translate(16 16) scale(0.8) translate(-16 -16)">${mark}</g>`,
    "</svg>",
  ].join("");
}

async function main(): Promise<void> {
  const source = readFileSync(join(root, "app/icon.svg"), "utf8");
  const svgs: Record<AppIcon["shape"], string> = {
    rounded: source,
    "full-bleed": fullBleed(source),
  };
  const browser = await launchBrowser();
  try {
    for (const icon of [...MANIFEST_ICONS, APPLE_TOUCH_ICON]) {
      const page = await browser.newPage({
        viewport: { width: icon.size, height: icon.size },
        deviceScaleFactor: 1,
      });
      const data = Buffer.from(svgs[icon.shape]).toString("base64");
      await page.setContent(
        `<body style="margin:0"><img src="data:image/svg+xml;base64,${data}" ` +
          `width="${icon.size}" height="${icon.size}" style="display:block"></body>`,
      );
      await page.locator("img").evaluate((image: HTMLImageElement) => image.decode());
      const path = join(root, "public", icon.src);
      mkdirSync(dirname(path), { recursive: true });
      // Transparent where the SVG draws nothing (the rounded icon's corners).
      await page.screenshot({ path, omitBackground: true });
      await page.close();
      console.log(`${icon.src}: ${icon.size}×${icon.size} ${icon.shape}`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
