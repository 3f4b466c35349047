// A local stand-in for Upstash Redis's REST API, backed by a real redis-server, so the
// Upstash store and @upstash/ratelimit can be tested offline with Redis's own semantics (TTLs,
// NX, MULTI, EVAL/EVALSHA/SCRIPT LOAD) rather than a re-implementation of them.
//
// The protocol, as @upstash/redis 1.39 speaks it (see its `HttpClient` in node_modules):
// - every request is `POST` with a JSON body and `Authorization: Bearer <token>`;
// - `POST /` carries one command (`["SET","k","v","PX",100]`; numbers may arrive as JSON
//   numbers), `POST /pipeline` an array of them run in order, `POST /multi-exec` an array
//   run inside MULTI/EXEC;
// - answers are `{"result": …}` or `{"error": "…"}`, and an array of those for pipeline and
//   multi-exec (HTTP 200 even when one command failed). A single command that fails is HTTP
//   400, a bad token HTTP 401, as the live service answers;
// - with `Upstash-Encoding: base64` (the client sends it by default) every string in a
//   result is base64 of its bytes, nested arrays recursively; integers and null are left as
//   they are, and so is a top-level "OK" (the client passes a bare "OK" through but would
//   base64-decode one inside an array, so nested ones are encoded).
//
// `failNext` simulates an outage for the next requests: a 500, a dropped connection, or a
// request that is never answered.
//
// One thing Upstash's server accepts and open-source Redis refuses: the `allow-key-locking`
// flag in a script's `#!lua flags=…` line, which @upstash/ratelimit (2.1 and later) puts on
// every script. Like Upstash, the fake accepts it: it runs the script without that flag and
// answers to the hash of the script as the client sent it (EVALSHA, SCRIPT LOAD).
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { Redis } from "ioredis";

import { readBody } from "@/scripts/dev-idp/http";

export type FakeUpstashFailure = "500" | "drop" | "hang";

export interface FakeUpstashOptions {
  /** The redis-server that runs the commands. */
  redisUrl: string;
  /** The bearer token requests must carry. */
  token: string;
}

export interface FakeUpstash {
  /** Base URL to give the client (no trailing slash). */
  readonly url: string;
  /** Every HTTP request received so far, including refused and failed ones. */
  readonly requests: number;
  /** Headers of the latest request (to check what a client sends, e.g. no telemetry). */
  readonly lastHeaders: IncomingHttpHeaders | null;
  /** The next `count` requests fail the given way, before authentication or any command. */
  failNext(count: number, kind: FakeUpstashFailure): void;
  close(): Promise<void>;
}

// JSON scalars the client may send as arguments; Redis receives them as strings.
type Argument = string | number | boolean;
type Command = [name: string, ...args: Argument[]];
type Json = string | number | null | Json[];
type Reply = { result: Json } | { error: string };

/** What the live service answers for a missing or wrong token. */
const UNAUTHORIZED = "WRONGPASS invalid or missing auth token";

export async function startFakeUpstash({
  redisUrl,
  token,
}: FakeUpstashOptions): Promise<FakeUpstash> {
  // Not lazy, and no offline queue: if the test's Redis is unreachable, fail here, loudly,
  // rather than turning every request into a 500 that looks like a simulated outage.
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, lazyConnect: true });
  await redis.connect();

  const failures: FakeUpstashFailure[] = [];
  const scripts = new ScriptTranslator();
  const sockets = new Set<Socket>();
  let requests = 0;
  let lastHeaders: IncomingHttpHeaders | null = null;

  const server = createServer((request, response) => {
    requests += 1;
    lastHeaders = request.headers;
    const failure = failures.shift();
    if (failure === "drop") {
      // The connection dies before any answer, as when a load balancer resets it.
      request.socket.destroy();
      return;
    }
    if (failure === "hang") {
      // Never answered; `close()` destroys the socket.
      return;
    }
    if (failure === "500") {
      send(response, 500, { error: "fake-upstash: simulated internal server error" });
      return;
    }
    handle(request, response, redis, token, scripts).catch((error: unknown) => {
      // Only an unreachable backing Redis gets here (command errors are answered as such).
      if (!response.headersSent) send(response, 500, { error: messageOf(error) });
      else response.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  const address = await new Promise<ReturnType<typeof server.address>>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server.address()));
  }).catch((error: unknown) => {
    redis.disconnect(); // not left connected behind a server that never started
    throw error;
  });
  if (address === null || typeof address === "string") throw new Error("fake-upstash has no port");

  return {
    url: `http://127.0.0.1:${address.port}`,
    get requests() {
      return requests;
    },
    get lastHeaders() {
      return lastHeaders;
    },
    failNext(count, kind) {
      for (let i = 0; i < count; i++) failures.push(kind);
    },
    async close() {
      // Hanging requests and idle keep-alive connections would hold `server.close` open.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  redis: Redis,
  token: string,
  scripts: ScriptTranslator,
): Promise<void> {
  if (request.method !== "POST") {
    send(response, 405, { error: "fake-upstash: only POST is supported" });
    return;
  }
  if (request.headers.authorization !== `Bearer ${token}`) {
    send(response, 401, { error: UNAUTHORIZED });
    return;
  }
  const base64 = request.headers["upstash-encoding"] === "base64";
  const path = new URL(request.url ?? "/", "http://fake-upstash").pathname;

  let body: unknown;
  try {
    body = JSON.parse(await readBody(request));
  } catch {
    send(response, 400, { error: "ERR failed to parse the request body as JSON" });
    return;
  }

  if (path === "/") {
    if (!isCommand(body)) {
      send(response, 400, { error: "ERR the body must be a command: a non-empty JSON array" });
      return;
    }
    const reply = await runOne(redis, body, base64, scripts);
    send(response, "error" in reply ? 400 : 200, reply);
    return;
  }
  if (path === "/pipeline" || path === "/multi-exec") {
    if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) {
      send(response, 400, { error: "ERR the body must be a non-empty array of commands" });
      return;
    }
    const commands: Command[] = body;
    if (path === "/pipeline") {
      // Not atomic, as the service documents: each command runs on its own, in order.
      const replies: Reply[] = [];
      for (const command of commands) {
        replies.push(await runOne(redis, command, base64, scripts));
      }
      send(response, 200, replies);
      return;
    }
    const transaction = redis.multi();
    for (const command of commands) {
      const [name, ...args] = scripts.translate(command).command;
      transaction.callBuffer(name, ...args.map(toRedisArgument));
    }
    let results: [error: Error | null, result: unknown][] | null;
    try {
      results = await transaction.exec();
    } catch (error) {
      // A command refused while queueing (wrong arity, unknown command) discards the whole
      // transaction: EXECABORT, answered like a failed single command.
      if (!isReplyError(error)) throw error;
      send(response, 400, { error: error.message });
      return;
    }
    if (results === null) throw new Error("fake-upstash: the transaction was aborted");
    send(
      response,
      200,
      results.map(([error, result]) =>
        error ? { error: error.message } : { result: encode(result, base64, true) },
      ),
    );
    return;
  }
  send(response, 404, { error: `fake-upstash: no endpoint ${path}` });
}

