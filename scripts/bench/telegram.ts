// The Telegram webhook's acknowledgement: how long Telegram waits for the answer to one
// update, through the real handler (lib/telegram/webhook.ts: secret, parsing, the per-chat
// limit, the update_id check, grammY and the bot), in this process, against the local fake
// Bot API and an in-memory PGlite built by the migrations. docs/performance.md: ≤ 50 ms at
// p99; work slower than the webhook's acknowledgement budget (TELEGRAM_WEBHOOK_ACK_BUDGET_MS)
// finishes after the answer.
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import { createDatabase } from "@/lib/db";
import { DURATION_DEFAULTS } from "@/lib/env";
import { createLogger } from "@/lib/logger";
import { applyMigrations } from "@/lib/migrations/runner";
import { createRateLimiter } from "@/lib/rate-limit";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { createMemoryStore } from "@/lib/redis";
import { createBot } from "@/lib/telegram/bot";
import { createTelegramWebhook, SECRET_HEADER } from "@/lib/telegram/webhook";
import { startFakeTelegram } from "@/tests/support/fake-telegram";

import { ROOMY_LIMITS } from "./limits";
import { distribution, ms, table, type Distribution } from "./stats";

const migrationsDir = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));
const SECRET = "bench-webhook-secret-".padEnd(48, "b");
const CHAT_ID = 7_000_001;

export interface TelegramOptions {
  updates: number;
  warmUp: number;
  /** Extra delay of every Bot API answer in the "far away" rows, ms. */
  farAwayMs: number;
}

export interface TelegramRow {
  update: string;
  botApi: string;
  ack: Distribution;
  /** Updates acknowledged before the bot had finished (work went after the answer). */
  deferred: number;
}

export async function benchTelegram(options: TelegramOptions): Promise<TelegramRow[]> {
  const fake = await startFakeTelegram();
  const database = createDatabase({ kind: "pglite", dataDir: "memory://" });
  try {
    await applyMigrations({ connection: database.sql, migrationsDir });
    const prisma = database.prisma;
    await prisma.user.create({
      data: {
        email: "bench@example.com",
        name: "Bench",
        telegramLink: { create: { chatId: CHAT_ID, telegramUserId: CHAT_ID, username: "bench" } },
        sessions: {
          create: Array.from({ length: 3 }, (_, i) => ({
            sessionToken: `bench-session-${i}`,
            expires: new Date(Date.now() + 86_400_000),
            userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
            ip: `10.0.0.${i + 1}`,
          })),
        },
      },
    });
    const logger = createLogger({ level: "error" });
    const bot = createBot({
      token: fake.token,
      apiRoot: fake.url,
      botInfo: fake.botInfo,
      prisma,
      logger,
      appUrl: "http://localhost:3000",
      afterRecord: () => Promise.resolve(),
      deliverSoon: () => undefined,
    });
    const background: Promise<unknown>[] = [];
    const webhook = createTelegramWebhook({
      bot,
      secret: SECRET,
      redis: createMemoryStore(),
      limiter: createRateLimiter({
        backend: createMemoryRateLimitBackend(),
        now: Date.now,
        logger,
        settings: ROOMY_LIMITS,
      }),
      logger,
      runAfter: (work) => background.push(work),
    });

    let updateId = 1;
    const message = (text: string) => {
      const isCommand = text.startsWith("/");
      return {
        message_id: updateId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: CHAT_ID, type: "private", first_name: "Bench" },
        from: { id: CHAT_ID, is_bot: false, first_name: "Bench" },
        text,
        ...(isCommand
          ? { entities: [{ type: "bot_command", offset: 0, length: text.length }] }
          : {}),
      };
    };
    const post = (body: unknown) =>
      webhook(
        new Request("http://localhost:3000/api/telegram", {
          method: "POST",
          headers: { "content-type": "application/json", [SECRET_HEADER]: SECRET },
          body: JSON.stringify(body),
        }),
        "bench",
      );

    const kinds: { update: string; next: () => unknown }[] = [
      {
        update: "/help (one reply)",
        next: () => ({ update_id: ++updateId, message: message("/help") }),
      },
      {
        update: "/sessions (database + one reply)",
        next: () => ({ update_id: ++updateId, message: message("/sessions") }),
      },
      {
        update: "any text (reaction + reply)",
        next: () => ({ update_id: ++updateId, message: message("hello") }),
      },
      // The same update again: answered from the update_id check alone.
      { update: "a repeated update_id", next: () => ({ update_id: 1, message: message("/help") }) },
    ];
    await post({ update_id: 1, message: message("/help") });

    const rows: TelegramRow[] = [];
    for (const delayMs of [0, options.farAwayMs]) {
      for (const kind of kinds) {
        const samples: number[] = [];
        let deferred = 0;
        for (let i = 0; i < options.warmUp + options.updates; i += 1) {
          fake.reset();
          if (delayMs > 0) fake.failNext("*", { delayMs }, 10);
          const body = kind.next();
          const start = performance.now();
          const response = await post(body);
          const took = performance.now() - start;
          if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
          // Not timed: the bot's leftover work must not overlap the next update.
          const left = background.splice(0);
          await Promise.all(left);
          if (i < options.warmUp) continue;
          samples.push(took);
          if (left.length > 0) deferred += 1;
        }
        rows.push({
          update: kind.update,
          botApi: delayMs === 0 ? "loopback" : `+${delayMs} ms`,
          ack: distribution(samples),
          deferred,
        });
      }
    }
    console.log(
      table(
        ["update", "Bot API", "ack p50", "ack p99", "max", "answered early"],
        rows.map((row) => [
          row.update,
          row.botApi,
          ms(row.ack.p50),
          ms(row.ack.p99),
          ms(row.ack.max),
          `${row.deferred}/${row.ack.count}`,
        ]),
      ),
    );
    console.log(
      `"answered early": acknowledged after the ${DURATION_DEFAULTS.telegramAckBudgetMs} ms budget, before the bot ` +
        `had finished; the rest ran after the answer`,
    );
    return rows;
  } finally {
    await database.close();
    await fake.close();
  }
}
