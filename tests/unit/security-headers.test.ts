import { describe, expect, it } from "vitest";

import { authorizationOrigins } from "@/lib/auth/providers";
import { parseSettings } from "@/lib/env";
import { buildCsp, headerSettings, HSTS, staticSecurityHeaders } from "@/lib/security/headers";

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(";").map((part) => {
      const [name = "", ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );
}

const base = { nonce: "bm9uY2U=", development: false, formActionOrigins: [], https: true };

describe("buildCsp", () => {
  it("allows scripts only by nonce with strict-dynamic in production", () => {
    const csp = directives(buildCsp(base));
    expect(csp.get("script-src")).toEqual(["'self'", "'nonce-bm9uY2U='", "'strict-dynamic'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'self'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("default-src")).toEqual(["'self'"]);
    expect(csp.has("upgrade-insecure-requests")).toBe(true);
    expect(buildCsp(base)).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  });

  it("adds eval and the hot-reload websocket only in development", () => {
    const csp = directives(buildCsp({ ...base, development: true, https: false }));
    expect(csp.get("script-src")).toContain("'unsafe-eval'");
    expect(csp.get("connect-src")).toContain("ws:");
    expect(csp.has("upgrade-insecure-requests")).toBe(false);
    expect(directives(buildCsp(base)).get("connect-src")).toEqual(["'self'"]);
  });

  it("lets every configured provider's redirect through form-action", () => {
    const settings = parseSettings(
      {
        AUTH_GOOGLE_ID: "g",
        AUTH_GOOGLE_SECRET: "g",
        AUTH_GITHUB_ID: "h",
        AUTH_GITHUB_SECRET: "h",
        AUTH_STACKOVERFLOW_ID: "s",
        AUTH_STACKOVERFLOW_SECRET: "s",
        AUTH_STACKOVERFLOW_KEY: "k",
      },
      { devSecret: () => "x".repeat(32) },
    );
    const origins = authorizationOrigins(settings.auth);
    expect(origins).toEqual([
      "https://accounts.google.com",
      "https://github.com",
      "https://stackoverflow.com",
      "https://stackexchange.com",
    ]);
    const csp = directives(buildCsp({ ...base, formActionOrigins: origins }));
    expect(csp.get("form-action")).toEqual(["'self'", ...origins]);
  });

  it("lists no provider that is not configured", () => {
    const settings = parseSettings({}, { devSecret: () => "x".repeat(32) });
    expect(authorizationOrigins(settings.auth)).toEqual([]);
  });
});

describe("staticSecurityHeaders", () => {
  it("sends HSTS for a year only in production over https", () => {
    expect(staticSecurityHeaders({ https: true, production: true })).toMatchObject({
      "Strict-Transport-Security": HSTS,
    });
    expect(HSTS).toMatch(/max-age=31536000/);
    expect(staticSecurityHeaders({ https: false, production: true })).not.toHaveProperty(
      "Strict-Transport-Security",
    );
    expect(staticSecurityHeaders({ https: true, production: false })).not.toHaveProperty(
      "Strict-Transport-Security",
    );
  });

  it("always sends the rest", () => {
    const headers = staticSecurityHeaders({ https: false, production: false });
    expect(headers).toMatchObject({
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "strict-origin-when-cross-origin",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Resource-Policy": "same-origin",
      "X-Frame-Options": "DENY",
    });
    expect(headers["Permissions-Policy"]).toContain("camera=()");
    expect(headers["Permissions-Policy"]).toContain("geolocation=()");
    // Passkeys: WebAuthn for the app's own pages, never for anything embedded.
    expect(headers["Permissions-Policy"]).toContain("publickey-credentials-get=(self)");
    expect(headers["Permissions-Policy"]).toContain("publickey-credentials-create=(self)");
    expect(headers["Permissions-Policy"]).not.toContain("publickey-credentials-get=()");
  });
});

describe("headerSettings", () => {
  it("reads https from APP_URL and development from NODE_ENV", () => {
    const dev = parseSettings({}, { devSecret: () => "x".repeat(32) });
    expect(headerSettings(dev, [])).toMatchObject({ development: true, https: false });
  });
});
