// Auth.js configuration, built from injected services so it holds no globals of its own.
//
// How a sign-in flows:
// - OAuth: Auth.js runs the provider protocol; our signIn callback then applies the
//   same-email policy (lib/auth/identity.ts), creating or linking the user and identity
//   in one transaction, so Auth.js's own account lookup that follows always finds it.
// - Password: the Credentials provider's authorize() checks the password in constant time,
//   behind the password guard; a device cookie the browser holds for the account gives the
//   attempt its own budget (lib/security/password-guard.ts, device-cookie.ts).
// - Both: the jwt callback at sign-in creates a Session row (device, IP, times) and puts its
//   handle in the JWT; on every later request it checks the row, so a revoked or deleted
//   row signs that token out on its next request. It also leaves (or renews) the account's
//   device cookie in the browser.
import { PrismaAdapter } from "@auth/prisma-adapter";
import type { NextAuthConfig, User } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import {
  resolveOAuthSignIn,
  recordSignIn,
  recordSignInFailure,
  type RefusalReason,
} from "@/lib/auth/identity";
import { createAuthLogger } from "@/lib/auth/malformed";
import { verifyCredentials } from "@/lib/auth/password";
import type { AfterRecordHook } from "@/lib/security/events";
import { PasswordSignInRefused, reportRefusal } from "@/lib/auth/sign-in-refusal";
import { oauthProviders, type NormalizedProfile } from "@/lib/auth/providers";
import { isRecentSignIn, reauthenticationPath } from "@/lib/auth/recent-sign-in";
import { safeRedirectPath } from "@/lib/auth/redirect";
import { signInSchema } from "@/lib/auth/schemas";
import {
  createSession,
  discardReplacedSession,
  endSession,
  validateSession,
} from "@/lib/auth/sessions";
import type { RequestContext } from "@/lib/http/request-context";
import { createDeviceCookies, type DeviceCookieOptions } from "@/lib/security/device-cookie";
import type { Database } from "@/lib/db";
import type { Settings } from "@/lib/env";
import type { Logger } from "@/lib/logger";
import type { PasswordGuard } from "@/lib/security/password-guard";

export const PASSWORD_PROVIDER_ID = "password";

/** Error codes our callbacks add to Auth.js's own (see app/auth/error/page.tsx). */
export const policyErrors = {
  "unverified-email-match": "EmailNotVerified",
  "identity-linked-to-another-user": "IdentityLinkedElsewhere",
  "recent-sign-in-required": "RecentSignInRequired",
} as const satisfies Record<RefusalReason, string>;

/** Where the account page lives; linking starts and ends there. */
export const ACCOUNT_PATH = "/account";

/** The request's cookies, read and written (next/headers' cookies() in the app). */
export interface CookieJar {
  get(name: string): { value: string } | undefined;
  set(name: string, value: string, options: DeviceCookieOptions): unknown;
}

/** The browser's current, valid session (revocation already checked), as callbacks need it. */
export interface CurrentSession {
  userId: string;
  /** The Session row's id (not its token). */
  sessionId: string;
  /** When this device last signed in, in seconds since the epoch (JWT `authTime`). */
  authTime: number | null;
}

/** What the configuration uses of the composition root's services (lib/root). */
export interface AuthServices {
  settings: Settings;
  database: Database;
  logger: Logger;
  passwordGuard: PasswordGuard;
}

export interface AuthDependencies {
  services: AuthServices;
  /** The request being handled (headers()); injected so tests need no Next runtime. */
  requestContext: () => Promise<RequestContext>;
  /**
   * The session the request's cookie carries, if valid: who is linking during an OAuth
   * callback, and which row a new sign-in in the same browser replaces.
   */
  currentSession: () => Promise<CurrentSession | null>;
  /** The cookies of the request being handled: device cookies are read and set there. */
  cookies: () => Promise<CookieJar>;
  /** Runs in the transaction of each security event a sign-in records (Telegram alerts). */
  afterRecord?: AfterRecordHook;
  now?: () => Date;
}

declare module "next-auth" {
  interface Session {
    /** The Session row's id: marks "this device" in the sessions list. Never its token. */
    sessionId?: string;
    /** When this device last signed in (seconds since the epoch), for the recent-sign-in rule. */
    authTime?: number;
  }
}

