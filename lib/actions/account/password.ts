// The account page's password: set one (an account without), or change it. Both need a
// recent sign-in. A refusal that is about one field comes back as that field's error, so
// the form shows it where the person fixes it.
import { returnValidationErrors, type ValidationErrors } from "next-safe-action";
import type { z } from "zod";

import { AccountError, type AccountErrorCode } from "@/lib/account/errors";
import { changePassword, setPassword, type PasswordHasher } from "@/lib/account/password";
import { changePasswordSchema, setPasswordSchema } from "@/lib/account/schemas";
import { createActionClients, type ActionDependencies } from "@/lib/actions/clients";
import { requireMailBudget } from "@/lib/actions/mail-budget";
import type { Services } from "@/lib/root";

export interface PasswordActionDependencies extends ActionDependencies {
  /** An address added with a password gets a confirmation link: the mail and its budget. */
  services: () => Pick<
    Services,
    "settings" | "logger" | "database" | "passwordGuard" | "afterRecord" | "limiter" | "mail"
  >;
  /** argon2id by default; tests may pass the same functions wrapped. */
  hasher?: PasswordHasher;
}

/** Re-throws a refusal that belongs next to a form field as that field's error. */
function asFieldError<Schema extends z.ZodObject>(
  schema: Schema,
  error: unknown,
  fields: Partial<Record<AccountErrorCode, keyof z.output<Schema> & string>>,
): never {
  const field = error instanceof AccountError ? fields[error.code] : undefined;
  if (field && error instanceof Error) {
    // A computed key types as a string index, which TypeScript cannot match to the
    // schema's keys; `field` is one of them (the type of `fields` says so).
    const errors = { [field]: { _errors: [error.message] } } as ValidationErrors<Schema>;
    returnValidationErrors(schema, errors);
  }
  throw error;
}

export function createPasswordActions(deps: PasswordActionDependencies) {
  const { recentSignInActionClient } = createActionClients(deps);
  const prisma = () => deps.services().database.prisma;

  return {
    setPassword: recentSignInActionClient
      .inputSchema(setPasswordSchema)
      .action(async ({ parsedInput, ctx }) => {
        const { settings, limiter, mail, afterRecord } = deps.services();
        // Only an account without an address sends one (the form asks for it only then); the
        // confirmation link mailed to it is held to the mail budget like any other mail.
        if (parsedInput.email) {
          await requireMailBudget(limiter, { email: parsedInput.email, ip: ctx.context.ip });
        }
        try {
          await setPassword(
            prisma(),
            {
              userId: ctx.session.userId,
              password: parsedInput.password,
              email: parsedInput.email,
              now: ctx.now,
              context: ctx.context,
              afterRecord,
              verificationMail: {
                queueMail: mail.queueMail,
                appUrl: settings.appUrl,
                lifetimes: settings.emailTokens.lifetimeSeconds,
              },
            },
            deps.hasher,
          );
          return { ok: true as const };
        } catch (error) {
          return asFieldError(setPasswordSchema, error, {
            "password-is-email": "password",
            "email-required": "email",
            "email-taken": "email",
          });
        }
      }),

    changePassword: recentSignInActionClient
      .inputSchema(changePasswordSchema)
      .action(async ({ parsedInput, ctx }) => {
        try {
          return await changePassword(
            prisma(),
            {
              userId: ctx.session.userId,
              currentPassword: parsedInput.currentPassword,
              newPassword: parsedInput.newPassword,
              signOutOtherSessions: parsedInput.signOutOtherSessions,
              currentSessionId: ctx.session.sessionId,
              now: ctx.now,
              context: ctx.context,
              guard: deps.services().passwordGuard,
              afterRecord: deps.services().afterRecord,
            },
            deps.hasher,
          );
        } catch (error) {
          return asFieldError(changePasswordSchema, error, {
            "wrong-password": "currentPassword",
            "too-many-attempts": "currentPassword",
            "same-password": "newPassword",
            "password-is-email": "newPassword",
          });
        }
      }),
  };
}
