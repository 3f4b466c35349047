// Auth.js configuration, built from injected services so it holds no globals of its own.
//
// How a sign-in flows:
// - OAuth: Auth.js runs the provider protocol; our signIn callback then applies the
//   same-email policy (callbacks/sign-in.ts → lib/auth/identity.ts), creating or linking
//   the user and identity in one transaction, so Auth.js's own account lookup that follows
//   always finds it.
// - Password: the Credentials provider's authorize() checks the password in constant time,
//   behind the password guard; a device cookie the browser holds for the account gives the
//   attempt its own budget (password-provider.ts, device-memory.ts).
// - Passkey: the "passkey" Credentials provider's authorize() checks the browser's WebAuthn
//   answer against the challenge its cookie names (passkey-provider.ts); offered only where
//   APP_URL can have passkeys (passkey-ceremony.ts). A user-verified one is not held below.
// - Second factor: for an account with one, the signIn callback holds either kind of sign-in
//   after its first factor (second-factor-gate.ts): no session yet, a pending sign-in and the
//   challenge page instead; the "second-factor" provider finishes it (second-factor-provider.ts).
// - Approval in Telegram: before that, an account that approves sign-ins in its chat has a
//   sign-in from a browser new to it held for the chat's answer (approval-gate.ts); the
//   "sign-in-approval" provider finishes it once approved (sign-in-approval-provider.ts).
// - Both: the jwt callback at sign-in creates a Session row (device, IP, times) and puts its
//   handle in the JWT; on every later request it checks the row, so a revoked or deleted
//   row signs that token out on its next request. It also leaves (or renews) the account's
//   device cookie in the browser (callbacks/jwt.ts).
import { PrismaAdapter } from "@auth/prisma-adapter";
import type { NextAuthConfig } from "next-auth";

import { createJwtCallback } from "@/lib/auth/callbacks/jwt";
import { sessionCallback } from "@/lib/auth/callbacks/session";
import { createSignInCallback } from "@/lib/auth/callbacks/sign-in";
import type { AuthDependencies } from "@/lib/auth/dependencies";
import { createDeviceMemory } from "@/lib/auth/device-memory";
import { createAuthLogger } from "@/lib/auth/malformed";
import { passkeyRelyingParty } from "@/lib/auth/passkey-ceremony";
import { passkeyProvider } from "@/lib/auth/passkey-provider";
import { passwordProvider } from "@/lib/auth/password-provider";
import { confirmIdentityProvider, secondFactorProvider } from "@/lib/auth/second-factor-provider";
import { signInApprovalProvider } from "@/lib/auth/sign-in-approval-provider";
import { oauthProviders } from "@/lib/auth/providers";
import { safeRedirectPath } from "@/lib/auth/redirect";
import { endSession, sqlSessionLookup } from "@/lib/auth/sessions";
import { usesSecureCookies } from "@/lib/http/cookies";
import { createDeviceCookies } from "@/lib/security/device-cookie";
import { connectAlertsFromSignIn, connectsAlertsAtSignIn } from "@/lib/telegram/sign-in-alerts";

// Callers import these from here; they live apart so the callbacks can use them too.
export { ACCOUNT_PATH, PASSWORD_PROVIDER_ID, policyErrors } from "@/lib/auth/constants";
export type { AuthDependencies, CookieJar, CurrentSession } from "@/lib/auth/dependencies";

/**
 * `build` run once per services object (a WeakMap, so a replaced set of services takes what
 * was built with it): lib/root/auth.ts hands Auth.js a configuration function, which Auth.js
 * calls per request, and builds the page session reader from that configuration.
 */
export function oncePerServices<S extends object, T>(
  build: (services: S) => T,
): (services: S) => T {
  const built = new WeakMap<S, T>();
  return (services) => {
    if (!built.has(services)) built.set(services, build(services));
    return built.get(services) as T;
  };
}

