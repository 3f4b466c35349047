// The webhook Telegram posts updates to (app/api/telegram/route.ts), in front of grammY's
// `webhookCallback(bot, "std/http")`:
// 1. the secret token (X-Telegram-Bot-Api-Secret-Token, set by `npm run bot:webhook`) is
//    compared in constant time: wrong or missing → 401, nothing read or processed;
// 2. the body must be JSON with a numeric update_id, at most MAX_BODY_BYTES: otherwise 400
//    (Telegram would re-send the same bytes, so no retry can help);
// 3. the Telegram rate limit (per chat) → 429, and Telegram tries again later;
// 4. each update_id is handled at most once: a Redis SET NX (keyed per bot) marks it for a
//    day; a repeat (Telegram re-sends when an answer was slow or lost) gets 200 and is not
//    processed. When Redis cannot say, 503: Telegram re-sends, by then Redis may answer;
// 5. grammY runs the bot. An update whose handling failed past the bot's error boundary is
//    unmarked and answered 500, so Telegram's retry gets a second chance;
// 6. the answer waits at most TELEGRAM_WEBHOOK_ACK_BUDGET_MS for the bot: slower work (Bot API
//    round trips) finishes after the response, through `runAfter` (Next's after()).

import { webhookCallback, type Bot } from "grammy";
import { z } from "zod";

import { DURATION_DEFAULTS } from "@/lib/env";
import { jsonError } from "@/lib/http/route";
import { secretMatches } from "@/lib/http/secrets";
import { tooManyRequests } from "@/lib/http/too-many-requests";
import type { Logger } from "@/lib/logger";
import type { Metrics } from "@/lib/metrics";
import { rateLimitHeaders, type RateLimiter } from "@/lib/rate-limit";
import type { RedisStore } from "@/lib/redis";
import { TimeoutError, withTimeout } from "@/lib/timeout";

export const SECRET_HEADER = "x-telegram-bot-api-secret-token";
/** Telegram's updates are small; anything this big is not one. */
export const MAX_BODY_BYTES = 1_000_000;
/** How long an update_id is remembered. Telegram gives up re-sending well within a day. */
export const UPDATE_ID_TTL_MS = 24 * 3_600_000;

const updateShape = z
  .object({
    update_id: z.number().int().nonnegative(),
    message: z.object({ chat: z.object({ id: z.number() }) }).optional(),
    callback_query: z
      .object({
        from: z.object({ id: z.number() }),
        message: z.object({ chat: z.object({ id: z.number() }) }).optional(),
      })
      .optional(),
  })
  .loose();

export interface WebhookDeps {
  bot: Bot;
  secret: string;
  redis: Pick<RedisStore, "set" | "del">;
  limiter: RateLimiter;
  logger: Pick<Logger, "info" | "warn" | "error">;
  /**
   * Longest Telegram's answer waits for the bot (settings.telegram.ackBudgetMs; default
   * TELEGRAM_WEBHOOK_ACK_BUDGET_MS's). An update still being handled then is answered 200
   * and finishes through `runAfter`.
   */
  ackBudgetMs?: number;
  /** Keeps work going after the response: Next's after() in the app. */
  runAfter?: (work: Promise<unknown>) => void;
  /** Longest grammY may work on one update at all (it then stops waiting for it);
   *  settings.telegram.handlerTimeoutMs, default TELEGRAM_WEBHOOK_HANDLER_TIMEOUT_MS's. */
  handlerTimeoutMs?: number;
  /** Observes the time to each answer, by status (lib/metrics). */
  metrics?: Pick<Metrics, "webhookAnswered">;
}

function chatOf(update: Update): string {
  const id =
    update.message?.chat.id ??
    update.callback_query?.message?.chat.id ??
    update.callback_query?.from.id;
  return id === undefined ? "no-chat" : String(id);
}

type Update = z.infer<typeof updateShape>;

/** The update in the request and its bytes, or the answer refusing it (413, 400). */
async function readUpdate(
  request: Request,
  requestId: string,
  logger: Pick<Logger, "warn">,
): Promise<{ update: Update; body: string } | Response> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    return jsonError(413, "too_large", "That is not a Telegram update.", requestId);
  }
  const body = await request.text();
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) {
    return jsonError(413, "too_large", "That is not a Telegram update.", requestId);
  }
  try {
    return { update: updateShape.parse(JSON.parse(body)), body };
  } catch {
    logger.warn("telegram webhook: malformed update", { requestId, bytes: body.length });
    return jsonError(400, "malformed_update", "The body is not a Telegram update.", requestId);
  }
}

