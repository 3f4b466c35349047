// A local stand-in for Telegram's Bot API, so the bot runs offline through the real grammY
// client (`new Bot(token, { client: { apiRoot: fake.url }, botInfo: fake.botInfo })`).
//
// The protocol, as grammY 1.46 speaks it (node_modules/grammy/out/core/client.js):
// - `POST {apiRoot}/bot{token}/{method}` with a JSON body (multipart only for file uploads,
//   which the bot never sends: answered 400 here);
// - answers `{"ok":true,"result":…}`, or `{"ok":false,"error_code":…,"description":…}` with
//   `parameters.retry_after` on 429 — grammY throws a GrammyError with those fields; a
//   connection that fails without an answer becomes an HttpError.
//
// It keeps what a test wants to look at: every call in order, and the messages the bot
// sent with edits applied. `failNext` scripts outages (429 with retry_after, 5xx, a dropped
// connection, a slow answer); `pushUpdate` feeds getUpdates for long polling.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

import type { ReactionTypeEmoji, UserFromGetMe } from "grammy/types";

export interface FakeTelegramCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
}

export interface FakeMessage {
  chatId: number;
  messageId: number;
  text: string;
  replyMarkup?: unknown;
  editedAt?: number;
}

export type FakeFailure =
  | { status: 429; retryAfter: number }
  | { status: 400 | 403 | 500 | 502; description?: string }
  | { drop: true }
  | { delayMs: number };

export interface FakeTelegram {
  url: string;
  token: string;
  botInfo: UserFromGetMe;
  calls(method?: string): FakeTelegramCall[];
  waitForCall(
    method: string,
    predicate?: (call: FakeTelegramCall) => boolean,
    timeoutMs?: number,
  ): Promise<FakeTelegramCall>;
  failNext(method: string, failure: FakeFailure, times?: number): void;
  pushUpdate(update: Record<string, unknown>): void;
  messages(chatId?: number): FakeMessage[];
  reset(): void;
  close(): Promise<void>;
}

