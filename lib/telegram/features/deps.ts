// What every bot feature is built from (lib/telegram/bot.ts hands it over).
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { Logger } from "@/lib/logger";

export interface FeatureDeps {
  prisma: PrismaClient;
  logger: Pick<Logger, "info" | "warn" | "error">;
  /** Where people manage their account (APP_URL). */
  appUrl: string;
  now: () => Date;
}

/** The account page, where chats are connected and disconnected. */
export const accountPage = (appUrl: string) => `${appUrl}/account`;
