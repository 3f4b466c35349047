// The account's email address: ask to change it (or add one) from the account page, and
// confirm the change from the link mailed to the new address. Asking needs a recent
// sign-in (whoever controls the address controls password resets) and the mail budget; the
// confirmation needs no session — the link is the proof — but refuses to act while another
// account is signed in in the same browser. "Resend" mails a fresh confirmation link to the
// account's own unconfirmed address: a session and the mail budget, no recent sign-in (it
// changes nothing and mails only an address the account already has).
import { returnValidationErrors } from "next-safe-action";

import { AccountError } from "@/lib/account/errors";
import { confirmEmailChange, requestEmailChange } from "@/lib/account/email-change";
import { changeEmailSchema, confirmEmailChangeSchema } from "@/lib/account/schemas";
import {
  createActionClients,
  type ActionDependencies,
  type ActionSession,
} from "@/lib/actions/clients";
import { requireMailBudget } from "@/lib/actions/mail-budget";
import { resendVerification, unconfirmedAddress } from "@/lib/auth/email-verification";
import type { Services } from "@/lib/root";

export interface EmailActionDependencies extends ActionDependencies {
  services: () => Pick<
    Services,
    "settings" | "logger" | "database" | "passwordGuard" | "afterRecord" | "limiter" | "mail"
  >;
}

export function createEmailActions(deps: EmailActionDependencies) {
  const { actionClient, authedActionClient, recentSignInActionClient } = createActionClients(deps);

  return {
    /** Sends the confirmation to the new address and the notice to the old one. */
    changeEmail: recentSignInActionClient
      .inputSchema(changeEmailSchema)
      .action(async ({ parsedInput, ctx }) => {
        const { settings, limiter, database, mail, afterRecord } = deps.services();
        // Before anything else: nobody may use this form to flood an inbox.
        await requireMailBudget(limiter, { email: parsedInput.email, ip: ctx.context.ip });
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

    /**
     * "Email not verified — Resend": `sent: false` when there is nothing to confirm any more
     * (confirmed or changed in another tab), so the page can say so and refresh.
     */
    resendVerification: authedActionClient.action(async ({ ctx }) => {
      const { settings, limiter, database, mail } = deps.services();
      const email = await unconfirmedAddress(database.prisma, ctx.session.userId);
      if (email === null) return { sent: false as const };
      await requireMailBudget(limiter, { email, ip: ctx.context.ip });
      const outcome = await resendVerification(
        database.prisma,
        {
          queueMail: mail.queueMail,
          appUrl: settings.appUrl,
          lifetimes: settings.emailTokens.lifetimeSeconds,
          now: ctx.now,
        },
        { userId: ctx.session.userId, email },
      );
      return outcome === "sent" ? { sent: true as const, email } : { sent: false as const };
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
