// Next 16's proxy (the file Next 15 called middleware.ts; same feature, renamed; it runs
// on the Node runtime). It is a first line only: every page, action and route handler still
// checks the session itself.
//
// On every request it:
// - assigns a request id (or keeps a well-formed incoming one) and passes it to the app,
//   whose logs and "Reference: …" messages quote it, and back to the client;
// - makes a fresh CSP nonce and hands the policy to Next in the request headers, which is
//   how Next puts the nonce on its own scripts (pages are rendered per request);
// - refuses malformed requests before the app parses them (lib/http/request-gate.ts): a body
//   over REQUEST_BODY_LIMIT_KB → 413, a POST to a page (a server action) from another
//   origin → 403; each is logged once, at warn, with the request id;
// - counts the request against the global per-IP rate limit (lib/rate-limit; the health
//   probes, the Telegram webhook and the fixed-name static files — robots.txt, the manifest,
//   the icons — are exempt) and answers 429 when it is used up — JSON for /api/*, a small
//   page for a browser;
// - adds the security headers to the response (lib/security/headers.ts), refusals included;
// - on a page view, re-seals the session cookie once the touch interval has passed since it
//   was sealed, so a browser in use stays signed in (lib/auth/session-renewal.ts).
import { NextResponse, type NextRequest } from "next/server";

import { authorizationOrigins } from "@/lib/auth/providers";
import { createSessionRenewal, type SessionRenewal } from "@/lib/auth/session-renewal";
import { getSettings } from "@/lib/env";
import { clientIp } from "@/lib/http/client-ip";
import { usesSecureCookies } from "@/lib/http/cookies";
import { refusal, refusalFormat, type RefusalReason } from "@/lib/http/refusal";
import {
  bodyCheck,
  countBody,
  isCrossOriginPagePost,
  type BodyCheck,
} from "@/lib/http/request-gate";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";
import { tooManyRequests, wantsHtml } from "@/lib/http/too-many-requests";
import { getProtection } from "@/lib/root/protection";
import { globalLimitApplies, rateLimitHeaders } from "@/lib/rate-limit";
import {
  buildCsp,
  headerSettings,
  staticSecurityHeaders,
  type HeaderSettings,
} from "@/lib/security/headers";

let cached:
  { settings: HeaderSettings; fixed: Record<string, string>; renewal: SessionRenewal } | undefined;

function proxySettings() {
  if (!cached) {
    const settings = getSettings();
    const header = headerSettings(settings, authorizationOrigins(settings.auth));
    const renewal = createSessionRenewal({
      secret: settings.auth.secret,
      secure: usesSecureCookies(settings.appUrl),
      maxAgeSeconds: settings.auth.sessionMaxAgeSeconds,
      renewAfterSeconds: settings.auth.sessionTouchIntervalSeconds,
    });
    cached = { settings: header, fixed: staticSecurityHeaders(header), renewal };
  }
  return cached;
}

/**
 * The renewed session cookie for a page view (GET or HEAD outside /api). Never for an action
 * or a route: Auth.js writes the cookie there itself (sign-in, sign-out, re-authentication),
 * and a renewal racing that answer could put the old token back.
 */
async function renewedSession(
  request: NextRequest,
  renewal: SessionRenewal,
  requestId: string,
): Promise<Awaited<ReturnType<SessionRenewal["renew"]>>> {
  const { method, nextUrl } = request;
  if ((method !== "GET" && method !== "HEAD") || nextUrl.pathname.startsWith("/api/")) return null;
  try {
    return await renewal.renew(request.cookies.getAll(), new Date());
  } catch (error) {
    // The page still reads the cookie the browser sent; the next page view tries again.
    getProtection().logger.error("session cookie renewal failed", { error, requestId });
    return null;
  }
}

/** 128 random bits, base64: what CSP nonces should be. */
function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
}

/** The key of the global limit: the client address, or one shared bucket when it is unknown
 *  (only without server.mjs and without any forwarding header; the server warns at start). */
function limitKey(headers: Headers): string {
  return clientIp(headers, getSettings().rateLimits) ?? "unknown";
}

/**
 * What the headers alone refuse, before anything else (no Redis, no body read): a declared
 * body over the limit, or a POST to a page from another origin.
 */
