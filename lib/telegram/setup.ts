// What `npm run bot:webhook` and `npm run bot:dev` do, testable against the fake Bot API.
//
// - registerWebhook: points Telegram at APP_URL/api/telegram with the secret token and the
//   update types the bot handles, and publishes the command list.
// - forwardUpdates (development, no tunnel): removes the webhook, long-polls getUpdates and
//   posts each update to the running app's webhook route with the secret — so the updates
//   go through exactly the handlers production uses, in the process that owns the database
//   (an embedded PGlite can only be opened by one process).
import { Api } from "grammy";
import type { Update } from "grammy/types";

import { backoffDelay, sleep as realSleep } from "@/lib/retry";
import { BOT_COMMANDS } from "@/lib/telegram/bot";
import { SECRET_HEADER } from "@/lib/telegram/webhook";

/** The update types the bot handles; Telegram sends no others. */
export const ALLOWED_UPDATES = ["message", "callback_query"] as const;

export interface BotSetup {
  token: string;
  apiRoot: string;
  webhookSecret: string;
  appUrl: string;
}

export function webhookUrl(appUrl: string): string {
  return `${appUrl}/api/telegram`;
}

export async function registerWebhook(setup: BotSetup): Promise<{ url: string; pending: number }> {
  const api = new Api(setup.token, { apiRoot: setup.apiRoot });
  const url = webhookUrl(setup.appUrl);
  if (!url.startsWith("https://")) {
    throw new Error(`Telegram only calls https:// webhooks; APP_URL is ${setup.appUrl}`);
  }
  await api.setWebhook(url, {
    secret_token: setup.webhookSecret,
    allowed_updates: [...ALLOWED_UPDATES],
  });
  await api.setMyCommands([...BOT_COMMANDS]);
  const info = await api.getWebhookInfo();
  return { url: info.url ?? url, pending: info.pending_update_count };
}

export interface ForwardOptions {
  /** Long-poll wait per getUpdates call, in seconds. */
  pollSeconds?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

/** Runs until `signal` aborts. Failures are retried with a bounded, growing pause. */
export async function forwardUpdates(setup: BotSetup, options: ForwardOptions = {}): Promise<void> {
  const { pollSeconds = 25, signal, log = console.log, sleep = realSleep } = options;
  const post = options.fetch ?? fetch;
  const api = new Api(setup.token, { apiRoot: setup.apiRoot });
  // getUpdates refuses to run while a webhook is set; this is why docs/telegram.md asks for a
  // separate development bot.
  await api.deleteWebhook();
  await api.setMyCommands([...BOT_COMMANDS]);
  const me = await api.getMe();
  log(`@${me.username}: forwarding updates to ${webhookUrl(setup.appUrl)} (Ctrl-C to stop)`);

  let offset = 0;
  let failures = 0;
  while (!signal?.aborted) {
    let updates: Update[];
    try {
      updates = await api.getUpdates(
        { offset, timeout: pollSeconds, allowed_updates: [...ALLOWED_UPDATES] },
        // grammY types its signal with the abort-controller polyfill's class; Node's is the
        // same at run time.
        signal as Parameters<typeof api.getUpdates>[1],
      );
    } catch (error) {
      if (signal?.aborted) break;
      failures += 1;
      const wait = backoffDelay(failures, 1_000, 30_000);
      log(`getUpdates failed (${String(error)}); retrying in ${wait} ms`);
      await sleep(wait);
      continue;
    }
    for (const update of updates) {
      // At most a few tries per update: the app answers 2xx, or a retry will not help.
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        try {
          const response = await post(webhookUrl(setup.appUrl), {
            method: "POST",
            headers: { "content-type": "application/json", [SECRET_HEADER]: setup.webhookSecret },
            body: JSON.stringify(update),
            signal,
          });
          log(`update ${update.update_id} → ${response.status}`);
          if (response.ok || response.status < 500) break;
        } catch (error) {
          if (signal?.aborted) return;
          log(`update ${update.update_id}: the app did not answer (${String(error)})`);
        }
        await sleep(backoffDelay(attempt, 500, 5_000));
      }
      offset = update.update_id + 1;
    }
    failures = 0;
  }
}
