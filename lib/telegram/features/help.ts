// `/help`: what the bot does and where the account page is.
import { Composer, type Context } from "grammy";

import { accountPage } from "@/lib/telegram/features/deps";

export function helpText(appUrl: string): string {
  return [
    "I tell you about every sign-in to your Gatehouse account, and let you sign out everywhere if it wasn't you.",
    "",
    "/sessions — your signed-in devices",
    "/unlink — stop alerts in this chat",
    "/help — this message",
    "",
    `Connect or disconnect from your account page: ${accountPage(appUrl)}`,
  ].join("\n");
}

export function helpFeature(deps: { appUrl: string }): Composer<Context> {
  const help = new Composer<Context>();
  help.command("help", (ctx) => ctx.reply(helpText(deps.appUrl)));
  return help;
}
