// Forgot password (the form on /forgot-password) and the new password a reset link sets
// (the form on /reset-password). The work is lib/auth/password-reset.ts; here: the input,
// the mail budget, and what the forms are told.
//
// The forgot-password answer is the same for every address: the budget is counted on what
// was typed (never on whether an account uses it), and the lookup and the queueing run after
// the answer has gone (`runAfter`, Next's after()), so neither the words nor the time say
// whether an account exists.
import { returnServerError, returnValidationErrors } from "next-safe-action";
import { z } from "zod";

import { FIX_FIELDS } from "@/lib/actions/auth/shared";
import { createActionClient, type ActionClientDependencies } from "@/lib/actions/clients";
import type { PasswordHasher } from "@/lib/account/password";
import { requestPasswordReset, resetPasswordWithLink } from "@/lib/auth/password-reset";
import { emailSchema, messages, newPasswordSchema } from "@/lib/auth/schemas";
import { checkMailBudget } from "@/lib/rate-limit/mail-budget";
import type { Services } from "@/lib/root";
import { refusalMessage } from "@/lib/security/password-guard";

export interface PasswordResetActionDependencies extends ActionClientDependencies {
  services: () => Pick<
    Services,
    "settings" | "logger" | "database" | "limiter" | "mail" | "notifications" | "afterRecord"
  >;
  /** Runs work after the response has gone (Next's after()); tests run it themselves. */
  runAfter: (work: () => Promise<unknown>) => void;
  /** argon2id by default; tests may pass the same functions wrapped. */
  hasher?: PasswordHasher;
}

const forgotPasswordInput = z.object({ email: emailSchema });

// The token is checked by the service (a malformed one is an unknown link, never an error).
const resetPasswordInput = z.object({
  token: z.string().max(200).catch(""),
  password: newPasswordSchema,
});

/** What the reset form shows instead of itself when the link cannot be used. */
export type ResetLinkProblem = "expired" | "used" | "unknown";

export function createPasswordResetActions(deps: PasswordResetActionDependencies) {
  const actionClient = createActionClient(deps);

  return {
    /** Always `{ sent: true }` once the input is valid and the budget allows a mail. */
    forgotPassword: actionClient
      .inputSchema(forgotPasswordInput, {
        handleValidationErrorsShape: (errors) =>
          Promise.resolve({
            formErrors: [FIX_FIELDS],
            fieldErrors: { email: errors.email?._errors?.slice(0, 1) },
          }),
      })
      .action(async ({ parsedInput: { email }, ctx }) => {
        const services = deps.services();
        // Before anything else, counted on the address typed and the client: no mail bombing.
        const budget = await checkMailBudget(services.limiter, { email, ip: ctx.context.ip });
        if (!budget.allowed) {
          const refusal = {
            reason: budget.unavailable ? ("unavailable" as const) : ("limited" as const),
            retryAfterSeconds: budget.retryAfterSeconds,
            headers: {},
          };
          returnServerError(refusalMessage(refusal, "send a link"));
        }
        const { settings, database, mail, notifications, afterRecord, logger } = services;
        const { now, context } = ctx;
        deps.runAfter(() =>
          requestPasswordReset(
            {
              prisma: database.prisma,
              queueMail: mail.queueMail,
              sealer: mail.sealer,
              deliverSoon: notifications.deliverSoon,
              appUrl: settings.appUrl,
              lifetimes: settings.emailTokens.lifetimeSeconds,
              afterRecord,
            },
            { email, now, context },
          ).catch((error: unknown) =>
            // After the answer: nobody to tell but the log (no address in it).
            logger.error("password reset request failed", { error, requestId: context.requestId }),
          ),
        );
        return { sent: true as const };
      }),

    /** `{ reset: true }`, or which problem the link has; a refused password is a field error. */
    resetPassword: actionClient
      .inputSchema(resetPasswordInput, {
        handleValidationErrorsShape: (errors) =>
          Promise.resolve({
            formErrors: [FIX_FIELDS],
            fieldErrors: { password: errors.password?._errors?.slice(0, 1) },
          }),
      })
      .action(async ({ parsedInput: { token, password }, ctx }) => {
        const { database, afterRecord } = deps.services();
        const result = await resetPasswordWithLink(
          database.prisma,
          { token, password, now: ctx.now, context: ctx.context, afterRecord },
          deps.hasher,
        );
        if (result.status === "password-is-email") {
          returnValidationErrors(resetPasswordInput, {
            password: { _errors: [messages.passwordIsEmail] },
          });
        }
        if (result.status === "reset") return { reset: true as const };
        return { reset: false as const, problem: result.status satisfies ResetLinkProblem };
      }),
  };
}