function refusalByHeaders(request: NextRequest, body: BodyCheck): RefusalReason | null {
  if (body.kind === "declared" && body.tooLarge) return "body-too-large";
  const crossOrigin = isCrossOriginPagePost({
    method: request.method,
    pathname: request.nextUrl.pathname,
    origin: request.headers.get("origin"),
    appUrl: getSettings().appUrl,
  });
  return crossOrigin ? "cross-origin" : null;
}

/**
 * A body without Content-Length (chunked) is counted as it arrives. This is the proxy's
 * copy: Next keeps the app's copy aside and hands it on unchanged when the body is within
 * the limit. However early we answer, Next sends nothing before the whole body has arrived
 * (keeping at most 10 MB of it), so cap bodies at the reverse proxy too (README, "Bad input").
 */
async function refusalByBody(
  request: NextRequest,
  body: BodyCheck,
  limitBytes: number,
): Promise<RefusalReason | null> {
  if (body.kind !== "undeclared") return null;
  const counted = await countBody(request.body, limitBytes);
  if (counted === "too-large") return "body-too-large";
  return counted === "incomplete" ? "incomplete-body" : null;
}

export async function proxy(request: NextRequest): Promise<NextResponse | Response> {
  const { settings, fixed, renewal } = proxySettings();
  const nonce = newNonce();
  const requestId = requestIdFrom(request.headers);
  const csp = buildCsp({ nonce, ...settings });
  const withSecurityHeaders = <R extends Response>(response: R): R => {
    response.headers.set("Content-Security-Policy", csp);
    for (const [name, value] of Object.entries(fixed)) response.headers.set(name, value);
    response.headers.set(REQUEST_ID_HEADER, requestId);
    return response;
  };

  const { bodyLimitBytes } = getSettings().requests;
  const refuse = (reason: RefusalReason) => {
    // Once, at warn, without a stack: the client sent something malformed, our code did not
    // fail. The error level is kept for our faults.
    getProtection().logger.warn("request refused", {
      reason,
      requestId,
      method: request.method,
      path: request.nextUrl.pathname,
      ...(reason === "cross-origin"
        ? { origin: request.headers.get("origin")?.slice(0, 200) }
        : { contentLength: request.headers.get("content-length"), limitBytes: bodyLimitBytes }),
    });
    const format = refusalFormat(request);
    return withSecurityHeaders(refusal(reason, { format, requestId, limitBytes: bodyLimitBytes }));
  };

  const body = bodyCheck({
    method: request.method,
    contentLength: request.headers.get("content-length"),
    limitBytes: bodyLimitBytes,
  });
  // Before the rate limit: these cost nothing to decide and nothing to answer.
  const early = refusalByHeaders(request, body);
  if (early) return refuse(early);

  if (globalLimitApplies(request.nextUrl.pathname)) {
    const decision = await getProtection().limiter.limit("global", limitKey(request.headers));
    if (!decision.allowed) {
      // The global limit fails open, so a refusal here is always a used-up quota.
      const answer = {
        reason: "limited" as const,
        retryAfterSeconds: decision.retryAfterSeconds,
        headers: rateLimitHeaders(decision, Date.now()),
      };
      return withSecurityHeaders(tooManyRequests(answer, { html: wantsHtml(request), requestId }));
    }
    // Allowed responses do not advertise the global quota: headers the proxy adds win over
    // the route's own, so they would hide the RateLimit-* of a sign-in refusal behind them.
  }

  // After the rate limit: counting a chunked body means waiting for it.
  const late = await refusalByBody(request, body, bodyLimitBytes);
  if (late) return refuse(late);

  const forwarded = new Headers(request.headers);
  forwarded.set(REQUEST_ID_HEADER, requestId);
  forwarded.set("x-nonce", nonce);
  // Next reads the nonce from this request header when it renders the page.
  forwarded.set("content-security-policy", csp);

  const response = NextResponse.next({ request: { headers: forwarded } });
  for (const cookie of (await renewedSession(request, renewal, requestId)) ?? []) {
    response.cookies.set(cookie.name, cookie.value, cookie.options);
  }
  return withSecurityHeaders(response);
}

export const config = {
  // Everything except the build's static files (hashed, immutable, served with the right
  // content type) and image optimisation: headers there would cost a proxy run per asset.
  // Files in public/ do come through, on purpose: robots.txt and the icons get the same
  // security headers as the pages (docs/architecture.md, "Static files").
  matcher: ["/((?!_next/static|_next/image).*)"],
};
