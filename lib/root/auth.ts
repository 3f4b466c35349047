// The app's Auth.js instance (what Auth.js's guides call `auth.ts`): handlers, auth(),
// signIn(), signOut(). Configuration is built lazily on first use from the composition
// root, so importing this module (as `next build` does) reads no settings.
import "server-only";
import NextAuth from "next-auth";
import { cookies } from "next/headers";
import { cache } from "react";
import { createAuthConfig, oncePerServices, type CurrentSession } from "@/lib/auth/config";
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

/** The current session, once per request (React cache), with the revocation check applied. */
export const auth = cache(() => nextAuth.auth());

/** Who is signed in in this request's browser (user, Session row, sign-in time), or null. */
export async function currentSession(): Promise<CurrentSession | null> {
  const session = await auth();
  const userId = session?.user?.id;
  if (!userId || !session.sessionId) return null;
  return { userId, sessionId: session.sessionId, authTime: session.authTime ?? null };
}