/** Telegram's allowed reaction emoji (ReactionTypeEmoji in @grammyjs/types). */
const ALLOWED_REACTIONS = new Set<ReactionTypeEmoji["emoji"]>([
  "👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮",
  "💩", "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤‍🔥", "🌚", "🌭", "💯", "🤣", "⚡",
  "🍌", "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻", "👨‍💻",
  "👀", "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅", "🤪", "🗿",
  "🆒", "💘", "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷‍♂", "🤷", "🤷‍♀", "😡",
]); // prettier-ignore

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startFakeTelegram(
  options: { token?: string; botInfo?: Partial<UserFromGetMe> } = {},
): Promise<FakeTelegram> {
  const token = options.token ?? `424242:${"F".repeat(35)}`;
  const botInfo: UserFromGetMe = {
    id: Number(token.split(":")[0]),
    is_bot: true,
    first_name: "Gatehouse (test)",
    username: "gatehouse_test_bot",
    can_join_groups: false,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    ...options.botInfo,
  } as UserFromGetMe;

  let calls: FakeTelegramCall[] = [];
  let messages: FakeMessage[] = [];
  let failures: { method: string; failure: FakeFailure }[] = [];
  let updates: Record<string, unknown>[] = [];
  let webhook: Record<string, unknown> | null = null;
  let commands: unknown[] = [];
  let nextMessageId = 1;
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();

  const findMessage = (params: Record<string, unknown>): FakeMessage => {
    const found = messages.find(
      (m) => m.chatId === Number(params.chat_id) && m.messageId === Number(params.message_id),
    );
    if (!found) throw new ApiError(400, "Bad Request: message to edit not found");
    return found;
  };
  const asMessage = (m: FakeMessage) => ({
    message_id: m.messageId,
    date: Math.floor(Date.now() / 1000),
    chat: { id: m.chatId, type: "private" },
    from: botInfo,
    text: m.text,
    ...(m.replyMarkup === undefined ? {} : { reply_markup: m.replyMarkup }),
    ...(m.editedAt === undefined ? {} : { edit_date: Math.floor(m.editedAt / 1000) }),
  });

  async function answer(method: string, params: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case "getMe":
        return botInfo;
      case "sendMessage": {
        if (typeof params.text !== "string" || params.text === "") {
          throw new ApiError(400, "Bad Request: message text is empty");
        }
        const message: FakeMessage = {
          chatId: Number(params.chat_id),
          messageId: nextMessageId++,
          text: params.text,
          ...(params.reply_markup === undefined ? {} : { replyMarkup: params.reply_markup }),
        };
        messages.push(message);
        return asMessage(message);
      }
      case "editMessageText": {
        const message = findMessage(params);
        const text = String(params.text);
        const markup = params.reply_markup;
        if (
          text === message.text &&
          JSON.stringify(markup) === JSON.stringify(message.replyMarkup)
        ) {
          throw new ApiError(
            400,
            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
          );
        }
        message.text = text;
        // As on Telegram, an edit without reply_markup removes the inline keyboard.
        message.replyMarkup = markup;
        message.editedAt = Date.now();
        return asMessage(message);
      }
      case "editMessageReplyMarkup": {
        const message = findMessage(params);
        message.replyMarkup = params.reply_markup;
        message.editedAt = Date.now();
        return asMessage(message);
      }
      case "answerCallbackQuery":
        return true;
      case "setMessageReaction": {
        const reaction = params.reaction;
        const valid =
          Array.isArray(reaction) &&
          reaction.every(
            (r: { type?: unknown; emoji?: unknown }) =>
              r.type === "emoji" && ALLOWED_REACTIONS.has(r.emoji as ReactionTypeEmoji["emoji"]),
          );
        if (!valid) throw new ApiError(400, "Bad Request: REACTION_INVALID");
        return true;
      }
      case "deleteMessage":
        return true;
      case "setWebhook":
        webhook = { ...params };
        return true;
      case "deleteWebhook":
        webhook = null;
        if (params.drop_pending_updates === true) updates = [];
        return true;
      case "getWebhookInfo":
        return {
          url: typeof webhook?.url === "string" ? webhook.url : "",
          has_custom_certificate: false,
          pending_update_count: updates.length,
          ...(webhook?.allowed_updates ? { allowed_updates: webhook.allowed_updates } : {}),
        };
      case "setMyCommands":
        commands = Array.isArray(params.commands) ? params.commands : [];
        return true;
      case "getMyCommands":
        return commands;
      case "getUpdates": {
        if (webhook) {
          throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active");
        }
        const offset = Number(params.offset ?? 0);
        const limit = Number(params.limit ?? 100);
        // Capped so a test's long poll never outlasts it.
        const deadline = Date.now() + Math.min(Number(params.timeout ?? 0), 1) * 1_000;
        for (;;) {
          // Confirmed updates (below the offset) are forgotten, as Telegram does.
          updates = updates.filter((u) => Number(u.update_id) >= offset);
          if (updates.length > 0 || Date.now() >= deadline) return updates.slice(0, limit);
          await sleep(25);
        }
      }
      default:
        throw new ApiError(404, "Not Found: method not found");
    }
  }

  const server = createServer((request, response) => {
    void (async () => {
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(request.url ?? "");
      const body = await readBody(request);
      if (!match || request.method !== "POST") {
        send(response, 404, { ok: false, error_code: 404, description: "Not Found" });
        return;
      }
      const [, givenToken, method = ""] = match;
      if (givenToken !== token) {
        send(response, 401, { ok: false, error_code: 401, description: "Unauthorized" });
        return;
      }
      if (!(request.headers["content-type"] ?? "").includes("application/json") && body !== "") {
        send(response, 400, {
          ok: false,
          error_code: 400,
          description: "Bad Request: only JSON bodies are supported by the fake",
        });
        return;
      }
      const params = body === "" ? {} : (JSON.parse(body) as Record<string, unknown>);
      calls.push({ method, params, at: Date.now() });
      for (const wake of waiters) wake();

      const index = failures.findIndex((f) => f.method === method || f.method === "*");
      const failure = index >= 0 ? failures.splice(index, 1)[0]?.failure : undefined;
      if (failure && "drop" in failure) {
        request.socket.destroy();
        return;
      }
      if (failure && "delayMs" in failure) await sleep(failure.delayMs);
      if (failure && "status" in failure) {
        if (failure.status === 429) {
          send(response, 429, {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${failure.retryAfter}`,
            parameters: { retry_after: failure.retryAfter },
          });
        } else {
          const description =
            failure.description ??
            (failure.status >= 500 ? "Internal Server Error" : "Bad Request");
          send(response, failure.status, { ok: false, error_code: failure.status, description });
        }
        return;
      }
      try {
        send(response, 200, { ok: true, result: await answer(method, params) });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        send(response, error.status, {
          ok: false,
          error_code: error.status,
          description: error.description,
        });
      }
    })().catch((error: unknown) => {
      send(response, 500, { ok: false, error_code: 500, description: String(error) });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    botInfo,
    calls: (method) => calls.filter((call) => method === undefined || call.method === method),
    waitForCall(method, predicate = () => true, timeoutMs = 5_000) {
      const find = () => calls.find((call) => call.method === method && predicate(call));
      return new Promise((resolve, reject) => {
        const found = find();
        if (found) {
          resolve(found);
          return;
        }
        const wake = () => {
          const call = find();
          if (!call) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(call);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          const seen = calls.map((call) => call.method).join(", ") || "none";
          reject(new Error(`no ${method} call within ${timeoutMs} ms (calls seen: ${seen})`));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    failNext(method, failure, times = 1) {
      for (let n = 0; n < times; n += 1) failures.push({ method, failure });
    },
    pushUpdate(update) {
      updates.push(update);
    },
    messages: (chatId) =>
      messages.filter((m) => chatId === undefined || m.chatId === chatId).map((m) => ({ ...m })),
    reset() {
      calls = [];
      messages = [];
      failures = [];
      updates = [];
      webhook = null;
      commands = [];
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
