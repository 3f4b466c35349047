// The account page's Telegram alerts: connect a chat, disconnect it. Both need a recent
// sign-in: whoever holds the chat receives the alerts and their buttons, so a stolen
// session must not be able to redirect them.
import { AccountError } from "@/lib/account/errors";
import { createActionClients, type ActionDependencies } from "@/lib/actions/clients";
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
  };
}
