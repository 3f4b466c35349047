// A local stand-in for Telegram's Bot API, so the bot runs offline through the real grammY
// client: `new Bot(fake.token, { client: { apiRoot: fake.url }, botInfo: fake.botInfo })`.
//
// The protocol, as grammY 1.46 speaks it (node_modules/grammy/out/core/client.js, payload.js):
// - `POST {apiRoot}/bot{token}/{method}` with a JSON body (`content-type: application/json`,
//   nulls stripped); multipart/form-data only when a payload holds an InputFile. The bot
//   uploads no files, so multipart is answered 400 here rather than parsed.
// - answers are `{"ok":true,"result":…}` (setWebhook/deleteWebhook add a `description`) or
//   `{"ok":false,"error_code":…,"description":…}`, plus `parameters.retry_after` on a 429,
//   with the HTTP status equal to error_code. grammY turns a JSON answer with ok:false into a
//   GrammyError (error_code, description, parameters) whatever the status, and a connection
//   that ends without a JSON answer into an HttpError.
// - the error texts are the real server's (tdlib/telegram-bot-api, Client.cpp, and Telegram's
//   own error names such as REACTION_INVALID), so code that matches on them is tested
//   against what production sends. Method names are case-insensitive there, and here.
//
// What a test steers or reads, in-process: every call in order (`calls`, `waitForCall`),
// the messages the bot sent with edits and deletions applied (`messages`), the webhook it
// registered (`webhook`), and scripted outages (`failNext`: 429 with retry_after, 4xx/5xx,
// a dropped connection, a slow answer, an answer held until the test releases it).
// `pushUpdate` feeds getUpdates for long polling.
//
// Not simulated: parse_mode/entities (text is stored as sent), inline-mode messages,
// delivery to a registered webhook (a test posts to the app's handler itself), Telegram's
// own flood limits (script them with failNext), and anything about user messages the fake
// never saw (setMessageReaction accepts any message_id).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

import type {
  BotCommand,
  Chat,
  InlineKeyboardMarkup,
  Message,
  ReactionTypeEmoji,
  User,
  UserFromGetMe,
  WebhookInfo,
} from "grammy/types";

import { readBody } from "@/scripts/dev-idp/http";

export interface FakeTelegramCall {
  method: string;
  params: Record<string, unknown>;
  /** Epoch milliseconds when the request arrived (before any scripted delay). */
  at: number;
}

export interface FakeMessage {
  chatId: number;
  messageId: number;
  text: string;
  /** The reply_markup as the bot last sent it (an edit without one removes it). */
  replyMarkup?: unknown;
  /** Epoch milliseconds of the latest edit. */
  editedAt?: number;
}

export type FakeFailure =
  | { status: 429; retryAfter: number }
  | { status: 400 | 403 | 500 | 502; description?: string }
  | { drop: true }
  | { delayMs: number }
  /** Answered (normally) once `until` settles: the test decides when, not a clock. */
  | { until: Promise<unknown> };

export interface FakeWebhook {
  url: string;
  secretToken?: string;
  allowedUpdates?: string[];
  /** drop_pending_updates of the setWebhook call that set it. */
  dropPendingUpdates: boolean;
  maxConnections: number;
}

export interface FakeTelegramOptions {
  /** The only token accepted; `<bot id>:<secret>` (the id becomes botInfo.id). */
  token?: string;
  botInfo?: Partial<UserFromGetMe>;
}