export function createAuthConfig(deps: AuthDependencies): NextAuthConfig {
  const { settings, database, logger, passwordGuard, limiter, secondFactorKeys } = deps.services;
  const prisma = database.prisma;
  const now = deps.now ?? (() => new Date());
  const auth = settings.auth;
  const { requestContext, currentSession, afterRecord } = deps;
  const secureCookies = usesSecureCookies(settings.appUrl);
  const devices = createDeviceMemory({
    deviceCookies: createDeviceCookies({
      secret: auth.secret,
      maxAgeSeconds: auth.deviceCookieMaxAgeSeconds,
      secure: secureCookies,
      now: () => now().getTime(),
    }),
    cookies: deps.cookies,
    logger,
  });
  const secondFactor = secondFactorProvider({
    prisma,
    logger,
    limiter,
    keys: secondFactorKeys,
    now,
    requestContext,
    cookies: deps.cookies,
    secureCookies,
    afterRecord,
  });
  const signInApproval = signInApprovalProvider({
    prisma,
    logger,
    now,
    requestContext,
    cookies: deps.cookies,
    secureCookies,
  });
  const confirmIdentity = confirmIdentityProvider({
    prisma,
    logger,
    limiter,
    keys: secondFactorKeys,
    now,
    requestContext,
    currentSession,
    afterRecord,
  });
  const passkey = passkeyProvider({
    prisma,
    logger,
    now,
    appUrl: settings.appUrl,
    requestContext,
    currentSession,
    cookies: deps.cookies,
    secureCookies,
    afterRecord,
  });
  const password = passwordProvider({
    prisma,
    logger,
    passwordGuard,
    requestContext,
    knownDevice: devices.knownDevice,
    afterRecord,
  });

  return {
    secret: auth.secret,
    // Safe because the origin is pinned: getSettings() sets AUTH_URL to APP_URL, and Auth.js
    // then ignores the Host header when it builds URLs.
    trustHost: true,
    basePath: "/api/auth",
    // Only Auth.js's account lookups use the adapter (identities are created by our
    // signIn callback). Its types accept our generated client as it is.
    adapter: PrismaAdapter(prisma),
    session: { strategy: "jwt", maxAge: auth.sessionMaxAgeSeconds },
    pages: { signIn: "/sign-in", error: "/auth/error" },
    providers: [
      ...oauthProviders(auth),
      ...(auth.passwordEnabled ? [password] : []),
      // Only where browsers allow passkeys for APP_URL (checked here, never thrown at start).
      ...(passkeyRelyingParty(settings.appUrl) ? [passkey] : []),
      secondFactor,
      signInApproval,
      confirmIdentity,
    ],
    callbacks: {
      signIn: createSignInCallback({
        prisma,
        logger,
        now,
        recentSignInMaxAgeSeconds: auth.recentSignInMaxAgeSeconds,
        requestContext,
        currentSession,
        afterRecord,
        appUrl: settings.appUrl,
        secondFactorGate: {
          prisma,
          now,
          cookies: deps.cookies,
          secureCookies,
          ttlSeconds: auth.pendingSignInTtlSeconds,
        },
        approvalGate: {
          enabled: settings.telegram !== null,
          prisma,
          now,
          cookies: deps.cookies,
          secureCookies,
          ttlSeconds: auth.signInApprovalTtlSeconds,
          codeTtlSeconds: auth.pendingSignInTtlSeconds,
          knownBrowser: devices.knownBrowser,
          deliverSoon: () => deps.services.notifications.deliverSoon(),
        },
        connectTelegramAlerts: connectsAlertsAtSignIn(settings)
          ? async (input) => {
              const { context, ...chat } = input;
              const outcome = await connectAlertsFromSignIn(prisma, {
                ...chat,
                now: now(),
                context,
                afterRecord,
              });
              if (outcome === "connected") deps.services.notifications.deliverSoon();
              return outcome;
            }
          : null,
      }),
      jwt: createJwtCallback({
        prisma,
        now,
        sessionMaxAgeSeconds: auth.sessionMaxAgeSeconds,
        sessionTouchIntervalSeconds: auth.sessionTouchIntervalSeconds,
        sessionLookup: sqlSessionLookup(database.sql),
        requestContext,
        currentSession,
        rememberDevice: devices.rememberDevice,
        afterRecord,
        logger,
        ...(deps.services.metrics ? { metrics: deps.services.metrics } : {}),
      }),
      session: sessionCallback,
      redirect: ({ url, baseUrl }) => `${baseUrl}${safeRedirectPath(url, baseUrl)}`,
    },
    events: {
      async signOut(message) {
        const token = "token" in message ? message.token : null;
        if (token && typeof token.sid === "string") await endSession(prisma, token.sid);
      },
    },
    // Malformed requests (a bad callbackUrl, an unknown provider, a forged OAuth state, a
    // missing CSRF token …) are logged once at warn with the request id and no stack; the
    // error level is kept for our faults (lib/auth/malformed.ts).
    logger: createAuthLogger({
      logger,
      requestId: async () => (await requestContext()).requestId,
    }),
  };
}
