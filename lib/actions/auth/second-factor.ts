// The challenge page's actions (/sign-in/second-factor): finish a held sign-in with a code
// from the authenticator app or a recovery code, or give it up. And "Confirm it's you" with
// a code (/sign-in?reauth=1), for a signed-in person with an authenticator app. Finishing goes through
// Auth.js (the "second-factor" provider), which creates the session and redirects to where
// the sign-in was headed; every refusal is an answer the page shows, never an exception.
import { redirect, unstable_rethrow } from "next/navigation";
import { z } from "zod";

import { createActionClient } from "@/lib/actions/clients";
import {
  callbackUrlSchema,
  redirectTarget,
  type AuthActionDependencies,
} from "@/lib/actions/auth/shared";
import type { CookieJar } from "@/lib/auth/dependencies";
import { cancelPendingSignIn, findPendingSignIn } from "@/lib/auth/pending-sign-in";
import {
  clearPendingSignInCookie,
  pendingSignInToken,
  CONFIRM_IDENTITY_PROVIDER_ID,
  SECOND_FACTOR_PROVIDER_ID,
} from "@/lib/auth/second-factor-gate";
import { SecondFactorRefused, type SecondFactorRefusal } from "@/lib/auth/second-factor-provider";
import { codeBudgetMessage } from "@/lib/actions/code-budget";
import { usesSecureCookies } from "@/lib/http/cookies";

export interface SecondFactorActionDependencies extends AuthActionDependencies {
  /** This request's cookies (Next's cookies()): the pending sign-in's is read and dropped. */
  cookies: () => Promise<CookieJar>;
}

/** What the page shows after a refused code; `restart`: the sign-in is over, start again. */
export interface SecondFactorAnswer {
  message: string;
  restart: boolean;
}

export const SECOND_FACTOR_MESSAGES = {
  expired: "This sign-in has expired or was already finished. Please sign in again.",
  ended: "Too many wrong codes. For your safety this sign-in was stopped. Please sign in again.",
  keyUnreadable:
    "We can't check codes for this account right now. Use a recovery code, or contact the people who run this site.",
  notEnabled:
    "Two-step verification is off for this account. Confirm it's you with another way to sign in.",
  signedOut: "You're signed out. Please sign in again.",
} as const;

const input = z.object({
  kind: z.enum(["totp", "recovery"]),
  // The services normalize the code (spaces, dashes, case); this bounds what reaches them.
  code: z.string().max(64),
});

function wrongCodeMessage(
  refusal: Extract<SecondFactorRefusal, { status: "wrong-code" }>,
  kind: "totp" | "recovery",
): string {
  const first =
    kind === "totp"
      ? refusal.reused
        ? "That code was already used. Wait for the next one in your app."
        : "That code did not match. Check the time on your phone and try the newest code."
      : refusal.reused
        ? "That recovery code was already used. Each one works once."
        : "That recovery code did not match.";
  // At a held sign-in, five wrong codes end it: say how many are left. ("Confirm it's you"
  // has no such count; its limits are the code budgets.)
  if (!("attemptsLeft" in refusal)) return first;
  const left = refusal.attemptsLeft === 1 ? "1 try left" : `${refusal.attemptsLeft} tries left`;
  return `${first} (${left}.)`;
}

export function secondFactorAnswer(
  refusal: SecondFactorRefusal,
  kind: "totp" | "recovery",
): SecondFactorAnswer {
  switch (refusal.status) {
    case "wrong-code":
      return { message: wrongCodeMessage(refusal, kind), restart: false };
    case "ended":
      return { message: SECOND_FACTOR_MESSAGES.ended, restart: true };
    case "expired":
      return { message: SECOND_FACTOR_MESSAGES.expired, restart: true };
    case "limited":
      return {
        message: codeBudgetMessage({
          allowed: false,
          unavailable: refusal.reason === "unavailable",
          retryAfterSeconds: refusal.retryAfterSeconds,
        }),
        restart: false,
      };
    case "key-unreadable":
      return { message: SECOND_FACTOR_MESSAGES.keyUnreadable, restart: false };
    case "not-enabled":
      return { message: SECOND_FACTOR_MESSAGES.notEnabled, restart: true };
    case "signed-out":
      return { message: SECOND_FACTOR_MESSAGES.signedOut, restart: true };
  }
}

export function createSecondFactorActions(deps: SecondFactorActionDependencies) {
  const actionClient = createActionClient(deps);
  const secure = () => usesSecureCookies(deps.services().settings.appUrl);

  return {
    /** Ends in a redirect to where the sign-in was headed, or answers why not. */
    passSecondFactor: actionClient
      .inputSchema(input)
      .action(async ({ parsedInput: { kind, code }, ctx }): Promise<SecondFactorAnswer> => {
        const { prisma } = deps.services().database;
        const token = await pendingSignInToken(deps.cookies, secure());
        // Read first for where it goes; the provider checks it again, and spends it.
        const pending = await findPendingSignIn(prisma, token, ctx.now);
        if (!pending) {
          await clearPendingSignInCookie(deps.cookies, secure());
          return { message: SECOND_FACTOR_MESSAGES.expired, restart: true };
        }
        try {
          await deps.signIn(SECOND_FACTOR_PROVIDER_ID, {
            kind,
            code,
            redirectTo: pending.returnTo,
          });
        } catch (error) {
          // The redirect is how a sign-in succeeds: it goes through to the browser.
          unstable_rethrow(error);
          if (error instanceof SecondFactorRefused) return secondFactorAnswer(error.refusal, kind);
          throw error;
        }
        // Auth.js always ends a sign-in in a redirect; reaching here means it did not.
        throw new Error("the second-factor sign-in ended without a redirect");
      }),

    /**
     * "Confirm it's you" with a code: a fresh sign-in time for this browser, then back to
     * where the person was (a redirect), or the answer why not.
     */
    confirmWithCode: actionClient
      .inputSchema(input.extend({ callbackUrl: callbackUrlSchema }))
      .action(async ({ parsedInput: { kind, code, callbackUrl } }): Promise<SecondFactorAnswer> => {
        try {
          await deps.signIn(CONFIRM_IDENTITY_PROVIDER_ID, {
            kind,
            code,
            redirectTo: redirectTarget(deps, callbackUrl),
          });
        } catch (error) {
          unstable_rethrow(error);
          if (error instanceof SecondFactorRefused) return secondFactorAnswer(error.refusal, kind);
          throw error;
        }
        throw new Error("confirming with a code ended without a redirect");
      }),

    /** "Cancel": the pending sign-in and its cookie go; back to the sign-in page. */
    // A plain form action: a failure is thrown, and the error page says it (as sign-out).
    cancelSecondFactor: actionClient.action(
      async () => {
        const token = await pendingSignInToken(deps.cookies, secure());
        if (token) await cancelPendingSignIn(deps.services().database.prisma, token);
        await clearPendingSignInCookie(deps.cookies, secure());
        redirect("/sign-in");
      },
      { throwServerError: true },
    ),
  };
}
