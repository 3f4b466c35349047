// The account page's sign-in methods: link a provider, unlink an identity. Both need a
// recent sign-in: whoever adds or removes a way in decides who can get in later.
import { AccountError } from "@/lib/account/errors";
import { hasLinkedProvider, unlinkIdentity } from "@/lib/account/methods";
import { linkProviderSchema, unlinkIdentitySchema } from "@/lib/account/schemas";
import { createActionClients, type ActionDependencies } from "@/lib/actions/clients";
import { ACCOUNT_PATH } from "@/lib/auth/config";
import { configuredProviders } from "@/lib/auth/providers";
import type { OAuthProviderId } from "@/lib/sign-in-methods";

export interface MethodActionDependencies extends ActionDependencies {
  /** Starts the provider's OAuth flow (Auth.js signIn); ends in a redirect. */
  startOAuth: (provider: OAuthProviderId, redirectTo: string) => Promise<never>;
}

export function createMethodActions(deps: MethodActionDependencies) {
  const { recentSignInActionClient } = createActionClients(deps);

  return {
    /** "Link GitHub": checks, then hands over to the OAuth flow, which joins the identity. */
    linkProvider: recentSignInActionClient
      .inputSchema(linkProviderSchema)
      .action(async ({ parsedInput: { provider }, ctx }) => {
        const { settings, database } = deps.services();
        if (!configuredProviders(settings.auth).some((p) => p.id === provider)) {
          throw new AccountError("provider-unavailable");
        }
        const userId = ctx.session.userId;
        if (await hasLinkedProvider(database.prisma, { userId, provider })) {
          throw new AccountError("already-linked");
        }
        return deps.startOAuth(provider, `${ACCOUNT_PATH}?linked=${provider}`);
      }),

    unlinkIdentity: recentSignInActionClient
      .inputSchema(unlinkIdentitySchema)
      .action(async ({ parsedInput, ctx }) =>
        unlinkIdentity(deps.services().database.prisma, {
          userId: ctx.session.userId,
          accountId: parsedInput.accountId,
          keepAlerts: parsedInput.keepAlerts,
          now: ctx.now,
          context: ctx.context,
          afterRecord: deps.services().afterRecord,
        }),
      ),
  };
}
