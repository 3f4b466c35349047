// Signing in with a passkey, as an Auth.js Credentials provider (docs/passkeys.md). The
// sign-in page's action started the ceremony (startPasskeySignIn) and left its challenge id
// in an HttpOnly cookie; the browser's answer arrives here as a JSON string. authorize()
// reads and clears the cookie, checks the answer (finishPasskeySignIn), and hands Auth.js
// the user, so the session is made exactly as for every other sign-in (the jwt callback:
// Session row, SIGN_IN with method "passkey", alert, device cookie).
//
// - A signed-in browser is confirming it's you (/sign-in?reauth=1): the passkey must be the
//   signed-in user's, read from the session cookie, never from the request. Another
//   account's passkey is refused before it is verified, so nothing about it changes.
// - Whether the authenticator verified the person (PIN, biometrics) travels to the signIn
//   callback, which lets a user-verified passkey stand for both factors
//   (callbacks/sign-in.ts).
// - Every refusal reads the same to the person (PasskeySignInRefused); the reason goes to
//   the log with the request id. A possible clone (the counter did not move forward) is
//   recorded on the account as a failed sign-in.
import type { User } from "next-auth";
import { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";

import type { CookieJar, CurrentSession } from "@/lib/auth/dependencies";
import { recordSignInFailure } from "@/lib/auth/identity";
import {
  clearPasskeyChallengeCookie,
  parsePasskeyResponse,
  passkeyChallengeId,
  passkeyRelyingParty,
} from "@/lib/auth/passkey-ceremony";
import { finishPasskeySignIn } from "@/lib/auth/passkeys/sign-in";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import type { Logger } from "@/lib/logger";
import type { AfterRecordHook } from "@/lib/security/events";
import { PASSKEY_PROVIDER_ID } from "@/lib/sign-in-methods";

/** Why a passkey did not sign in: for the log and tests, never for the person. */
export type PasskeyRefusalReason =
  | "unavailable"
  | "challenge-unknown"
  | "challenge-expired"
  | "not-verified"
  | "unknown-credential"
  | "another-account"
  | "user-handle-mismatch"
  | "counter-regressed";

export class PasskeySignInRefused extends CredentialsSignin {
  constructor(readonly reason: PasskeyRefusalReason) {
    super(`passkey sign-in refused: ${reason}`);
    // Goes into Auth.js's redirect URL on a direct POST: one code for every reason, so the
    // URL says nothing about which passkeys or accounts exist.
    this.code = "passkey-refused";
  }
}

/** What a passkey sign-in's user carries from authorize() to the callbacks. */
export interface PasskeyUser extends User {
  id: string;
  /** The session's method (the jwt callback reads it through signInMethodOf). */
  signInMethod: typeof PASSKEY_PROVIDER_ID;
  /** The authenticator verified the person: the sign-in is two factors in one. */
  passkeyUserVerified: boolean;
}

/** Whether a sign-in's user is a passkey sign-in with user verification. */
export function passkeyUserVerified(user: User | undefined): boolean {
  return Boolean(user && "passkeyUserVerified" in user && user.passkeyUserVerified === true);
}

export interface PasskeyProviderDeps {
  prisma: PrismaClient;
  logger: Pick<Logger, "info" | "warn">;
  now: () => Date;
  appUrl: string;
  requestContext: () => Promise<RequestContext>;
  currentSession: () => Promise<CurrentSession | null>;
  cookies: () => Promise<CookieJar>;
  secureCookies: boolean;
  /** Runs with each failure's event (the sign-in metrics). */
  afterRecord?: AfterRecordHook;
}

export function passkeyProvider(deps: PasskeyProviderDeps) {
  return Credentials({
    id: PASSKEY_PROVIDER_ID,
    name: "Passkey",
    credentials: { response: { type: "text" } },
    async authorize(raw): Promise<PasskeyUser> {
      const context = await deps.requestContext();
      const refuse = (reason: PasskeyRefusalReason, detail?: string): never => {
        deps.logger.info("passkey sign-in refused", {
          reason,
          ...(detail ? { detail } : {}),
          requestId: context.requestId,
        });
        throw new PasskeySignInRefused(reason);
      };
      const rp = passkeyRelyingParty(deps.appUrl);
      if (!rp) return refuse("unavailable");
      // One try per ceremony: the cookie goes whatever happens next (the row is used up by
      // finishPasskeySignIn the same way).
      const challengeId = await passkeyChallengeId(deps.cookies, "sign-in", deps.secureCookies);
      await clearPasskeyChallengeCookie(deps.cookies, "sign-in", deps.secureCookies);
      // Bounded and parsed here; finishPasskeySignIn checks its shape (after using up the
      // challenge, so a malformed answer cannot be retried with it).
      const response = parsePasskeyResponse((raw as Record<string, unknown> | undefined)?.response);
      // Confirming it's you: who is signed in comes from the session cookie only.
      const signedIn = await deps.currentSession();
      const now = deps.now();
      const result = await finishPasskeySignIn(deps.prisma, {
        challengeId,
        response,
        rp,
        now,
        ...(signedIn ? { onlyUserId: signedIn.userId } : {}),
      });
      switch (result.status) {
        case "verified":
          return {
            id: result.userId,
            signInMethod: PASSKEY_PROVIDER_ID,
            passkeyUserVerified: result.userVerified,
          };
        case "counter-regressed":
          // A correct signature with a counter that did not move forward: the library's sign
          // of a copied authenticator. The owner sees it in their activity (and the alert).
          await recordSignInFailure(
            deps.prisma,
            {
              userId: result.userId,
              method: PASSKEY_PROVIDER_ID,
              reason: "possible cloned passkey",
              now,
              ...context,
            },
            { afterRecord: deps.afterRecord },
          );
          deps.logger.warn("passkey counter did not move forward: possible cloned passkey", {
            userId: result.userId,
            passkeyId: result.passkeyId,
            requestId: context.requestId,
          });
          throw new PasskeySignInRefused("counter-regressed");
        case "not-verified":
          return refuse("not-verified", result.reason);
        default:
          return refuse(result.status);
      }
    },
  });
}
