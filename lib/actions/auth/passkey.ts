// Signing in with a passkey from /sign-in (and "Confirm it's you" on /sign-in?reauth=1): the
// browser's answer to the ceremony goes to Auth.js (the "passkey" provider), which checks it
// and signs in, or holds the sign-in for the second factor, with a redirect. The ceremony's
// options come from a route handler (lib/auth/passkey-sign-in-options.ts, which says why).
// Every refusal is one sentence the page shows, never an exception.
import { unstable_rethrow } from "next/navigation";
import { z } from "zod";

import {
  callbackUrlSchema,
  redirectTarget,
  type AuthActionDependencies,
} from "@/lib/actions/auth/shared";
import { createActionClient } from "@/lib/actions/clients";
import { passkeyResponseSchema } from "@/lib/auth/passkey-ceremony";
import { PasskeySignInRefused } from "@/lib/auth/passkey-provider";
import { passkeySignInBudgetRefusal } from "@/lib/auth/passkey-sign-in-options";
import { PASSKEY_PROVIDER_ID } from "@/lib/sign-in-methods";

/** The challenge's cookie is read by the provider (lib/auth/passkey-provider.ts), not here. */
export type PasskeySignInActionDependencies = AuthActionDependencies;

export const PASSKEY_SIGN_IN_MESSAGES = {
  /** Every refusal of the answer: which one it was is for the log, not the person. */
  refused:
    "That passkey could not sign you in. Try again, or use another way to sign in. If you removed it from your account, it no longer works here.",
} as const;

const finishInput = z.object({
  response: passkeyResponseSchema,
  callbackUrl: callbackUrlSchema,
});

export function createPasskeySignInActions(deps: PasskeySignInActionDependencies) {
  const actionClient = createActionClient(deps);

  return {
    /** Ends in a redirect (signed in, or to the second step), or answers why not. */
    signInWithPasskey: actionClient
      .inputSchema(finishInput)
      .action(
        async ({ parsedInput: { response, callbackUrl }, ctx }): Promise<{ message: string }> => {
          const refusal = await passkeySignInBudgetRefusal(deps.services().limiter, ctx.context.ip);
          if (refusal) return { message: refusal.message };
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
