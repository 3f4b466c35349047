// The second step of a held sign-in (second-factor-gate.ts), as a Credentials provider: its
// authorize() checks the code for the pending sign-in this browser's cookie names
// (lib/auth/second-factor/sign-in-step.ts) and hands Auth.js the user, so the session is
// created exactly as for every other sign-in (the jwt callback: Session row, SIGN_IN event
// and alert, device cookie). The session records the first factor as its method.
//
// "Confirm it's you" with a code (confirmIdentityProvider) is the same idea for a browser
// that is signed in already: the code stands in for a full sign-in, and the session it
// creates replaces the browser's current one with a fresh sign-in time.
//
// A refusal is thrown as SecondFactorRefused: the challenge page's action gets it as it is
// (Auth.js rethrows CredentialsSignin errors in raw mode) and says what happened.
import type { User } from "next-auth";
import { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";

import type { CookieJar } from "@/lib/auth/dependencies";
import {
  clearPendingSignInCookie,
  CONFIRM_IDENTITY_PROVIDER_ID,
  pendingSignInToken,
  SECOND_FACTOR_PROVIDER_ID,
} from "@/lib/auth/second-factor-gate";
import {
  confirmIdentityWithCode,
  passSecondFactor,
  type ConfirmIdentityResult,
  type SecondFactorKeys,
  type SecondFactorStepResult,
} from "@/lib/auth/second-factor";
import type { CurrentSession } from "@/lib/auth/dependencies";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import type { Logger } from "@/lib/logger";
import type { RateLimiter } from "@/lib/rate-limit/limiter";
import type { AfterRecordHook } from "@/lib/security/events";

export type SecondFactorRefusal =
  | Exclude<SecondFactorStepResult, { status: "passed" }>
  | Exclude<ConfirmIdentityResult, { status: "confirmed" }>
  /** Confirming it's you needs a signed-in browser. */
  | { status: "signed-out" };

export class SecondFactorRefused extends CredentialsSignin {
  constructor(readonly refusal: SecondFactorRefusal) {
    super(`second factor refused: ${refusal.status}`);
    // Goes into Auth.js's redirect URL on a direct POST: a reason, nothing about the account.
    this.code = refusal.status;
  }
}

/** What the sign-in's user carries from authorize() to the jwt callback. */
export interface SecondFactorUser extends User {
  id: string;
  /** The first factor ("password", "github" …), which the session records as its method. */
  signInMethod: string;
}

const stepInput = z.object({
  kind: z.enum(["totp", "recovery"]),
  // The services normalize and check the code itself; this only bounds what reaches them.
  code: z.string().max(64),
});

export interface SecondFactorProviderDeps {
  prisma: PrismaClient;
  logger: Pick<Logger, "info" | "error">;
  limiter: Pick<RateLimiter, "limit">;
  keys: SecondFactorKeys;
  now: () => Date;
  requestContext: () => Promise<RequestContext>;
  cookies: () => Promise<CookieJar>;
  secureCookies: boolean;
  afterRecord?: AfterRecordHook;
}

export function secondFactorProvider(deps: SecondFactorProviderDeps) {
  return Credentials({
    id: SECOND_FACTOR_PROVIDER_ID,
    name: "Two-step verification",
    credentials: { kind: { type: "text" }, code: { type: "text" } },
    async authorize(raw): Promise<SecondFactorUser> {
      const context = await deps.requestContext();
      const parsed = stepInput.safeParse(raw);
      const result = await passSecondFactor(
        {
          db: deps.prisma,
          limiter: deps.limiter,
          keys: deps.keys,
          now: deps.now,
          afterRecord: deps.afterRecord,
        },
        {
          token: await pendingSignInToken(deps.cookies, deps.secureCookies),
          kind: parsed.success ? parsed.data.kind : "totp",
          // A malformed body is a wrong code: it counts like one.
          code: parsed.success ? parsed.data.code : "",
          context,
        },
      );
      if (result.status === "passed") {
        await clearPendingSignInCookie(deps.cookies, deps.secureCookies);
        return { id: result.userId, signInMethod: result.method };
      }
      if (result.status === "ended" || result.status === "expired") {
        await clearPendingSignInCookie(deps.cookies, deps.secureCookies);
      }
      if (result.status === "key-unreadable") {
        // Every enrolled app stops working when AUTH_SECRET changes (docs/second-factor.md).
        deps.logger.error("second factor: the stored key does not open (AUTH_SECRET changed?)", {
          requestId: context.requestId,
        });
      } else {
        deps.logger.info("second factor refused", {
          status: result.status,
          requestId: context.requestId,
        });
      }
      throw new SecondFactorRefused(result);
    },
  });
}

/** The first factor a sign-in's user carries, when it came through the second step. */
export function signInMethodOf(user: User | undefined): string | null {
  const method: unknown = user && "signInMethod" in user ? user.signInMethod : undefined;
  return typeof method === "string" && method.length > 0 ? method : null;
}

export interface ConfirmIdentityProviderDeps extends Omit<
  SecondFactorProviderDeps,
  "cookies" | "secureCookies"
> {
  currentSession: () => Promise<CurrentSession | null>;
}

export function confirmIdentityProvider(deps: ConfirmIdentityProviderDeps) {
  return Credentials({
    id: CONFIRM_IDENTITY_PROVIDER_ID,
    name: "Confirm it's you",
    credentials: { kind: { type: "text" }, code: { type: "text" } },
    async authorize(raw): Promise<SecondFactorUser> {
      const context = await deps.requestContext();
      // Who is confirming comes from the session cookie, never from the request's fields.
      const session = await deps.currentSession();
      if (!session) throw new SecondFactorRefused({ status: "signed-out" });
      const parsed = stepInput.safeParse(raw);
      const kind = parsed.success ? parsed.data.kind : "totp";
      const result = await confirmIdentityWithCode(
        {
          db: deps.prisma,
          limiter: deps.limiter,
          keys: deps.keys,
          now: deps.now,
          afterRecord: deps.afterRecord,
        },
        { userId: session.userId, kind, code: parsed.success ? parsed.data.code : "", context },
      );
      if (result.status !== "confirmed") {
        deps.logger.info("confirming with a code refused", {
          status: result.status,
          requestId: context.requestId,
        });
        throw new SecondFactorRefused(result);
      }
      // The new session keeps the method this browser signed in with.
      const current = await deps.prisma.session.findUnique({
        where: { id: session.sessionId },
        select: { method: true },
      });
      return { id: session.userId, signInMethod: current?.method ?? "" };
    },
  });
}
