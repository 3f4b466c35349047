// Email + password sign-up (the form on /sign-up), then signing the new account in.
import { unstable_rethrow } from "next/navigation";
import {
  flattenValidationErrors,
  returnServerError,
  type ValidationErrors,
} from "next-safe-action";

import {
  callbackUrlSchema,
  FIX_FIELDS,
  redirectTarget,
  type AuthActionDependencies,
} from "@/lib/actions/auth/shared";
import { createActionClient } from "@/lib/actions/clients";
import { PASSWORD_PROVIDER_ID } from "@/lib/auth/config";
import { registerWithPassword } from "@/lib/auth/registration";
import { messages, signUpSchema } from "@/lib/auth/schemas";
import { PasswordSignInRefused } from "@/lib/auth/sign-in-refusal";
import { refusalFrom, refusalMessage } from "@/lib/security/password-guard";

// safeExtend: the schema's refinement (a password that is the email) stays.
const signUpInput = signUpSchema.safeExtend({ callbackUrl: callbackUrlSchema });

/** Every refused field says why next to it; the form's message asks to fix them. */
function fixTheFields(errors: ValidationErrors<typeof signUpInput>) {
  return Promise.resolve({
    formErrors: [FIX_FIELDS],
    fieldErrors: flattenValidationErrors(errors).fieldErrors,
  });
}

export function createSignUpActions(deps: AuthActionDependencies) {
  const actionClient = createActionClient(deps);

  return {
    /** Ends in a redirect to where the form was opened from, signed in, or answers why not. */
    signUp: actionClient
      // Validated before the sign-up limit below: a refused form (a control character in
      // the name, say) spends none of the per-IP budget.
      .inputSchema(signUpInput, { handleValidationErrorsShape: fixTheFields })
      .action(async ({ parsedInput: { callbackUrl, ...account }, ctx }) => {
        const { limiter, database } = deps.services();
        // Counted once the form is valid, taken emails included: probing which emails have
        // an account through sign-up is what this limit slows down.
        const decision = await limiter.limit("signUpIp", ctx.context.ip ?? "unknown");
        if (!decision.allowed) {
          const refusal = refusalFrom(decision, ctx.now.getTime());
          returnServerError(refusalMessage(refusal, "create your account"));
        }
        const result = await registerWithPassword(database.prisma, { ...account, ...ctx.context });
        if (!result.ok) returnServerError(messages.emailTaken);
        try {
          const { email, password } = account;
          const redirectTo = redirectTarget(deps, callbackUrl);
          await deps.signIn(PASSWORD_PROVIDER_ID, { email, password, redirectTo });
        } catch (error) {
          unstable_rethrow(error);
          // The account exists; only the sign-in that follows was refused (its IP limit is
          // used up).
          if (!(error instanceof PasswordSignInRefused)) throw error;
          const refusal = refusalMessage(error.refusal, "sign you in");
          returnServerError(`Your account is ready, but we couldn't sign you in yet. ${refusal}`);
        }
      }),
  };
}
