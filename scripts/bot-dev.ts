// npm run bot:dev
//
// Local development without a tunnel: long-polls Telegram for the bot's updates and posts
// each to the running app's webhook route (npm run dev), so they go through the same
// handlers as in production. It REMOVES the bot's webhook first (Telegram allows one or the
// other), so use a separate development bot token, never the production bot's.

import { getSettings, SettingsError } from "@/lib/env";
import { forwardUpdates } from "@/lib/telegram/setup";

import { loadEnvFiles } from "./load-env";

async function main(): Promise<void> {
  loadEnvFiles(true);
  const settings = getSettings();
  if (!settings.telegram) {
    throw new Error(
      "No bot configured: set TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_USERNAME and TELEGRAM_WEBHOOK_SECRET in .env.local",
    );
  }
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  await forwardUpdates(
    { ...settings.telegram, token: settings.telegram.botToken, appUrl: settings.appUrl },
    { signal: stop.signal },
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof SettingsError || error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
