// The account page's actions, built from injected dependencies (lib/actions/clients.ts).
// Each one validates its input with the schema the form uses, reads who is asking from the
// session (never from the input), and touches only that user's rows: another user's id
// gets the same "not found" as an unknown one, and nothing changes.
import { returnValidationErrors } from "next-safe-action";

import { AccountError } from "@/lib/account/errors";
import { unlinkIdentity } from "@/lib/account/methods";
import { changePassword, setPassword, type PasswordHasher } from "@/lib/account/password";
import {
  changePasswordSchema,
  linkProviderSchema,
  revokeSessionSchema,
  setPasswordSchema,
  unlinkIdentitySchema,
} from "@/lib/account/schemas";
import { ACCOUNT_PATH } from "@/lib/auth/config";
import type { OAuthProviderId } from "@/lib/sign-in-methods";
import { configuredProviders } from "@/lib/auth/providers";
import { revokeAllSessions, revokeSession } from "@/lib/auth/sessions";
import { createActionClients, type ActionDependencies } from "@/lib/actions/clients";
import type { AfterRecordHook } from "@/lib/security/events";
import { createLinkToken, telegramStartUrl, unlinkTelegram } from "@/lib/telegram/link-tokens";

export interface AccountActionDependencies extends ActionDependencies {
  /** Starts the provider's OAuth flow (Auth.js signIn); ends in a redirect. */
  startOAuth: (provider: OAuthProviderId, redirectTo: string) => Promise<never>;
  /** Clears this browser's session cookie (Auth.js signOut); ends in a redirect. */
  signOut: (redirectTo: string) => Promise<never>;
  /** argon2id by default; tests may pass the same functions wrapped. */
  hasher?: PasswordHasher;
  /** Runs in the transaction of each security event an action records (Telegram alerts). */
  afterRecord?: AfterRecordHook;
}

/** Where a browser goes once its own session is revoked. */
export const SIGNED_OUT_PATH = "/sign-in";

export function createAccountActions(deps: AccountActionDependencies) {
  const { authedActionClient, recentSignInActionClient } = createActionClients(deps);
  const prisma = () => deps.services().database.prisma;

  /** Re-throws a refusal that belongs next to a form field as that field's error. */
  function asFieldError<S extends Parameters<typeof returnValidationErrors>[0]>(
    schema: S,
    error: unknown,
    fields: Partial<Record<AccountError["code"], string>>,
  ): never {
    if (error instanceof AccountError) {
      const field = fields[error.code];
      if (field) {
        returnValidationErrors(schema, { [field]: { _errors: [error.message] } } as never);
      }
    }
    throw error;
  }

  return {
    /** "Link GitHub": checks, then hands over to the OAuth flow, which joins the identity. */
    linkProvider: recentSignInActionClient
      .inputSchema(linkProviderSchema)
      .action(async ({ parsedInput: { provider }, ctx }) => {
        const { settings } = deps.services();
        if (!configuredProviders(settings.auth).some((p) => p.id === provider)) {
          throw new AccountError("provider-unavailable");
        }
        const linked = await prisma().account.count({
          where: { userId: ctx.session.userId, provider },
        });
        if (linked > 0) throw new AccountError("already-linked");
        return deps.startOAuth(provider, `${ACCOUNT_PATH}?linked=${provider}`);
      }),

    unlinkIdentity: recentSignInActionClient
      .inputSchema(unlinkIdentitySchema)
      .action(async ({ parsedInput, ctx }) =>
        unlinkIdentity(prisma(), {
          userId: ctx.session.userId,
          accountId: parsedInput.accountId,
          now: ctx.now,
          context: ctx.context,
          afterRecord: deps.afterRecord,
        }),
      ),

    setPassword: recentSignInActionClient
      .inputSchema(setPasswordSchema)
      .action(async ({ parsedInput, ctx }) => {
        try {
          await setPassword(
            prisma(),
            {
              userId: ctx.session.userId,
              password: parsedInput.password,
              email: parsedInput.email,
              now: ctx.now,
              context: ctx.context,
              afterRecord: deps.afterRecord,
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
              afterRecord: deps.afterRecord,
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

    /** One device. Revoking this browser's own session signs it out. */
    revokeSession: authedActionClient
      .inputSchema(revokeSessionSchema)
      .action(async ({ parsedInput, ctx }) => {
        const revoked = await revokeSession(prisma(), {
          userId: ctx.session.userId,
          sessionId: parsedInput.sessionId,
          now: ctx.now,
          context: ctx.context,
          reason: "revoked from the account page",
        });
        if (!revoked) throw new AccountError("not-found");
        if (parsedInput.sessionId === ctx.session.sessionId) return deps.signOut(SIGNED_OUT_PATH);
        return { revoked: 1 };
      }),

    /** Every device but this one: what someone does when they suspect a stolen session. */
    revokeOtherSessions: authedActionClient.action(async ({ ctx }) => {
      const revoked = await revokeAllSessions(prisma(), {
        userId: ctx.session.userId,
        exceptSessionId: ctx.session.sessionId,
        now: ctx.now,
        context: ctx.context,
      });
      return { revoked };
    }),

    /** Every device including this one; ends on the sign-in page. */
    revokeAllSessions: recentSignInActionClient.action(async ({ ctx }) => {
      await revokeAllSessions(prisma(), {
        userId: ctx.session.userId,
        now: ctx.now,
        context: ctx.context,
      });
      return deps.signOut(SIGNED_OUT_PATH);
    }),

    /**
     * "Connect Telegram": a fresh single-use link for the bot (10 minutes). Needs a recent
     * sign-in: whoever holds the chat receives the alerts and their buttons, so a stolen
     * session must not be able to redirect them.
     */
    connectTelegram: recentSignInActionClient.action(async ({ ctx }) => {
      const telegram = deps.services().settings.telegram;
      if (!telegram) throw new AccountError("telegram-unavailable");
      const { token, expiresAt } = await createLinkToken(prisma(), {
        userId: ctx.session.userId,
        now: ctx.now,
        ttlSeconds: telegram.linkTokenTtlSeconds,
      });
      return {
        url: telegramStartUrl(telegram.botUsername, token),
        expiresAt: expiresAt.toISOString(),
      };
    }),

    /** "Disconnect": no more alerts in that chat. Recent sign-in, for the same reason. */
    disconnectTelegram: recentSignInActionClient.action(async ({ ctx }) => {
      const disconnected = await unlinkTelegram(prisma(), {
        userId: ctx.session.userId,
        now: ctx.now,
        context: ctx.context,
        via: "account",
      });
      if (!disconnected) throw new AccountError("not-found");
      return { disconnected };
    }),
  };
}

export type AccountActions = ReturnType<typeof createAccountActions>;