export interface FakeTelegram {
  /** The apiRoot to give grammY: `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  /** Calls in the order received, answered or failed (wrong token and unknown methods too). */
  calls(method?: string): FakeTelegramCall[];
  /**
   * The first call of `method` matching `predicate`, already made or still to come. Rejects
   * after `timeoutMs` (default 5000) naming the calls seen, or when the fake closes.
   */
  waitForCall(
    method: string,
    predicate?: (call: FakeTelegramCall) => boolean,
    timeoutMs?: number,
  ): Promise<FakeTelegramCall>;
  /** The next `times` (default 1) calls of `method` (any method for "*") fail this way. */
  failNext(method: string, failure: FakeFailure, times?: number): void;
  /**
   * Queues an update for getUpdates and returns its update_id (one is assigned, after the
   * highest seen, when the update has none).
   */
  pushUpdate(update: Record<string, unknown>): number;
  /** Messages the bot sent and did not delete, in sending order, with edits applied. */
  messages(chatId?: number): FakeMessage[];
  /** The webhook set with setWebhook, or null. */
  webhook(): FakeWebhook | null;
  /** Forgets calls, messages, failures, queued updates, the webhook and commands. */
  reset(): void;
  /** Stops listening and drops every connection, long polls and delayed answers included. */
  close(): Promise<void>;
}

type ReactionEmoji = ReactionTypeEmoji["emoji"];

/** Telegram's reaction emoji: the values of ReactionTypeEmoji["emoji"] in @grammyjs/types. */
// prettier-ignore
export const ALLOWED_REACTIONS = [
  "👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮", "💩",
  "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤‍🔥", "🌚", "🌭", "💯", "🤣", "⚡", "🍌", "🏆",
  "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻", "👨‍💻", "👀", "🎃",
  "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅", "🤪", "🗿", "🆒", "💘", "🙉",
  "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷‍♂", "🤷", "🤷‍♀", "😡"
] as const satisfies readonly ReactionEmoji[];

// Does not compile when a grammY upgrade adds an emoji this copy lacks.
type MissingReaction = Exclude<ReactionEmoji, (typeof ALLOWED_REACTIONS)[number]>;
const _reactionsComplete: [MissingReaction] extends [never] ? true : MissingReaction = true;

const ALLOWED_REACTION_SET: ReadonlySet<string> = new Set(ALLOWED_REACTIONS);

/** Long polls wait at most this long (Telegram allows 50 s), so tests stay fast. */
const MAX_LONG_POLL_SECONDS = 1;

/** Update types Telegram leaves out unless allowed_updates names them. */
const OPT_IN_UPDATES = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

/** Every field that gives an inline keyboard button something to do. */
const BUTTON_ACTIONS = [
  "url",
  "callback_data",
  "web_app",
  "login_url",
  "switch_inline_query",
  "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat",
  "copy_text",
  "callback_game",
  "pay",
];

const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the " +
  "same as a current content and reply markup of the message";
const QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid";
const WEBHOOK_CONFLICT =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to " +
  "delete the webhook first";
const POLL_CONFLICT =
  "Conflict: terminated by other getUpdates request; make sure that only one bot instance is " +
  "running";

/** An answer with ok:false; thrown by method handlers. */
class BotApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly parameters?: { retry_after: number },
  ) {
    super(description);
  }
}

const badRequest = (what: string) => new BotApiError(400, `Bad Request: ${what}`);

/** A successful result that Telegram accompanies with a description ("Webhook was set"). */
class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

interface StoredMessage {
  chatId: number;
  messageId: number;
  date: number;
  text: string;
  replyMarkup?: Record<string, unknown>;
  editedAt?: number;
}

interface PendingPoll {
  /** Answers the poll if it now has updates to return. */
  wake(): void;
  /** Ends the poll with an error (another getUpdates, a setWebhook). */
  abort(error: BotApiError): void;
}

