// Between the two factors of a sign-in (docs/second-factor.md, "Signing in"). When the first
// factor passes for an account with a second factor, the signIn callback holds the sign-in
// here instead of letting Auth.js create the session: a pending sign-in row and its cookie
// are made, and Auth.js redirects to the challenge page without setting a session cookie
// (a string returned from the signIn callback is a redirect, for OAuth and Credentials
// alike). The challenge page's action then signs in through the "second-factor" provider
// (second-factor-provider.ts), which is when the Session row and the cookie appear.
import type { CookieJar } from "@/lib/auth/dependencies";
import { startPendingSignIn } from "@/lib/auth/pending-sign-in";
import { requiresSecondFactor } from "@/lib/auth/second-factor";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";

/** The challenge page. */
export const SECOND_FACTOR_PATH = "/sign-in/second-factor";

/** The Credentials provider that finishes a held sign-in. */
export const SECOND_FACTOR_PROVIDER_ID = "second-factor";

/** The Credentials provider behind "Confirm it's you" with a code (a signed-in browser). */
export const CONFIRM_IDENTITY_PROVIDER_ID = "confirm-identity";

/**
 * The pending sign-in's cookie. `__Host-` over HTTPS: the browser then refuses it from a
 * subdomain or a plain-HTTP page, and it can only be set for this exact host and path "/".
 */
export function pendingSignInCookieName(secure: boolean): string {
  return secure ? "__Host-gatehouse.pending-sign-in" : "gatehouse.pending-sign-in";
}

export interface SecondFactorGateDeps {
  prisma: PrismaClient;
  now: () => Date;
  cookies: () => Promise<CookieJar>;
  /** APP_URL is https: the cookie is Secure and __Host- prefixed. */
  secureCookies: boolean;
  ttlSeconds: number;
}

/**
 * Holds the sign-in when the account asks for a second factor: returns the challenge page's
 * path (the signIn callback's redirect), or null when the sign-in may go on.
 */
export async function holdForSecondFactor(
  deps: SecondFactorGateDeps,
  input: { userId: string; method: string; returnTo: string; context: RequestContext },
): Promise<string | null> {
  if (!(await requiresSecondFactor(deps.prisma, input.userId))) return null;
  const { token } = await startPendingSignIn(deps.prisma, {
    ...input,
    now: deps.now(),
    ttlSeconds: deps.ttlSeconds,
  });
  await setPendingSignInCookie(deps.cookies, deps.secureCookies, token, deps.ttlSeconds);
  return SECOND_FACTOR_PATH;
}

/** Gives this browser its pending sign-in's cookie, for `maxAgeSeconds`. */
export async function setPendingSignInCookie(
  cookies: () => Promise<CookieJar>,
  secureCookies: boolean,
  token: string,
  maxAgeSeconds: number,
): Promise<void> {
  (await cookies()).set(pendingSignInCookieName(secureCookies), token, {
    httpOnly: true,
    secure: secureCookies,
    // Lax, not Strict: an OAuth sign-in arrives from the provider's site, and the page it is
    // sent to (the code step, or the wait for the Telegram chat) must see the cookie. The
    // POSTs that spend it are same-site anyway.
    sameSite: "lax",
    path: "/",
    maxAge: maxAgeSeconds,
  });
}

/** The token of this browser's pending sign-in, if it carries one. */
export async function pendingSignInToken(
  cookies: () => Promise<Pick<CookieJar, "get">>,
  secureCookies: boolean,
): Promise<string | null> {
  return (await cookies()).get(pendingSignInCookieName(secureCookies))?.value ?? null;
}

/** Drops the pending sign-in's cookie (finished, cancelled or ended). */
export async function clearPendingSignInCookie(
  cookies: () => Promise<CookieJar>,
  secureCookies: boolean,
): Promise<void> {
  (await cookies()).set(pendingSignInCookieName(secureCookies), "", {
    httpOnly: true,
    secure: secureCookies,
    sameSite: "lax",
    path: "/",
    maxAge: 0,
  });
}
