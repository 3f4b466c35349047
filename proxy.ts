// Next 16's proxy (the file Next 15 called middleware.ts; same feature, renamed; it runs
// on the Node runtime). It is a first line only: every page, action and route handler still
// checks the session itself.
//
// On every request it:
// - assigns a request id (or keeps a well-formed incoming one) and passes it to the app,
//   whose logs and "Reference: …" messages quote it, and back to the client;
// - makes a fresh CSP nonce and hands the policy to Next in the request headers, which is
//   how Next puts the nonce on its own scripts (pages are rendered per request);
// - adds the security headers to the response (lib/security/headers.ts).
import { NextResponse, type NextRequest } from "next/server";

import { authorizationOrigins } from "@/lib/auth/providers";
import { getSettings } from "@/lib/env";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";
import {
  buildCsp,
  headerSettings,
  staticSecurityHeaders,
  type HeaderSettings,
} from "@/lib/security/headers";

let cached: { settings: HeaderSettings; fixed: Record<string, string> } | undefined;

function proxySettings() {
  if (!cached) {
    const settings = getSettings();
    const header = headerSettings(settings, authorizationOrigins(settings.auth));
    cached = { settings: header, fixed: staticSecurityHeaders(header) };
  }
  return cached;
}

/** 128 random bits, base64: what CSP nonces should be. */
function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
}

export function proxy(request: NextRequest): NextResponse {
  const { settings, fixed } = proxySettings();
  const nonce = newNonce();
  const requestId = requestIdFrom(request.headers);
  const csp = buildCsp({ nonce, ...settings });

  const forwarded = new Headers(request.headers);
  forwarded.set(REQUEST_ID_HEADER, requestId);
  forwarded.set("x-nonce", nonce);
  // Next reads the nonce from this request header when it renders the page.
  forwarded.set("content-security-policy", csp);

  const response = NextResponse.next({ request: { headers: forwarded } });
  response.headers.set("Content-Security-Policy", csp);
  for (const [name, value] of Object.entries(fixed)) response.headers.set(name, value);
  response.headers.set(REQUEST_ID_HEADER, requestId);
  return response;
}

export const config = {
  // Everything except the build's static files (hashed, immutable, served with the right
  // content type) and image optimisation: headers there would cost a proxy run per asset.
  matcher: ["/((?!_next/static|_next/image).*)"],
};
