// npm run bot:webhook
//
// Registers APP_URL/api/telegram as the bot's webhook, with TELEGRAM_WEBHOOK_SECRET and the
// update types the bot handles, and publishes its command list. Run it once per deployment
// URL (again when APP_URL or the secret changes). Reads .env / .env.local like Next does.

import { getSettings, SettingsError } from "@/lib/env";
import { registerWebhook } from "@/lib/telegram/setup";

import { loadEnvFiles } from "./load-env";

async function main(): Promise<void> {
  loadEnvFiles(false);
  const settings = getSettings();
  if (!settings.telegram) {
    throw new Error(
      "No bot configured: set TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_USERNAME and TELEGRAM_WEBHOOK_SECRET",
    );
  }
  const { url, pending } = await registerWebhook({
    ...settings.telegram,
    token: settings.telegram.botToken,
    appUrl: settings.appUrl,
  });
  console.log(`Webhook set: ${url} (${pending} pending updates)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof SettingsError || error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
