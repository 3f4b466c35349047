// Email + password sign-up (the form on /sign-up). Every valid sign-up gets the same answer,
// "check your inbox", whether the address is new or already has an account
// (lib/auth/registration.ts): sign-up tells nobody who is a member. It does not sign the
// browser in; the password works on /sign-in straight away, with the email unverified.
import {
  flattenValidationErrors,
  returnServerError,
  type ValidationErrors,
} from "next-safe-action";

import { FIX_FIELDS, type AuthActionDependencies } from "@/lib/actions/auth/shared";
import { createActionClient } from "@/lib/actions/clients";
import { registerWithPassword } from "@/lib/auth/registration";
import { signUpSchema } from "@/lib/auth/schemas";
import { checkMailBudget } from "@/lib/rate-limit/mail-budget";
import { refusalFrom, refusalMessage } from "@/lib/security/password-guard";

// Where the form was opened from is the page's business (its "Sign in" link), not the
// action's: the browser is not signed in here.
const signUpInput = signUpSchema;

/** Every refused field says why next to it; the form's message asks to fix them. */
function fixTheFields(errors: ValidationErrors<typeof signUpInput>) {
  return Promise.resolve({
    formErrors: [FIX_FIELDS],
    fieldErrors: flattenValidationErrors(errors).fieldErrors,
  });
}

/** What the form shows: the same for a new address and a taken one. */
export interface SignUpAnswer {
  /** The address the link went to, as it was typed (trimmed). */
  email: string;
}

const WHAT = "create your account";

export function createSignUpActions(deps: AuthActionDependencies) {
  const actionClient = createActionClient(deps);

  return {
    /** Answers "check your inbox" (SignUpAnswer), or why not. */
    signUp: actionClient
      // Validated before the limits below: a refused form (a control character in the name,
      // say) spends none of the budgets.
      .inputSchema(signUpInput, { handleValidationErrorsShape: fixTheFields })
      .action(async ({ parsedInput: account, ctx }) => {
        const { limiter, database, mail, settings } = deps.services();
        const { ip } = ctx.context;
        // Both paths send a mail (the link, or the owner's notice): the mail budget first,
        // per address and per IP, so nobody can mail-bomb an address through this form.
        const budget = await checkMailBudget(limiter, { email: account.email, ip });
        if (!budget.allowed) {
          const reason = budget.unavailable ? ("unavailable" as const) : ("limited" as const);
          const refusal = { reason, retryAfterSeconds: budget.retryAfterSeconds, headers: {} };
          returnServerError(refusalMessage(refusal, WHAT));
        }
        // Counted for taken addresses too: it slows down creating accounts in bulk.
        const decision = await limiter.limit("signUpIp", ip ?? "unknown");
        if (!decision.allowed) {
          returnServerError(refusalMessage(refusalFrom(decision, ctx.now.getTime()), WHAT));
        }
        await registerWithPassword(
          {
            prisma: database.prisma,
            queueMail: mail.queueMail,
            appUrl: settings.appUrl,
            lifetimes: settings.emailTokens.lifetimeSeconds,
            now: () => ctx.now,
          },
          { ...account, ...ctx.context },
        );
        return { email: account.email } satisfies SignUpAnswer;
      }),
  };
}
