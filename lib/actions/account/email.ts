// The account's email address: ask to change it (or add one) from the account page, and
// confirm the change from the link mailed to the new address. Asking needs a recent
// sign-in (whoever controls the address controls password resets) and the mail budget; the
// confirmation needs no session — the link is the proof — but refuses to act while another
// account is signed in in the same browser.
import { returnServerError, returnValidationErrors } from "next-safe-action";

import { AccountError } from "@/lib/account/errors";
import { confirmEmailChange, requestEmailChange } from "@/lib/account/email-change";
import { changeEmailSchema, confirmEmailChangeSchema } from "@/lib/account/schemas";
import {
  createActionClients,
  type ActionDependencies,
  type ActionSession,
} from "@/lib/actions/clients";
import { checkMailBudget } from "@/lib/rate-limit/mail-budget";
import type { Services } from "@/lib/root";
import { waitInWords } from "@/lib/security/password-guard";

export interface EmailActionDependencies extends ActionDependencies {
  services: () => Pick<
    Services,
    "settings" | "logger" | "database" | "passwordGuard" | "afterRecord" | "limiter" | "mail"
  >;
}

export function createEmailActions(deps: EmailActionDependencies) {
  const { actionClient, recentSignInActionClient } = createActionClients(deps);

  return {
    /** Sends the confirmation to the new address and the notice to the old one. */
    changeEmail: recentSignInActionClient
      .inputSchema(changeEmailSchema)
      .action(async ({ parsedInput, ctx }) => {
        const { settings, limiter, database, mail, afterRecord } = deps.services();
        // Before anything else: nobody may use this form to flood an inbox.
        const budget = await checkMailBudget(limiter, {
          email: parsedInput.email,
          ip: ctx.context.ip,
        });
        if (!budget.allowed) {
          returnServerError(
            budget.unavailable
              ? "We can't send mail right now. Please try again shortly."
              : `Too many mails asked for. Please wait ${waitInWords(budget.retryAfterSeconds)} and try again.`,
          );
        }
        try {
          return await requestEmailChange(database.prisma, {
            userId: ctx.session.userId,
            newEmail: parsedInput.email,
            now: ctx.now,
            lifetimes: settings.emailTokens.lifetimeSeconds,
            appUrl: settings.appUrl,
            queueMail: mail.queueMail,
            context: ctx.context,
            afterRecord,
          });
        } catch (error) {
          if (error instanceof AccountError && error.code === "same-email") {
            returnValidationErrors(changeEmailSchema, { email: { _errors: [error.message] } });
          }
          throw error;
        }
      }),

    /** The landing page's button: uses the link, whoever (if anyone) is signed in. */
    confirmEmailChange: actionClient
      .inputSchema(confirmEmailChangeSchema)
      .action(async ({ parsedInput, ctx }) => {
        const session: ActionSession | null = await deps.getSession();
        const { database, afterRecord } = deps.services();
        return confirmEmailChange(database.prisma, {
          token: parsedInput.token,
          signedInUserId: session?.userId ?? null,
          now: ctx.now,
          context: ctx.context,
          afterRecord,
        });
      }),
  };
}
