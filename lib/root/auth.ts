// The app's Auth.js instance (what Auth.js's guides call `auth.ts`): handlers, auth(),
// signIn(), signOut(). Configuration is built lazily on first use from the composition
// root, so importing this module (as `next build` does) reads no settings.
import "server-only";
import NextAuth, { type Session } from "next-auth";
import { cookies } from "next/headers";
import { cache } from "react";
import { createAuthConfig, oncePerServices, type CurrentSession } from "@/lib/auth/config";
import { pageSessionDeps, readPageSession } from "@/lib/auth/page-session";
import { requestContext } from "@/lib/http/request-context";
import { getServices, type Services } from "@/lib/root";

// Auth.js calls a configuration function on every auth() and every request to its routes.
// Building ours derives keys (HKDF) and makes every provider, so it is built once per set of
// services and reused: nothing in it belongs to a request (the request's cookies, context and
// session are read through the functions it is given, when a callback runs).
const configFor = oncePerServices((services: Services) =>
  createAuthConfig({
    services,
    requestContext,
    // The session cookie of the request being handled, checked against its row.
    currentSession: () => currentSession(),
    cookies: () => cookies(),
    afterRecord: services.afterRecord,
  }),
);

const nextAuth = NextAuth(() => configFor(getServices()));

export const { handlers, signIn, signOut } = nextAuth;

/**
 * The current session, once per request (React cache), with the revocation check applied:
 * Auth.js's own auth(), for route handlers and server actions. Server components use
 * pageSession().
 */
export const auth = cache(() => nextAuth.auth());

// The page session reader's parts: the key derived once, the configuration's own callbacks.
const pageSessionDepsFor = oncePerServices((services: Services) =>
  pageSessionDeps({
    config: configFor(services),
    settings: services.settings,
    logger: services.logger,
    requestId: async () => (await requestContext()).requestId,
  }),
);

/**
 * The session for a server component (a page, a layout, the header), once per request: the
 * same checks and the same answer as auth(), at a fraction of the cost
 * (lib/auth/page-session.ts says why and how).
 */
export const pageSession = cache(async (): Promise<Session | null> =>
  readPageSession(pageSessionDepsFor(getServices()), (await cookies()).getAll()),
);

function toCurrentSession(session: Session | null): CurrentSession | null {
  const userId = session?.user?.id;
  if (!userId || !session.sessionId) return null;
  return { userId, sessionId: session.sessionId, authTime: session.authTime ?? null };
}

/** Who is signed in in this request's browser (user, Session row, sign-in time), or null. */
export async function currentSession(): Promise<CurrentSession | null> {
  return toCurrentSession(await auth());
}

/** currentSession() for a server component, through pageSession(). */
export async function currentPageSession(): Promise<CurrentSession | null> {
  return toCurrentSession(await pageSession());
}
