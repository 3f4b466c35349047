// The waiting page's actions (/sign-in/approve): finish a sign-in the Telegram chat approved,
// or turn an unanswered one into the authenticator app's code step. Finishing goes through
// Auth.js (the "sign-in-approval" provider), which creates the session and redirects to
// where the sign-in was headed; every refusal is an answer the page shows, never an
// exception. "Cancel" is the code step's own action (cancelSecondFactor): it ends whatever
// pending sign-in the browser carries.
import { redirect, unstable_rethrow } from "next/navigation";

import { createActionClient } from "@/lib/actions/clients";
import type { AuthActionDependencies } from "@/lib/actions/auth/shared";
import { SIGN_IN_APPROVAL_PROVIDER_ID } from "@/lib/auth/approval-gate";
import type { CookieJar } from "@/lib/auth/dependencies";
import {
  clearPendingSignInCookie,
  pendingSignInToken,
  SECOND_FACTOR_PATH,
  setPendingSignInCookie,
} from "@/lib/auth/second-factor-gate";
import { findApproval, switchApprovalToCode } from "@/lib/auth/sign-in-approval";
import { SignInApprovalRefused } from "@/lib/auth/sign-in-approval-provider";
import { usesSecureCookies } from "@/lib/http/cookies";

export interface SignInApprovalActionDependencies extends AuthActionDependencies {
  cookies: () => Promise<CookieJar>;
}

/** Where the request stands when it could not be finished (or switched). */
export type ApprovalAnswerStatus = "waiting" | "denied" | "expired" | "gone";

export interface ApprovalAnswer {
  status: ApprovalAnswerStatus;
}

export function createSignInApprovalActions(deps: SignInApprovalActionDependencies) {
  const actionClient = createActionClient(deps);
  const secure = () => usesSecureCookies(deps.services().settings.appUrl);

  return {
    /** Ends in a redirect to where the sign-in was headed, or says where the request stands. */
    finishApprovedSignIn: actionClient.action(async ({ ctx }): Promise<ApprovalAnswer> => {
      const { prisma } = deps.services().database;
      const token = await pendingSignInToken(deps.cookies, secure());
      // Read first for where it goes; the provider checks it again, and spends it.
      const found = await findApproval(prisma, token, ctx.now);
      if (!found) {
        await clearPendingSignInCookie(deps.cookies, secure());
        return { status: "gone" };
      }
      if (found.status !== "approved") return { status: found.status };
      try {
        await deps.signIn(SIGN_IN_APPROVAL_PROVIDER_ID, { redirectTo: found.returnTo });
      } catch (error) {
        // The redirect is how a sign-in succeeds: it goes through to the browser.
        unstable_rethrow(error);
        if (error instanceof SignInApprovalRefused) {
          // Spent by another request of this browser (a second tab): that one signed in.
          return { status: error.status === "used" ? "gone" : error.status };
        }
        throw error;
      }
      throw new Error("the approved sign-in ended without a redirect");
    }),

    /**
     * "Use your authenticator app instead": on to the code step with the same pending
     * sign-in (a redirect), or where the request stands when that is not possible.
     */
    switchToCode: actionClient.action(async ({ ctx }): Promise<ApprovalAnswer> => {
      const { prisma } = deps.services().database;
      const { settings } = deps.services();
      const token = await pendingSignInToken(deps.cookies, secure());
      const switched = await switchApprovalToCode(prisma, {
        token,
        now: ctx.now,
        codeTtlSeconds: settings.auth.pendingSignInTtlSeconds,
      });
      if (switched === "switched") {
        // The cookie now carries a code step: it lives as long as that does.
        if (token) {
          await setPendingSignInCookie(
            deps.cookies,
            secure(),
            token,
            settings.auth.pendingSignInTtlSeconds,
          );
        }
        redirect(SECOND_FACTOR_PATH);
      }
      const found = await findApproval(prisma, token, ctx.now);
      return { status: found?.status === "approved" ? "waiting" : (found?.status ?? "gone") };
    }),
  };
}
