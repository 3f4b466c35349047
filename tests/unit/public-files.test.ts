// The static files a phone and a crawler ask for: public/ (robots.txt, the PNG icons drawn by
// scripts/make-icons.ts) and the web manifest of app/manifest.ts. Served over HTTP by the
// built app in e2e/security-headers.test.ts; here, what they say.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import manifest from "@/app/manifest";
import { APPLE_TOUCH_ICON, MANIFEST_ICONS } from "@/lib/app-icons";
import { globalLimitApplies } from "@/lib/rate-limit";
import { palette } from "@/tailwind.config";

const publicDir = fileURLToPath(new URL("../../public", import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  expect(bytes.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("icons", () => {
  it.each([...MANIFEST_ICONS, APPLE_TOUCH_ICON])("$src is a $size px PNG", (icon) => {
    const bytes = readFileSync(join(publicDir, icon.src));
    expect(pngSize(bytes)).toEqual({ width: icon.size, height: icon.size });
  });
});

describe("the web manifest", () => {
  const answer = manifest();

  it("names Gatehouse and takes its colours from the design tokens", () => {
    expect(answer).toMatchObject({
      name: "Gatehouse",
      short_name: "Gatehouse",
      start_url: "/",
      theme_color: palette.light.surface,
      background_color: palette.light.surface,
    });
  });

  it("lists 192 and 512 px icons for any use and a maskable one, each a file in public/", () => {
    const icons = answer.icons ?? [];
    for (const [size, purpose] of [
      ["192x192", "any"],
      ["512x512", "any"],
      ["512x512", "maskable"],
    ]) {
      expect(icons).toContainEqual(expect.objectContaining({ sizes: size, purpose }));
    }
    for (const icon of icons) {
      expect(icon.type).toBe("image/png");
      const { width, height } = pngSize(readFileSync(join(publicDir, icon.src)));
      expect(`${width}x${height}`).toBe(icon.sizes);
    }
  });
});

describe("robots.txt", () => {
  const lines = readFileSync(join(publicDir, "robots.txt"), "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);

  it("keeps every crawler out of the account page and the API, and allows the rest", () => {
    expect(lines[0]).toBe("User-agent: *");
    const rules = lines.slice(1);
    expect(rules).toContain("Disallow: /account");
    expect(rules).toContain("Disallow: /api/");
    expect(rules).toContain("Allow: /");
    expect(rules).not.toContain("Disallow: /");
    expect(lines.filter((line) => line.startsWith("User-agent:"))).toHaveLength(1);
  });
});

describe("public/ and the global rate limit", () => {
  // A browser fetches these around a page view by itself (proxy.ts, lib/rate-limit/policies.ts).
  it("exempts every file in public/ and the manifest", () => {
    const paths = filesUnder(publicDir).map(
      (file) => `/${relative(publicDir, file).split(sep).join("/")}`,
    );
    expect(paths.length).toBeGreaterThan(0);
    for (const path of [...paths, "/manifest.webmanifest"]) {
      expect({ path, applies: globalLimitApplies(path) }).toEqual({ path, applies: false });
    }
  });
});
