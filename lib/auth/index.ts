// The app's Auth.js instance. Configuration is built lazily on first use from the
// composition root, so importing this module (as `next build` does) reads no settings.
import "server-only";
import NextAuth from "next-auth";
import { cache } from "react";
import { createAuthConfig } from "@/lib/auth/config";
import { requestContext } from "@/lib/http/request-context";
import { getServices } from "@/lib/services";

const nextAuth = NextAuth(() =>
  createAuthConfig({
    services: getServices(),
    requestContext,
    // During an OAuth callback, the session cookie (if any) says who is linking.
    currentUserId: async () => (await nextAuth.auth())?.user?.id ?? null,
  }),
);

export const { handlers, signIn, signOut } = nextAuth;

/** The current session, once per request (React cache), with the revocation check applied. */
export const auth = cache(() => nextAuth.auth());
