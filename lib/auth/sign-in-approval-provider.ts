// The end of a sign-in the Telegram chat approved (approval-gate.ts, sign-in-approval.ts), as
// a Credentials provider: its authorize() spends the approved pending sign-in this browser's
// cookie names and hands Auth.js the user, so the session is created exactly as for every
// other sign-in (the jwt callback: Session row, SIGN_IN event and alert, device cookies, the
// last of which makes this browser known to the account from now on). Nothing is read from
// the request's fields: the cookie is the whole credential, and only an approved, unexpired
// row is spent, by one request of any number.
import { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";

import { SIGN_IN_APPROVAL_PROVIDER_ID } from "@/lib/auth/approval-gate";
import type { CookieJar } from "@/lib/auth/dependencies";
import { clearPendingSignInCookie, pendingSignInToken } from "@/lib/auth/second-factor-gate";
import type { SecondFactorUser } from "@/lib/auth/second-factor-provider";
import {
  approvalStatus,
  completeApprovedSignIn,
  type ApprovalStatus,
} from "@/lib/auth/sign-in-approval";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import type { Logger } from "@/lib/logger";

/** Why an approved sign-in could not be finished: where the request stands instead. */
export class SignInApprovalRefused extends CredentialsSignin {
  constructor(readonly status: Exclude<ApprovalStatus, "approved"> | "used") {
    super(`sign-in approval: ${status}`);
    this.code = status;
  }
}

export interface SignInApprovalProviderDeps {
  prisma: PrismaClient;
  logger: Pick<Logger, "info">;
  now: () => Date;
  requestContext: () => Promise<RequestContext>;
  cookies: () => Promise<CookieJar>;
  secureCookies: boolean;
}

export function signInApprovalProvider(deps: SignInApprovalProviderDeps) {
  return Credentials({
    id: SIGN_IN_APPROVAL_PROVIDER_ID,
    name: "Approved in Telegram",
    credentials: {},
    async authorize(): Promise<SecondFactorUser> {
      const token = await pendingSignInToken(deps.cookies, deps.secureCookies);
      const now = deps.now();
      const approved = await completeApprovedSignIn(deps.prisma, token, now);
      if (approved) {
        await clearPendingSignInCookie(deps.cookies, deps.secureCookies);
        return { id: approved.userId, signInMethod: approved.method };
      }
      // Approved but spent already means another request of this browser won the race.
      const status = await approvalStatus(deps.prisma, token, now);
      const refusal = status === "approved" ? "used" : status;
      if (refusal === "gone" || refusal === "denied") {
        await clearPendingSignInCookie(deps.cookies, deps.secureCookies);
      }
      deps.logger.info("finishing an approved sign-in refused", {
        status: refusal,
        requestId: (await deps.requestContext()).requestId,
      });
      throw new SignInApprovalRefused(refusal);
    },
  });
}
