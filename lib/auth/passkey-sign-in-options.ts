// POST /api/passkeys/sign-in-options: the options for a passkey sign-in ceremony on /sign-in
// and "Confirm it's you" (the button's, and the email field's autofill started on page load),
// with the challenge's id in an HttpOnly cookie bound to this browser.
//
// A route handler, not a server action: Next runs a page's server actions one at a time. The
// autofill start goes out as the page loads, and on a slow connection (or a `next dev`
// compiling it) it is still out when the person presses "Continue with GitHub"; that button's
// action then waited behind it, and when it answered with the redirect to the provider, Next's
// router fetched the provider's page (refused by the CSP's connect-src, a console error)
// before leaving. A plain fetch waits in no queue.
//
// Route handlers get none of Next's server-action checks, so this one makes its own: the
// request must come from a page of APP_URL's origin (browsers always send Origin with a
// POST). Otherwise any site could make its visitors' browsers spend their address's sign-in
// budget and fill the challenge table.
import { NextResponse } from "next/server";
import { z } from "zod";

import { passkeyRelyingParty, setPasskeyChallengeCookie } from "@/lib/auth/passkey-ceremony";
import { startPasskeySignIn } from "@/lib/auth/passkeys/sign-in";
import { usesSecureCookies } from "@/lib/http/cookies";
import { isSameOrigin } from "@/lib/http/request-gate";
import { jsonError, type RouteContext } from "@/lib/http/route";
import type { RateLimiter } from "@/lib/rate-limit";
import type { Services } from "@/lib/root";
import { refusalMessage } from "@/lib/security/password-guard";

export const PASSKEY_OPTIONS_MESSAGES = {
  unavailable: "Passkeys are not available on this site.",
  foreign: "This request must come from the sign-in page.",
  badRequest: "The request was not understood. Reload the page and try again.",
} as const;

export interface PasskeySignInOptionsDependencies {
  services: () => Pick<Services, "settings" | "database" | "limiter">;
  /** The client's address as the rate limits see it (lib/http/client-ip.ts). */
  clientIp: (headers: Headers) => string | null;
  now?: () => Date;
}

const body = z.strictObject({
  /** Started on page load for the email field's autofill (conditional mediation). */
  autofill: z.boolean().default(false),
});

/**
 * The per-address sign-in budget (signInIp): null while it lasts, else the refusal to show
 * and how long to wait. A passkey sign-in's button press and its answer each count, like a
 * password attempt.
 */
export async function passkeySignInBudgetRefusal(
  limiter: Pick<RateLimiter, "limit">,
  ip: string | null,
): Promise<{ message: string; retryAfterSeconds: number; closed: boolean } | null> {
  if (ip === null) return null;
  const decision = await limiter.limit("signInIp", ip);
  if (decision.allowed) return null;
  const closed = decision.failure === "closed";
  return {
    message: refusalMessage(
      {
        reason: closed ? "unavailable" : "limited",
        retryAfterSeconds: decision.retryAfterSeconds,
        headers: {},
      },
      "sign you in",
    ),
    retryAfterSeconds: decision.retryAfterSeconds,
    closed,
  };
}

/** The handler: `{ ok: true, options }` with the cookie, or `{ ok: false, message }`. */
export function createPasskeySignInOptionsHandler(deps: PasskeySignInOptionsDependencies) {
  const now = deps.now ?? (() => new Date());

  return async (request: Request, { requestId, logger }: RouteContext): Promise<Response> => {
    const { settings, database, limiter } = deps.services();
    const origin = request.headers.get("origin");
    if (origin === null || !isSameOrigin(origin, settings.appUrl)) {
      logger.warn("passkey options refused: not from the app's own pages", {
        origin: origin?.slice(0, 200) ?? null,
      });
      return jsonError(403, "forbidden", PASSKEY_OPTIONS_MESSAGES.foreign, requestId);
    }
    const parsed = body.safeParse(await readJson(request));
    if (!parsed.success) {
      return jsonError(400, "bad_request", PASSKEY_OPTIONS_MESSAGES.badRequest, requestId);
    }
    const rp = passkeyRelyingParty(settings.appUrl);
    if (!rp) return answer(404, { ok: false, message: PASSKEY_OPTIONS_MESSAGES.unavailable });

    // The button counts against the address's sign-in budget. The autofill ceremony starts
    // with every view of the page, so it is left to the global limit: counting it would let
    // page views lock out password sign-ins from a shared address. Its answer is counted when
    // it arrives (the signInWithPasskey action).
    if (!parsed.data.autofill) {
      const refusal = await passkeySignInBudgetRefusal(limiter, deps.clientIp(request.headers));
      if (refusal) {
        return answer(
          refusal.closed ? 503 : 429,
          { ok: false, message: refusal.message },
          { "retry-after": String(refusal.retryAfterSeconds) },
        );
      }
    }

    const ttlSeconds = settings.auth.passkeyChallengeTtlSeconds;
    const { options, challengeId } = await startPasskeySignIn(database.prisma, {
      rp,
      now: now(),
      ttlSeconds,
    });
    const response = answer(200, { ok: true, options });
    await setPasskeyChallengeCookie(() => Promise.resolve(response.cookies), {
      ceremony: "sign-in",
      secure: usesSecureCookies(settings.appUrl),
      challengeId,
      ttlSeconds,
    });
    return response;
  };
}

function answer(status: number, json: unknown, headers: Record<string, string> = {}) {
  // The options hold a fresh challenge: never cached anywhere.
  return NextResponse.json(json, { status, headers: { "cache-control": "no-store", ...headers } });
}

/** The body as JSON; an empty body is `{}`, anything unreadable is undefined (refused). */
async function readJson(request: Request): Promise<unknown> {
  const text = await request.text().catch(() => null);
  if (text === null) return undefined;
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
