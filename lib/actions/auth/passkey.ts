// Signing in with a passkey from /sign-in (and "Confirm it's you" on /sign-in?reauth=1): two
// calls around the browser's ceremony. `startPasskeySignIn` makes the challenge, keeps its id
// in an HttpOnly cookie and answers the options for startAuthentication(); then
// `signInWithPasskey` hands the browser's answer to Auth.js (the "passkey" provider), which
// checks it and signs in, or holds the sign-in for the second factor, with a redirect.
// Every refusal is one sentence the page shows, never an exception.
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { unstable_rethrow } from "next/navigation";
import { z } from "zod";

import {
  callbackUrlSchema,
  redirectTarget,
  type AuthActionDependencies,
} from "@/lib/actions/auth/shared";
import { createActionClient } from "@/lib/actions/clients";
import type { CookieJar } from "@/lib/auth/dependencies";
import {
  passkeyRelyingParty,
  passkeyResponseSchema,
  setPasskeyChallengeCookie,
} from "@/lib/auth/passkey-ceremony";
import { PasskeySignInRefused } from "@/lib/auth/passkey-provider";
import { startPasskeySignIn } from "@/lib/auth/passkeys/sign-in";
import { refusalMessage } from "@/lib/security/password-guard";
import { PASSKEY_PROVIDER_ID } from "@/lib/sign-in-methods";

export interface PasskeySignInActionDependencies extends AuthActionDependencies {
  /** This request's cookies (Next's cookies()): the challenge's is set here. */
  cookies: () => Promise<CookieJar>;
}

export const PASSKEY_SIGN_IN_MESSAGES = {
  /** Every refusal of the answer: which one it was is for the log, not the person. */
  refused:
    "That passkey could not sign you in. Try again, or use another way to sign in. If you removed it from your account, it no longer works here.",
  unavailable: "Passkeys are not available on this site.",
} as const;

/** What the page shows, or the options to run the ceremony with. */
export type StartPasskeySignInAnswer =
  { ok: true; options: PublicKeyCredentialRequestOptionsJSON } | { ok: false; message: string };

const startInput = z.object({
  /** Started on page load for the email field's autofill (conditional mediation). */
  autofill: z.boolean().default(false),
});

const finishInput = z.object({
  response: passkeyResponseSchema,
  callbackUrl: callbackUrlSchema,
});

export function createPasskeySignInActions(deps: PasskeySignInActionDependencies) {
  const actionClient = createActionClient(deps);
  const secure = () => deps.services().settings.appUrl.startsWith("https:");

  /** The per-address sign-in budget (signInIp), or the message when it is spent. */
  async function limited(ip: string | null): Promise<string | null> {
    if (ip === null) return null;
    const decision = await deps.services().limiter.limit("signInIp", ip);
    if (decision.allowed) return null;
    return refusalMessage(
      {
        reason: decision.failure === "closed" ? "unavailable" : "limited",
        retryAfterSeconds: decision.retryAfterSeconds,
        headers: {},
      },
      "sign you in",
    );
  }

  return {
    startPasskeySignIn: actionClient
      .inputSchema(startInput)
      .action(async ({ parsedInput: { autofill }, ctx }): Promise<StartPasskeySignInAnswer> => {
        const { settings, database } = deps.services();
        const rp = passkeyRelyingParty(settings.appUrl);
        if (!rp) return { ok: false, message: PASSKEY_SIGN_IN_MESSAGES.unavailable };
        // A press of the button counts against the address's sign-in budget like a password
        // attempt. The autofill ceremony starts with every view of the page, so it is left to
        // the global limit: counting it would let page views lock out password sign-ins from a
        // shared address. Its answer is counted when it arrives (signInWithPasskey).
        if (!autofill) {
          const refusal = await limited(ctx.context.ip);
          if (refusal) return { ok: false, message: refusal };
        }
        const ttlSeconds = settings.auth.passkeyChallengeTtlSeconds;
        const { options, challengeId } = await startPasskeySignIn(database.prisma, {
          rp,
          now: ctx.now,
          ttlSeconds,
        });
        await setPasskeyChallengeCookie(deps.cookies, {
          ceremony: "sign-in",
          secure: secure(),
          challengeId,
          ttlSeconds,
        });
        return { ok: true, options };
      }),

    /** Ends in a redirect (signed in, or to the second step), or answers why not. */
    signInWithPasskey: actionClient
      .inputSchema(finishInput)
      .action(
        async ({ parsedInput: { response, callbackUrl }, ctx }): Promise<{ message: string }> => {
          const refusal = await limited(ctx.context.ip);
          if (refusal) return { message: refusal };
          try {
            await deps.signIn(PASSKEY_PROVIDER_ID, {
              response,
              redirectTo: redirectTarget(deps, callbackUrl),
            });
          } catch (error) {
            // The redirect is how a sign-in succeeds: it goes through to the browser.
            unstable_rethrow(error);
            if (error instanceof PasskeySignInRefused) {
              return { message: PASSKEY_SIGN_IN_MESSAGES.refused };
            }
            throw error;
          }
          // Auth.js always ends a sign-in in a redirect; reaching here means it did not.
          throw new Error("the passkey sign-in ended without a redirect");
        },
      ),
  };
}