type Handler = (params: Record<string, unknown>, signal: AbortSignal) => unknown;

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const token = options.token ?? `424242:${"F".repeat(35)}`;
  const tokenMatch = /^(\d+):[\w-]+$/.exec(token);
  if (!tokenMatch) throw new Error(`fake-telegram: "${token}" is not a bot token (<id>:<secret>)`);
  const botInfo: UserFromGetMe = {
    id: Number(tokenMatch[1]),
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
    can_manage_bots: false,
    supports_join_request_queries: false,
    ...options.botInfo,
  };
  // Messages carry the sender as a plain User, without getMe's capability flags.
  const sender: User = {
    id: botInfo.id,
    is_bot: true,
    first_name: botInfo.first_name,
    username: botInfo.username,
  };

  let calls: FakeTelegramCall[] = [];
  let messages: StoredMessage[] = [];
  let lastMessageId = new Map<number, number>();
  let failures: { method: string; failure: FakeFailure }[] = [];
  let updates: Record<string, unknown>[] = [];
  let lastUpdateId = 0;
  let webhook: FakeWebhook | null = null;
  /** null: Telegram's default (every type but the opt-in ones). */
  let allowedUpdates: string[] | null = null;
  let commands = new Map<string, BotCommand[]>();
  let answeredQueries = new Set<string>();
  /** Private chats seen in pushed updates, so sent messages name the person as Telegram does. */
  let knownChats = new Map<number, Chat.PrivateChat>();
  let pendingPoll: PendingPoll | null = null;

  const waiters = new Set<{ check(): void; fail(error: Error): void }>();
  const sockets = new Set<Socket>();
  /** Aborted by close(): ends scripted delays and long polls. */
  const lifetime = new AbortController();

  /** Resolves true after `ms`, or false as soon as the fake closes. */
  /** Resolves true once `until` settles, false if the fake is closed first. */
  function held(until: Promise<unknown>): Promise<boolean> {
    if (lifetime.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onClose = () => resolve(false);
      lifetime.signal.addEventListener("abort", onClose, { once: true });
      void until.then(
        () => {
          lifetime.signal.removeEventListener("abort", onClose);
          resolve(true);
        },
        () => {
          lifetime.signal.removeEventListener("abort", onClose);
          resolve(true);
        },
      );
    });
  }

  function pause(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (lifetime.signal.aborted) {
        resolve(false);
        return;
      }
      const onClose = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        lifetime.signal.removeEventListener("abort", onClose);
        resolve(true);
      }, ms);
      lifetime.signal.addEventListener("abort", onClose, { once: true });
    });
  }

  // ---- messages ------------------------------------------------------------------------

  function chatOf(chatId: number): Chat {
    if (chatId > 0) {
      return knownChats.get(chatId) ?? { id: chatId, type: "private", first_name: "Test user" };
    }
    // Supergroup and channel ids start at -100…; plain groups are other negative ids.
    return chatId <= -1_000_000_000_000
      ? { id: chatId, type: "supergroup", title: "Test supergroup" }
      : { id: chatId, type: "group", title: "Test group" };
  }

  function toMessage(stored: StoredMessage): Message.TextMessage {
    const markup = stored.replyMarkup;
    return {
      message_id: stored.messageId,
      from: sender,
      chat: chatOf(stored.chatId),
      date: stored.date,
      ...(stored.editedAt === undefined ? {} : { edit_date: Math.floor(stored.editedAt / 1000) }),
      text: stored.text,
      // A Message carries only inline keyboards; reply keyboards are not echoed.
      ...(markup && "inline_keyboard" in markup
        ? { reply_markup: markup as unknown as InlineKeyboardMarkup }
        : {}),
    };
  }

  function findMessage(params: Record<string, unknown>, what: string): StoredMessage {
    const chatId = chatIdParam(params);
    const messageId = integerParam(params.message_id);
    const found = messages.find((m) => m.chatId === chatId && m.messageId === messageId);
    if (!found) throw badRequest(`${what} not found`);
    return found;
  }

  // ---- updates -------------------------------------------------------------------------

  function updateAllowedUpdates(value: unknown): void {
    // Absent or not a list: unchanged, as on Telegram; an empty list restores the default.
    if (!Array.isArray(value)) return;
    const names = value.filter((item): item is string => typeof item === "string");
    allowedUpdates = names.length === 0 ? null : names.map((name) => name.toLowerCase());
  }

  function isAllowed(update: Record<string, unknown>): boolean {
    const type = Object.keys(update).find((key) => key !== "update_id");
    if (type === undefined) return true;
    return allowedUpdates ? allowedUpdates.includes(type) : !OPT_IN_UPDATES.has(type);
  }

  /** The updates getUpdates would answer now. Types the bot did not ask for are dropped. */
  function deliverable(limit: number): Record<string, unknown>[] {
    updates = updates.filter(isAllowed);
    return updates.slice(0, limit);
  }

  function abortPoll(description: string): void {
    pendingPoll?.abort(new BotApiError(409, description));
  }

  async function getUpdates(params: Record<string, unknown>, signal: AbortSignal) {
    if (webhook) throw new BotApiError(409, WEBHOOK_CONFLICT);
    abortPoll(POLL_CONFLICT);
    const offset = integerParam(params.offset) ?? 0;
    const limit = clamp(integerParam(params.limit) ?? 100, 1, 100);
    const timeout = clamp(integerParam(params.timeout) ?? 0, 0, MAX_LONG_POLL_SECONDS);
    updateAllowedUpdates(params.allowed_updates);
    // Asking from an offset confirms, and forgets, every update before it; a negative offset
    // keeps only that many of the latest.
    if (offset < 0) updates = updates.slice(offset);
    else updates = updates.filter((update) => Number(update.update_id) >= offset);

    if (deliverable(limit).length === 0 && timeout > 0) {
      await new Promise<void>((resolve, reject) => {
        const finish = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", onGone);
          lifetime.signal.removeEventListener("abort", onGone);
          if (pendingPoll === poll) pendingPoll = null;
        };
        // The client gave up (grammY's bot.stop() aborts its poll) or the fake closed.
        const onGone = () => {
          finish();
          resolve();
        };
        const poll: PendingPoll = {
          wake() {
            if (deliverable(limit).length === 0) return;
            finish();
            resolve();
          },
          abort(error) {
            finish();
            reject(error);
          },
        };
        const timer = setTimeout(onGone, timeout * 1_000);
        signal.addEventListener("abort", onGone, { once: true });
        lifetime.signal.addEventListener("abort", onGone, { once: true });
        pendingPoll = poll;
      });
    }
    return deliverable(limit);
  }

  // ---- methods -------------------------------------------------------------------------

  const handlers: Record<string, Handler> = {
    getMe: () => botInfo,

    sendMessage(params) {
      const chatId = chatIdParam(params);
      const text = textParam(params.text);
      const replyMarkup = replyMarkupParam(params.reply_markup);
      const messageId = (lastMessageId.get(chatId) ?? 0) + 1;
      lastMessageId.set(chatId, messageId);
      const stored: StoredMessage = {
        chatId,
        messageId,
        date: Math.floor(Date.now() / 1000),
        text,
        ...(replyMarkup === undefined ? {} : { replyMarkup }),
      };
      messages.push(stored);
      return toMessage(stored);
    },

    editMessageText(params) {
      const stored = findMessage(params, "message to edit");
      const text = textParam(params.text);
      // As on Telegram, an edit without reply_markup removes the inline keyboard.
      const replyMarkup = replyMarkupParam(params.reply_markup);
      if (text === stored.text && sameJson(replyMarkup, stored.replyMarkup)) {
        throw badRequest(NOT_MODIFIED);
      }
      stored.text = text;
      stored.replyMarkup = replyMarkup;
      stored.editedAt = Date.now();
      return toMessage(stored);
    },

    editMessageReplyMarkup(params) {
      const stored = findMessage(params, "message to edit");
      const replyMarkup = replyMarkupParam(params.reply_markup);
      if (sameJson(replyMarkup, stored.replyMarkup)) throw badRequest(NOT_MODIFIED);
      stored.replyMarkup = replyMarkup;
      stored.editedAt = Date.now();
      return toMessage(stored);
    },

    deleteMessage(params) {
      // Recorded like every call; the product promises never to make it, tests check that.
      const stored = findMessage(params, "message to delete");
      messages = messages.filter((m) => m !== stored);
      return true;
    },

    answerCallbackQuery(params) {
      const id = params.callback_query_id;
      const key = typeof id === "string" || typeof id === "number" ? String(id) : "";
      // A query can be answered once; Telegram refuses the second answer like an expired one.
      if (key === "" || answeredQueries.has(key)) throw badRequest(QUERY_INVALID);
      answeredQueries.add(key);
      return true;
    },

    setMessageReaction(params) {
      chatIdParam(params);
      const reaction = params.reaction;
      if (reaction === undefined) return true; // no reaction: removes the bot's own
      if (!Array.isArray(reaction)) throw badRequest("expected an Array of ReactionType");
      for (const item of reaction as unknown[]) {
        if (!isRecord(item)) throw badRequest("can't parse ReactionType: expected an Object");
        if (item.type !== "emoji" && item.type !== "custom_emoji") {
          throw badRequest("can't parse ReactionType: invalid reaction type specified");
        }
        // Bots may use only the standard emoji, not custom ones.
        if (typeof item.emoji !== "string" || !ALLOWED_REACTION_SET.has(item.emoji)) {
          throw badRequest("REACTION_INVALID");
        }
      }
      // Bots, like non-premium users, set at most one reaction per message.
      if (reaction.length > 1) throw badRequest("REACTIONS_TOO_MANY");
      return true;
    },

    setWebhook(params) {
      const url = typeof params.url === "string" ? params.url : "";
      const drop = params.drop_pending_updates === true;
      if (url === "") return removeWebhook(drop);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw badRequest("invalid webhook URL specified");
      }
      const secretToken = typeof params.secret_token === "string" ? params.secret_token : "";
      if (secretToken.length > 256) throw badRequest("secret token is too long");
      if (!/^[\w-]*$/.test(secretToken)) {
        throw badRequest("secret token contains unallowed characters");
      }
      if (parsed.protocol !== "https:") {
        throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
      }
      if (!["", "80", "88", "443", "8443"].includes(parsed.port)) {
        throw badRequest("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
      }
      const maxConnections = clamp(integerParam(params.max_connections) ?? 40, 1, 100);
      if (drop) updates = [];
      updateAllowedUpdates(params.allowed_updates);
      const unchanged =
        webhook !== null &&
        webhook.url === url &&
        (webhook.secretToken ?? "") === secretToken &&
        webhook.maxConnections === maxConnections &&
        !drop;
      abortPoll("Conflict: terminated by setWebhook request");
      webhook = {
        url,
        ...(secretToken === "" ? {} : { secretToken }),
        ...(allowedUpdates ? { allowedUpdates: [...allowedUpdates] } : {}),
        dropPendingUpdates: drop,
        maxConnections,
      };
      return new Described(true, unchanged ? "Webhook is already set" : "Webhook was set");
    },

    deleteWebhook: (params) => removeWebhook(params.drop_pending_updates === true),

    getWebhookInfo(): WebhookInfo {
      return {
        url: webhook?.url ?? "",
        has_custom_certificate: false,
        pending_update_count: updates.length,
        ...(webhook ? { max_connections: webhook.maxConnections, ip_address: "127.0.0.1" } : {}),
        ...(allowedUpdates
          ? { allowed_updates: [...allowedUpdates] as WebhookInfo["allowed_updates"] }
          : {}),
      };
    },

    setMyCommands(params) {
      const list = params.commands;
      if (!Array.isArray(list)) throw badRequest("expected an Array of BotCommand");
      const parsed: BotCommand[] = [];
      for (const item of list as unknown[]) {
        if (!isRecord(item)) throw badRequest("can't parse BotCommand: expected an Object");
        const { command, description } = item;
        if (typeof command !== "string") {
          throw badRequest(`can't parse BotCommand: Can't find field "command"`);
        }
        if (typeof description !== "string") {
          throw badRequest(`can't parse BotCommand: Can't find field "description"`);
        }
        // 1-32 lowercase letters, digits and underscores; a description of 1-256 characters.
        if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest("BOT_COMMAND_INVALID");
        const length = [...description.trim()].length;
        if (length < 1 || length > 256) throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
        parsed.push({ command, description });
      }
      if (parsed.length > 100) throw badRequest("BOT_COMMANDS_TOO_MUCH");
      commands.set(commandsKey(params), parsed);
      return true;
    },

    getMyCommands: (params) => commands.get(commandsKey(params)) ?? [],

    deleteMyCommands(params) {
      commands.delete(commandsKey(params));
      return true;
    },

    getUpdates,
  };
  const methods = new Map(
    Object.entries(handlers).map(([name, handler]) => [name.toLowerCase(), { name, handler }]),
  );

  function removeWebhook(drop: boolean): Described {
    if (drop) updates = [];
    const had = webhook !== null;
    webhook = null;
    return new Described(true, had ? "Webhook was deleted" : "Webhook is already deleted");
  }

  // ---- HTTP ----------------------------------------------------------------------------

  function takeFailure(method: string): FakeFailure | undefined {
    const index = failures.findIndex((f) => f.method === method || f.method === "*");
    return index < 0 ? undefined : failures.splice(index, 1)[0]?.failure;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Aborted when the client goes away before the answer (a cancelled long poll).
    const gone = new AbortController();
    response.once("close", () => gone.abort());

    const requestUrl = new URL(request.url ?? "/", "http://fake-telegram");
    const body = await readBody(request);
    const route = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(requestUrl.pathname);
    if (!route) {
      sendError(response, new BotApiError(404, "Not Found"));
      return;
    }
    const [, givenToken, rawMethod = ""] = route;
    const known = methods.get(rawMethod.toLowerCase());
    const method = known?.name ?? rawMethod;

    let params: Record<string, unknown> = {};
    let unreadable: string | null = null;
    const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
    if (contentType === "multipart/form-data") {
      unreadable = "multipart/form-data (file uploads) is not supported by the fake Bot API";
    } else if (body.trim() !== "") {
      try {
        const parsed: unknown = JSON.parse(body);
        if (isRecord(parsed)) params = parsed;
        else unreadable = "the fake Bot API expects a JSON object as the request body";
      } catch {
        unreadable =
          contentType === "application/json"
            ? "can't parse the JSON request body"
            : `the fake Bot API reads JSON bodies only (content-type: ${contentType || "none"})`;
      }
    }

    calls.push({ method, params, at: Date.now() });
    for (const waiter of [...waiters]) waiter.check();

    if (givenToken !== token) {
      sendError(response, new BotApiError(401, "Unauthorized"));
      return;
    }
    if (unreadable !== null) {
      sendError(response, badRequest(unreadable));
      return;
    }
    if (!known) {
      sendError(response, new BotApiError(404, "Not Found: method not found"));
      return;
    }

    const failure = takeFailure(method);
    if (failure && "drop" in failure) {
      // The connection dies without an answer, as when a proxy resets it: an HttpError.
      request.socket.destroy();
      return;
    }
    if (failure && "delayMs" in failure) {
      // A slow Telegram: the call is recorded now, and takes effect when it is answered.
      if (!(await pause(failure.delayMs))) return;
    } else if (failure && "until" in failure) {
      if (!(await held(failure.until))) return;
    } else if (failure?.status === 429) {
      const retryAfter = failure.retryAfter;
      sendError(
        response,
        new BotApiError(429, `Too Many Requests: retry after ${retryAfter}`, {
          retry_after: retryAfter,
        }),
      );
      return;
    } else if (failure) {
      sendError(
        response,
        new BotApiError(failure.status, failure.description ?? defaultDescription(failure.status)),
      );
      return;
    }

    let result: unknown;
    try {
      result = await known.handler(params, gone.signal);
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      sendError(response, error);
      return;
    }
    if (result instanceof Described) {
      send(response, 200, { ok: true, result: result.result, description: result.description });
    } else {
      send(response, 200, { ok: true, result });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the fake or a misuse by a test: fail the request loudly rather than hang it.
      const message = error instanceof Error ? error.message : String(error);
      sendError(response, new BotApiError(500, `Internal Server Error: fake-telegram: ${message}`));
    });
  });
  // Node closes a keep-alive connection idle for 5 s by default, and a client that reuses it
  // in that instant (grammY's agent keeps connections alive) gets ECONNRESET: a test whose
  // event loop was busy for a while (PGlite migrating) would see a network failure Telegram
  // did not script. Idle connections stay open; close() drops them all.
  server.keepAliveTimeout = 0;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    botInfo,
    calls: (method) => calls.filter((call) => method === undefined || call.method === method),

    waitForCall(method, predicate, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const settle = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        const waiter = {
          check() {
            let found: FakeTelegramCall | undefined;
            try {
              found = calls.find((call) => call.method === method && (predicate?.(call) ?? true));
            } catch (error) {
              settle();
              reject(error instanceof Error ? error : new Error(String(error)));
              return;
            }
            if (!found) return;
            settle();
            resolve(found);
          },
          fail(error: Error) {
            settle();
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          const wanted = predicate ? `${method} call matching the predicate` : `${method} call`;
          waiter.fail(
            new Error(
              `fake-telegram: no ${wanted} within ${timeoutMs} ms; ${describeCalls(calls)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
        waiter.check();
      });
    },

    failNext(method, failure, times = 1) {
      for (let n = 0; n < times; n += 1) failures.push({ method, failure });
    },

    pushUpdate(update) {
      const copy = structuredClone(update);
      if (copy.update_id === undefined) copy.update_id = lastUpdateId + 1;
      const updateId = copy.update_id;
      if (typeof updateId !== "number" || !Number.isSafeInteger(updateId) || updateId < 0) {
        throw new Error(
          `fake-telegram: update_id must be a non-negative integer, not ${String(updateId)}`,
        );
      }
      lastUpdateId = Math.max(lastUpdateId, updateId);
      rememberChats(copy, knownChats);
      updates.push(copy);
      pendingPoll?.wake();
      return updateId;
    },

    messages: (chatId) =>
      messages
        .filter((m) => chatId === undefined || m.chatId === chatId)
        .map(({ chatId: id, messageId, text, replyMarkup, editedAt }) => ({
          chatId: id,
          messageId,
          text,
          ...(replyMarkup === undefined ? {} : { replyMarkup }),
          ...(editedAt === undefined ? {} : { editedAt }),
        })),

    webhook: () =>
      webhook && {
        ...webhook,
        ...(webhook.allowedUpdates ? { allowedUpdates: [...webhook.allowedUpdates] } : {}),
      },

    reset() {
      calls = [];
      messages = [];
      lastMessageId = new Map();
      failures = [];
      updates = [];
      lastUpdateId = 0;
      webhook = null;
      allowedUpdates = null;
      commands = new Map();
      answeredQueries = new Set();
      knownChats = new Map();
    },

    async close() {
      if (lifetime.signal.aborted) return;
      lifetime.abort();
      for (const waiter of [...waiters]) {
        waiter.fail(new Error("fake-telegram: closed while a test was waiting for a call"));
      }
      // Long polls, delayed answers and idle keep-alive connections would hold close open.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- helpers -----------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/** An integer sent as a JSON number or a numeric string (Telegram accepts both). */
function integerParam(value: unknown): number | undefined {
  const number =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^-?\d+$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isSafeInteger(number) ? number : undefined;
}

function chatIdParam(params: Record<string, unknown>): number {
  const value = params.chat_id;
  if (value === undefined || value === "") throw badRequest("chat_id is empty");
  // "@channelusername" and other unknown chats.
  const chatId = integerParam(value);
  if (chatId === undefined || chatId === 0) throw badRequest("chat not found");
  return chatId;
}

function textParam(value: unknown): string {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || text.trim() === "") throw badRequest("message text is empty");
  if ([...text].length > 4096) throw badRequest("message is too long");
  return text;
}

/** The reply_markup to store (undefined: none), after Telegram's checks on inline keyboards. */
function replyMarkupParam(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw badRequest("object expected as reply markup");
  if (!("inline_keyboard" in value)) return value;
  const rows = value.inline_keyboard;
  if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) {
    throw badRequest(
      'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
    );
  }
  const buttons = (rows as unknown[][]).flat();
  for (const button of buttons) {
    const fail = (why: string) => badRequest(`can't parse inline keyboard button: ${why}`);
    if (!isRecord(button)) throw fail("InlineKeyboardButton must be an Object");
    if (typeof button.text !== "string") throw fail(`Can't find field "text"`);
    const acts = BUTTON_ACTIONS.some(
      (field) => button[field] !== undefined && button[field] !== "",
    );
    if (!acts) throw fail("Text buttons are unallowed in the inline keyboard");
    const data = button.callback_data;
    if (typeof data === "string" && Buffer.byteLength(data, "utf8") > 64) {
      throw badRequest("BUTTON_DATA_INVALID");
    }
  }
  // An empty keyboard is no keyboard.
  return buttons.length === 0 ? undefined : value;
}

/** Equal as JSON regardless of key order (grammY drops null fields before sending). */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isRecord(value)) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined && item !== null)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** Commands are kept per scope and language, as Telegram keeps them. */
function commandsKey(params: Record<string, unknown>): string {
  const scope = isRecord(params.scope) ? params.scope : { type: "default" };
  const language = typeof params.language_code === "string" ? params.language_code : "";
  return `${canonical(scope)}|${language}`;
}

/** Private chats named in an update's message or callback query. */
function rememberChats(update: Record<string, unknown>, into: Map<number, Chat.PrivateChat>) {
  const candidates = [update.message, update.edited_message];
  if (isRecord(update.callback_query)) candidates.push(update.callback_query.message);
  for (const message of candidates) {
    if (!isRecord(message) || !isRecord(message.chat)) continue;
    const chat = message.chat;
    if (
      chat.type === "private" &&
      typeof chat.id === "number" &&
      typeof chat.first_name === "string"
    ) {
      into.set(chat.id, chat as unknown as Chat.PrivateChat);
    }
  }
}

function defaultDescription(status: 400 | 403 | 500 | 502): string {
  switch (status) {
    case 400:
      return "Bad Request: chat not found";
    case 403:
      return "Forbidden: bot was blocked by the user";
    default:
      return "Internal Server Error";
  }
}

/** The calls seen, for a timeout message: the latest 20, each with its parameters. */
function describeCalls(calls: FakeTelegramCall[]): string {
  if (calls.length === 0) return "no calls were made";
  const shown = calls.slice(-20).map((call) => {
    const params = JSON.stringify(call.params);
    return `${call.method} ${params.length > 120 ? `${params.slice(0, 117)}...` : params}`;
  });
  const earlier = calls.length > shown.length ? ` (latest ${shown.length})` : "";
  return `calls seen: ${calls.length}${earlier}:\n  ${shown.join("\n  ")}`;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  // The client may have gone (an aborted long poll); there is no one to answer.
  if (response.destroyed || response.headersSent) return;
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, error: BotApiError): void {
  send(response, error.status, {
    ok: false,
    error_code: error.status,
    description: error.description,
    ...(error.parameters ? { parameters: error.parameters } : {}),
  });
}