async function runOne(
  redis: Redis,
  command: Command,
  base64: boolean,
  scripts: ScriptTranslator,
): Promise<Reply> {
  const { command: translated, result: override } = scripts.translate(command);
  const [name, ...args] = translated;
  try {
    const result: unknown = await redis.callBuffer(name, ...args.map(toRedisArgument));
    return { result: encode(override ?? result, base64, true) };
  } catch (error) {
    // The server's own error reply (ERR…, WRONGTYPE…, NOSCRIPT…) goes back to the client;
    // anything else means the backing Redis is gone, which the caller turns into a 500.
    if (isReplyError(error)) return { error: error.message };
    throw error;
  }
}

/** Flags Upstash's server knows and open-source Redis refuses in a `#!lua flags=` line. */
const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);
const SHEBANG = /^#!lua(?:[ \t]+flags=([^\s]*))?[ \t]*(?:\r?\n|$)/;
const sha1 = (text: string) => createHash("sha1").update(text, "utf8").digest("hex");

/** Runs scripts that carry Upstash-only flags as Upstash would, on open-source Redis. */
class ScriptTranslator {
  /** Hash of a script as sent → hash of the script as the backing Redis runs it. */
  private readonly runAs = new Map<string, string>();

  /** The command to send instead, and the reply to give instead (SCRIPT LOAD's hash). */
  translate(command: Command): { command: Command; result?: Buffer } {
    const [name, first, second, ...rest] = command;
    const upper = name.toUpperCase();
    if ((upper === "EVAL" || upper === "EVAL_RO") && typeof first === "string") {
      const runnable = this.strip(first);
      return { command: [name, runnable, ...command.slice(2)] };
    }
    if ((upper === "EVALSHA" || upper === "EVALSHA_RO") && typeof first === "string") {
      return { command: [name, this.runAs.get(first.toLowerCase()) ?? first, ...command.slice(2)] };
    }
    if (
      upper === "SCRIPT" &&
      typeof first === "string" &&
      first.toUpperCase() === "LOAD" &&
      typeof second === "string"
    ) {
      const runnable = this.strip(second);
      // Upstash answers with the hash of the script it was given.
      return {
        command: [name, first, runnable, ...rest],
        result: runnable === second ? undefined : Buffer.from(sha1(second)),
      };
    }
    return { command };
  }

  private strip(script: string): string {
    const match = SHEBANG.exec(script);
    if (!match) return script;
    const flags = (match[1] ?? "").split(",").filter((flag) => flag !== "");
    const kept = flags.filter((flag) => !UPSTASH_ONLY_FLAGS.has(flag));
    if (kept.length === flags.length) return script;
    const rest = script.slice(match[0].length);
    const runnable = kept.length === 0 ? rest : `#!lua flags=${kept.join(",")}\n${rest}`;
    this.runAs.set(sha1(script), sha1(runnable));
    return runnable;
  }
}

/** ioredis answers bulk and status strings as Buffers (callBuffer), integers as numbers. */
function encode(value: unknown, base64: boolean, topLevel: boolean): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  if (Buffer.isBuffer(value)) {
    const text = value.toString("utf8");
    if (!base64 || (topLevel && text === "OK")) return text;
    return value.toString("base64");
  }
  if (Array.isArray(value)) return value.map((item: unknown) => encode(item, base64, false));
  // An error reply nested in an array (a Lua script returning one): its text, like a string.
  if (value instanceof Error) return encode(Buffer.from(value.message), base64, false);
  // Nothing else comes out of RESP2; if it ever does, a loud 500 beats a wrong answer.
  throw new Error(`fake-upstash: unexpected reply of type ${typeof value}`);
}

function isCommand(value: unknown): value is Command {
  return (
    Array.isArray(value) &&
    typeof value[0] === "string" &&
    value.every((item) => ["string", "number", "boolean"].includes(typeof item))
  );
}

const toRedisArgument = (argument: Argument): string | number =>
  typeof argument === "boolean" ? String(argument) : argument;

function isReplyError(error: unknown): error is Error {
  // ioredis 6 names them ReplyError, or SimpleError inside a transaction's results.
  return error instanceof Error && (error.name === "ReplyError" || error.name === "SimpleError");
}

function send(response: ServerResponse, status: number, body: Reply | Reply[]): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
