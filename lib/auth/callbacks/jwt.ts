// The jwt callback. At sign-in it starts a Session row (device, IP, times) and puts its
// handle in the JWT, and leaves (or renews) the account's device cookie in the browser. On
// every later request it checks the row, so a revoked or deleted row signs that token out
// on its next request.
import type { JWT } from "next-auth/jwt";

import type { JwtCallback } from "@/lib/auth/callbacks/types";
import { PASSWORD_PROVIDER_ID } from "@/lib/auth/constants";
import type { CurrentSession } from "@/lib/auth/dependencies";
import type { DeviceMemory } from "@/lib/auth/device-memory";
import { signInMethodOf } from "@/lib/auth/second-factor-provider";
import { validateSession, type SessionLookup } from "@/lib/auth/sessions";
import { startSignedInSession } from "@/lib/auth/sign-in-session";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import type { Logger } from "@/lib/logger";
import type { Metrics } from "@/lib/metrics";
import type { AfterRecordHook } from "@/lib/security/events";

export interface JwtCallbackDeps {
  prisma: PrismaClient;
  now: () => Date;
  sessionMaxAgeSeconds: number;
  sessionTouchIntervalSeconds: number;
  /** How the check reads the Session row (one prepared statement in the app). */
  sessionLookup?: SessionLookup;
  requestContext: () => Promise<RequestContext>;
  currentSession: () => Promise<CurrentSession | null>;
  rememberDevice: DeviceMemory["rememberDevice"];
  afterRecord?: AfterRecordHook;
  /** Says who signed in, with which method and session: the log's trail of sign-ins. */
  logger?: Pick<Logger, "info">;
  /** Times every session check, by what it found (lib/metrics). */
  metrics?: Pick<Metrics, "sessionCheck">;
}

export function createJwtCallback(deps: JwtCallbackDeps): JwtCallback {
  const { prisma, now } = deps;

  async function signedIn(userId: string, method: string): Promise<JWT> {
    const context = await deps.requestContext();
    // Read before the new cookie exists: the session this browser had until now.
    const previous = await deps.currentSession();
    const { session, profile } = await startSignedInSession(prisma, {
      userId,
      method,
      context,
      replacedSessionId: previous?.sessionId ?? null,
      maxAgeSeconds: deps.sessionMaxAgeSeconds,
      now,
      afterRecord: deps.afterRecord,
    });
    await deps.rememberDevice({ userId, email: profile?.email ?? null }, context.requestId);
    // No requestId passed: the request's scope adds it (lib/request-scope.ts).
    deps.logger?.info("signed in", { userId, method, sessionId: session.sessionId });
    return {
      sub: userId,
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

  return async ({ token, user, account, trigger }) => {
    if ((trigger === "signIn" || trigger === "signUp") && user?.id) {
      // A sign-in finished by its second step records its first factor as the method.
      const method = signInMethodOf(user) ?? account?.provider ?? PASSWORD_PROVIDER_ID;
      return signedIn(user.id, method);
    }
    const sid = typeof token.sid === "string" ? token.sid : null;
    if (!sid) return null;
    const valid = await validateSession(prisma, {
      sessionToken: sid,
      touchIntervalSeconds: deps.sessionTouchIntervalSeconds,
      maxAgeSeconds: deps.sessionMaxAgeSeconds,
      now: now(),
      lookup: deps.sessionLookup,
      observe: deps.metrics?.sessionCheck,
    });
    // Returning null makes Auth.js treat the token as signed out (and clear the cookie
    // where it can): the row was revoked, deleted or expired.
    if (!valid || valid.userId !== token.sub) return null;
    // A confirmed change of address shows at once (header, "Confirm it's you"), not only
    // after the next sign-in.
    return valid.email === token.email ? token : { ...token, email: valid.email };
  };
}
