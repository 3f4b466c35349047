// `/sessions` lists the account's active devices.
import { Composer, type Context } from "grammy";

import { listSessions } from "@/lib/auth/sessions";
import { describeDevice, relativeTime } from "@/lib/security/presenter";
import { accountPage, type FeatureDeps } from "@/lib/telegram/features/deps";
import { userForChat } from "@/lib/telegram/link-tokens";

export function sessionsFeature(deps: FeatureDeps): Composer<Context> {
  const { prisma, appUrl, now } = deps;
  const sessions = new Composer<Context>();
  sessions.command("sessions", async (ctx) => {
    const linked = await userForChat(prisma, ctx.chat.id);
    if (!linked) {
      await ctx.reply(
        `This chat isn't connected. Connect it from your account page: ${accountPage(appUrl)}`,
      );
      return;
    }
    const at = now();
    const active = await listSessions(prisma, { userId: linked.userId, now: at });
    if (active.length === 0) {
      await ctx.reply(`No device is signed in to ${linked.accountName}.`);
      return;
    }
    const lines = active.map(
      (s) =>
        `• ${describeDevice(s.userAgent)} — ${s.ip ?? "unknown IP"} — last seen ${relativeTime(s.lastSeenAt, at)}`,
    );
    const count = `${active.length} signed-in ${active.length === 1 ? "device" : "devices"}`;
    await ctx.reply(`${count} for ${linked.accountName}:\n\n${lines.join("\n")}`);
  });
  return sessions;
}
