// The account page's Telegram alerts: connect a chat, disconnect it, and approve sign-ins
// from it. All need a recent sign-in: whoever holds the chat receives the alerts and their
// buttons, so a stolen session must not be able to redirect them; and approval is a second
// factor, which a stolen session must not be able to take away (nor turn on, to see what
// the owner's chat is asked).
import { AccountError } from "@/lib/account/errors";
import { setSignInApprovalSchema } from "@/lib/account/schemas";
import { createActionClients, type ActionDependencies } from "@/lib/actions/clients";
import { setSignInApproval } from "@/lib/auth/sign-in-approval";
import { createLinkToken, telegramStartUrl, unlinkTelegram } from "@/lib/telegram/link-tokens";

export function createTelegramActions(deps: ActionDependencies) {
  const { recentSignInActionClient } = createActionClients(deps);
  const prisma = () => deps.services().database.prisma;

  return {
    /** "Connect Telegram": a fresh single-use link for the bot (10 minutes). */
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

    /** "Disconnect": no more alerts in that chat. */
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

    /**
     * "Approve new sign-ins in Telegram": on or off. SIGN_IN_APPROVAL_ON / _OFF when it
     * changes, alerted in the chat; `changed` false when it already was (a second press,
     * another tab), and nothing recorded then. Without a chat there is nowhere to ask.
     */
    setSignInApproval: recentSignInActionClient
      .inputSchema(setSignInApprovalSchema)
      .action(async ({ parsedInput: { on }, ctx }) => {
        const { database, afterRecord } = deps.services();
        const result = await setSignInApproval(database.prisma, {
          userId: ctx.session.userId,
          on,
          now: ctx.now,
          context: ctx.context,
          afterRecord,
        });
        if (!result.ok) throw new AccountError("telegram-not-connected");
        return { on, changed: result.changed };
      }),
  };
}