export function createAuthConfig(deps: AuthDependencies): NextAuthConfig {
  const { settings, database, logger, passwordGuard } = deps.services;
  const prisma = database.prisma;
  const now = deps.now ?? (() => new Date());
  const auth = settings.auth;
  const deviceCookies = createDeviceCookies({
    secret: auth.secret,
    maxAgeSeconds: auth.deviceCookieMaxAgeSeconds,
    secure: settings.appUrl.startsWith("https:"),
    now: () => now().getTime(),
  });
  /** The nonce of the valid device cookie this browser holds for `email`, if any. */
  const knownDevice = async (email: string): Promise<string | null> => {
    const jar = await deps.cookies();
    return deviceCookies.verify(email, jar.get(deviceCookies.nameFor(email))?.value);
  };

  /**
   * Leaves the account's device cookie in this browser after a successful sign-in: renewed
   * with the same nonce when it holds a valid one (its budget, and a lock-out of it, carry
   * on; a new cookie per sign-in would hand out a fresh budget each time), a new one
   * otherwise. Every method counts — password, OAuth, linking — because each proves that
   * the account's owner uses this browser; the owner who usually signs in with Google and
   * falls back to the password then keeps their own budget. A cookie that cannot be set
   * must not fail a sign-in that has succeeded: the browser only stays unknown.
   */
  const rememberDevice = async (email: string, requestId: string): Promise<void> => {
    try {
      const jar = await deps.cookies();
      const cookie = deviceCookies.issue(email, (await knownDevice(email)) ?? undefined);
      jar.set(cookie.name, cookie.value, cookie.options);
    } catch (error) {
      logger.warn("could not set the device cookie", { error, requestId });
    }
  };

  const password = Credentials({
    id: PASSWORD_PROVIDER_ID,
    name: "Email and password",
    credentials: { email: { type: "email" }, password: { type: "password" } },
    async authorize(raw): Promise<User | null> {
      const context = await deps.requestContext();
      const parsed = signInSchema.safeParse(raw);
      if (!parsed.success) return null;
      const { email, password } = parsed.data;
      // Limits and the throttle's delay come before the password is checked, so a refused
      // attempt costs no argon2 work (lib/security/password-guard.ts). A browser that signed
      // in to this account before has its own budget instead of the account-wide limits.
      const device = await knownDevice(email);
      const admission = await passwordGuard.admit({ ip: context.ip, account: email, device });
      if (!admission.ok) {
        const { ok: _ok, ...refusal } = admission;
        logger.info("password sign-in refused", {
          reason: refusal.reason,
          // A valid device cookie came with it: its own budget was used up, or undecided.
          knownDevice: device !== null,
          retryAfterSeconds: refusal.retryAfterSeconds,
          requestId: context.requestId,
        });
        reportRefusal(refusal);
        throw new PasswordSignInRefused(refusal);
      }
      const result = await verifyCredentials({ prisma, email, password });
      if (!result.ok) {
        await passwordGuard.failed(email, admission);
        // The reason stays on the server; the person sees one message for every failure.
        await recordSignInFailure(prisma, {
          userId: null,
          method: PASSWORD_PROVIDER_ID,
          reason: "wrong email or password",
          ...context,
        });
        return null;
      }
      await passwordGuard.succeeded(email, admission);
      // The device cookie is left by the jwt callback, for every kind of sign-in.
      return { id: result.userId };
    },
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
    providers: [...oauthProviders(auth), ...(auth.passwordEnabled ? [password] : [])],
    callbacks: {
      async signIn({ user, account }) {
        if (!account || account.provider === PASSWORD_PROVIDER_ID) return true;
        const profile = user as User & NormalizedProfile;
        const context = await deps.requestContext();
        // Signed in already: the account page is linking a provider (or the person is
        // re-proving who they are with one they have). The sign-in page sends signed-in
        // visitors away unless they came to sign in again, so there is no third case.
        const current = await deps.currentSession();
        const result = await resolveOAuthSignIn(
          { prisma, logger, now, afterRecord: deps.afterRecord },
          {
            identity: {
              provider: account.provider,
              providerAccountId: account.providerAccountId,
              type: account.type === "oidc" ? "oidc" : "oauth",
              email: profile.email ?? null,
              emailVerified: profile.emailVerified,
              name: profile.name ?? null,
              image: profile.image ?? null,
              label: profile.label,
              tokens: {
                access_token: account.access_token,
                refresh_token: account.refresh_token,
                expires_at: account.expires_at,
                token_type: account.token_type,
                scope: account.scope,
                id_token: account.id_token,
                session_state:
                  typeof account.session_state === "string" ? account.session_state : undefined,
              },
            },
            currentUser: current && {
              id: current.userId,
              recentSignIn: isRecentSignIn(current.authTime, now(), auth.recentSignInMaxAgeSeconds),
            },
            context,
          },
        );
        if (result.outcome === "refused") {
          await recordSignInFailure(prisma, {
            // While linking, the refusal belongs in the signed-in user's own log.
            userId: current?.userId ?? null,
            method: account.provider,
            reason: result.reason,
            ...context,
          });
          if (result.reason === "recent-sign-in-required") {
            return reauthenticationPath(ACCOUNT_PATH);
          }
          const query = `error=${policyErrors[result.reason]}&provider=${account.provider}`;
          // A refused link is explained on the account page, where it started.
          return current ? `${ACCOUNT_PATH}?${query}` : `/auth/error?${query}`;
        }
        // Auth.js looks the identity up next and signs in as its owner.
        user.id = result.userId;
        return true;
      },

      async jwt({ token, user, account, trigger }) {
        if ((trigger === "signIn" || trigger === "signUp") && user?.id) {
          const context = await deps.requestContext();
          const method = account?.provider ?? PASSWORD_PROVIDER_ID;
          // Read before the new cookie exists: the session this browser had until now.
          const previous = await deps.currentSession();
          const session = await createSession(prisma, {
            userId: user.id,
            method,
            ip: context.ip,
            userAgent: context.userAgent,
            maxAgeSeconds: auth.sessionMaxAgeSeconds,
            now: now(),
          });
          // This browser's cookie is about to be replaced, so its old row is dead: without
          // this, every re-proof or link would leave a phantom device in the list.
          if (previous) await discardReplacedSession(prisma, previous.sessionId);
          // afterRecord queues the Telegram alert in the same transaction (lib/telegram).
          await recordSignIn(
            prisma,
            { userId: user.id, method, now: now(), ...context },
            { afterRecord: deps.afterRecord },
          );
          // The person as stored (a password sign-in's `user` carries only the id).
          const profile = await prisma.user.findUnique({
            where: { id: user.id },
            select: { name: true, email: true, image: true },
          });
          if (profile?.email) await rememberDevice(profile.email, context.requestId);
          return {
            sub: user.id,
            name: profile?.name ?? null,
            email: profile?.email ?? null,
            picture: profile?.image ?? null,
            sid: session.sessionToken,
            sessionId: session.sessionId,
            // When this device last proved who it is: the recent-sign-in rule reads it.
            authTime: Math.floor(now().getTime() / 1000),
            method,
          };
        }
        const sid = typeof token.sid === "string" ? token.sid : null;
        if (!sid) return null;
        const valid = await validateSession(prisma, {
          sessionToken: sid,
          touchIntervalSeconds: auth.sessionTouchIntervalSeconds,
          maxAgeSeconds: auth.sessionMaxAgeSeconds,
          now: now(),
        });
        // Returning null makes Auth.js treat the token as signed out (and clear the cookie
        // where it can): the row was revoked, deleted or expired.
        if (!valid || valid.userId !== token.sub) return null;
        return token;
      },

      session({ session, token }) {
        if (token.sub) session.user.id = token.sub;
        // The row id, never `sid`: the session object reaches the browser (/api/auth/session).
        if (typeof token.sessionId === "string") session.sessionId = token.sessionId;
        if (typeof token.authTime === "number") session.authTime = token.authTime;
        return session;
      },

      redirect({ url, baseUrl }) {
        return `${baseUrl}${safeRedirectPath(url, baseUrl)}`;
      },
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
      requestId: async () => (await deps.requestContext()).requestId,
    }),
  };
}
