// The bench's stock Auth.js anchor (scripts/bench/anchor.ts) is what docs/performance.md
// says it is: our versions, a JWT session, one credentials provider, one page reading the
// session, and nothing else. Building and timing it is the bench's job, not a test's.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import { anchorFiles } from "@/scripts/bench/anchor";

const root = fileURLToPath(new URL("../..", import.meta.url));
const ours = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as {
  dependencies: Record<string, string>;
};

describe("the bench's anchor", () => {
  const files = anchorFiles(root);

  it("is the stock files and nothing else (no middleware or proxy)", () => {
    expect(Object.keys(files).sort()).toEqual([
      "app/api/auth/[...nextauth]/route.ts",
      "app/layout.tsx",
      "app/page.tsx",
      "auth.ts",
      "next.config.mjs",
      "package.json",
      "tsconfig.json",
    ]);
  });

  it("runs on our next, next-auth, react and react-dom", () => {
    const manifest = JSON.parse(files["package.json"] ?? "{}") as {
      private?: boolean;
      dependencies?: Record<string, string>;
    };
    expect(manifest.private).toBe(true);
    for (const name of ["next", "next-auth", "react", "react-dom"]) {
      expect(manifest.dependencies?.[name]).toBe(ours.dependencies[name]);
    }
  });

  it("has a JWT session, one credentials provider, and a page that reads the session", () => {
    const auth = files["auth.ts"] ?? "";
    expect(auth).toContain(`session: { strategy: "jwt" }`);
    expect(auth.match(/Credentials\(/g)).toHaveLength(1);
    expect(auth).toContain("secret: process.env.AUTH_SECRET");
    expect(auth).toContain("trustHost: true");
    const page = files["app/page.tsx"] ?? "";
    expect(page).toContain("await auth()");
    expect(page).toContain("Signed in as ${name}");
    expect(page).toContain("Signed out");
  });
});