export function createTelegramWebhook(
  deps: WebhookDeps,
): (request: Request, requestId: string) => Promise<Response> {
  const { bot, secret, redis, limiter, logger } = deps;
  const ackBudgetMs = deps.ackBudgetMs ?? DURATION_DEFAULTS.telegramAckBudgetMs;
  const runAfter = deps.runAfter ?? ((work: Promise<unknown>) => void work);
  const handle = webhookCallback(bot, "std/http", {
    secretToken: secret,
    // An update slower than this is answered anyway (Telegram would re-send it otherwise)
    // and finishes in the background.
    onTimeout: "return",
    timeoutMilliseconds: deps.handlerTimeoutMs ?? DURATION_DEFAULTS.telegramHandlerTimeoutMs,
  });
  // update_ids count per bot: a development and a production bot (or two apps) sharing one
  // Redis must not take each other's updates for repeats. The token starts with the bot's id.
  const botId = bot.token.split(":")[0] ?? "";
  const updateKeyPrefix = `gatehouse:telegram:${botId}:update:`;

  const answer = async (request: Request, requestId: string): Promise<Response> => {
    if (!secretMatches(request.headers.get(SECRET_HEADER), secret)) {
      return jsonError(401, "unauthorized", "Missing or wrong secret token.", requestId);
    }
    const read = await readUpdate(request, requestId, logger);
    if (read instanceof Response) return read;
    const { update, body } = read;

    const decision = await limiter.limit("telegram", chatOf(update));
    if (!decision.allowed) {
      const headers = rateLimitHeaders(decision, Date.now());
      const answer = { reason: "limited" as const, retryAfterSeconds: decision.retryAfterSeconds };
      return tooManyRequests({ ...answer, headers }, { html: false, requestId });
    }

    const key = `${updateKeyPrefix}${update.update_id}`;
    let first: boolean;
    try {
      first = await redis.set(key, requestId, { onlyIfAbsent: true, ttlMs: UPDATE_ID_TTL_MS });
    } catch (error) {
      logger.warn("telegram webhook: cannot check for a repeated update", { requestId, error });
      return jsonError(503, "unavailable", "Try again shortly.", requestId);
    }
    if (!first) {
      logger.info("telegram webhook: repeated update ignored", {
        requestId,
        updateId: update.update_id,
      });
      return Response.json({ ok: true, duplicate: true });
    }

    // grammY reads the update and the secret from the request; give it the bytes we read.
    const handling = handle(
      new Request(request.url, { method: "POST", headers: request.headers, body }),
    ).catch(async (error: unknown) => {
      logger.error("telegram webhook: update failed", {
        requestId,
        updateId: update.update_id,
        error,
      });
      // Unmarked, so the re-send a 500 asks for is handled (moot once answered 200).
      await redis.del(key).catch(() => undefined);
      return jsonError(500, "update_failed", "The update could not be handled.", requestId);
    });
    const answered = await withinBudget(handling, ackBudgetMs);
    if (answered) return answered;
    // Still working (a slow Bot API): acknowledge now, finish after the response. A failure
    // from here on is logged above, and the bot's error boundary has told the person.
    runAfter(handling);
    return Response.json({ ok: true });
  };
  const { metrics } = deps;
  if (!metrics) return answer;
  return async (request, requestId) => {
    const started = performance.now();
    const response = await answer(request, requestId);
    metrics.webhookAnswered(response.status, (performance.now() - started) / 1_000);
    return response;
  };
}

/**
 * `work`'s result if it settles within `ms`, else null (it keeps running). Decided one loop
 * turn after the budget (lib/timeout.ts), so a reply that arrived while the loop was busy is
 * taken; never extended past the budget: Telegram's answer must not wait on a busy server.
 */
async function withinBudget<T>(work: Promise<T>, ms: number): Promise<T | null> {
  try {
    return await withTimeout(work, ms);
  } catch (error) {
    if (error instanceof TimeoutError) return null;
    throw error;
  }
}
