// The app's logger: pino, one JSON line per entry on stdout, which every log collector
// (Vercel, journald, Docker, Loki) reads; or pino-pretty's lines for a person at a terminal.
// Three things every line gets without the caller asking:
// - the request id of the request it was written for (lib/request-scope.ts, via pino's
//   mixin), so all the lines of one request can be found together — and, with tracing on,
//   its trace_id and span_id;
// - secrets replaced by "[redacted]" (REDACTED_PATHS: cookies, authorization headers,
//   tokens, secrets, passwords, one-time codes);
// - errors as data: name, message, code, stack and the cause chain (serialize below).
//
// No pino transports: they run in a worker thread (thread-stream) that loads its target by
// file path, which breaks once Next bundles the server. Lines are written synchronously on
// the main thread instead, and pretty printing is pino-pretty used as a plain stream. Next 16
// keeps pino and pino-pretty out of its server bundles anyway (next.config.mjs says more).
import { isSpanContextValid, trace } from "@opentelemetry/api";
import pino, { type DestinationStream } from "pino";
import pretty from "pino-pretty";

import { currentRequestId } from "@/lib/request-scope";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** How lines look: JSON for machines, pino-pretty for people (docs/production.md, "Logs"). */
export type LogFormat = "json" | "pretty";

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Receives each JSON line (without its newline) instead of stdout: tests and benches. */
export type LogSink = (line: string) => void;

export interface LoggerOptions {
  level: LogLevel;
  /** Default "json". Ignored with a sink, which always receives JSON. */
  format?: LogFormat;
  sink?: LogSink;
  bindings?: Record<string, unknown>;
}

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

// Field names whose values are secrets wherever they appear: at the top of a line's data or
// up to two objects down (`{ error: { cause: { token } } }`, `{ req: { query: { token } } }`).
// pino's paths have no "any depth" wildcard; deeper fields are not redacted, so keep secrets
// out of deep structures in the first place.
const SECRET_FIELDS = [
  "password",
  "newPassword",
  "currentPassword",
  "passwordHash",
  "secret",
  "clientSecret",
  "client_secret",
  "peerSecret",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "idToken",
  "id_token",
  "sessionToken",
  "csrfToken",
  "sid",
  "codeVerifier",
  "code_verifier",
  "recoveryCode",
  "otp",
  "totp",
  "cookie",
  "cookies",
  "authorization",
];

// Fields that are secrets only in some places. `code` is an OAuth code or a one-time code in a
// query string or a form, but elsewhere an error code worth keeping (`error.code`: P2002,
// ECONNREFUSED), so it is redacted in the first places only. Headers whose names pino's dot
// paths cannot spell are listed with brackets.
const SECRETS_IN_PLACE = [
  "query.code",
  "*.query.code",
  "body.code",
  "*.body.code",
  "input.code",
  "query.state",
  "*.query.state",
  ...["headers", "*.headers"].flatMap((headers) =>
    [
      "set-cookie",
      "proxy-authorization",
      "x-gatehouse-peer",
      "x-telegram-bot-api-secret-token",
      "x-api-key",
    ].map((name) => `${headers}["${name}"]`),
  ),
];

export const REDACTED_PATHS = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  ...SECRETS_IN_PLACE,
];

/**
 * Errors do not serialize with JSON.stringify; keep name, message, code and the cause
 * chain. Libraries (Auth.js) also wrap errors in plain objects (`cause: { err }`), so plain
 * objects are walked too, to a bounded depth. BigInts become strings.
 */
function serialize(value: unknown, depth = 0): unknown {
  if (depth > 4) return "[…]";
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code === undefined ? {} : { code }),
      ...(value.stack ? { stack: value.stack } : {}),
      ...(value.cause !== undefined ? { cause: serialize(value.cause, depth + 1) } : {}),
    };
  }
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map((item) => serialize(item, depth + 1));
  if (
    value !== null &&
    typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, serialize(item, depth + 1)]),
    );
  }
  return value;
}

function serializeFields(data: Record<string, unknown>): Record<string, unknown> {
  return serialize(data) as Record<string, unknown>;
}

// Marks a pino child whose bindings already name a request id (`logger.child({ requestId })`):
// the mixin then adds none, so a line never carries the key twice. Children of children
// inherit it (pino's children are made with Object.create).
const boundRequestId = Symbol("boundRequestId");
type PinoLogger = pino.Logger & { [boundRequestId]?: true };

function destination(options: LoggerOptions): DestinationStream {
  const { sink } = options;
  if (sink) return { write: (line: string) => sink(line.replace(/\n$/, "")) };
  if (options.format === "pretty") {
    // sync: a line is on the terminal before the next statement runs, as with JSON, and
    // nothing is lost when the process exits right after logging (a failed start-up).
    return pretty({ sync: true, messageKey: "message", ignore: "pid,hostname" });
  }
  return pino.destination({ fd: 1, sync: true });
}

function wrap(instance: PinoLogger): Logger {
  const write = (level: LogLevel) => (message: string, data?: Record<string, unknown>) => {
    // Checked first: serializing what a disabled level would drop is wasted work.
    if (!instance.isLevelEnabled(level)) return;
    if (data === undefined) instance[level](message);
    else instance[level](serializeFields(data), message);
  };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (bindings) => {
      const child: PinoLogger = instance.child(serializeFields(bindings));
      if ("requestId" in bindings) child[boundRequestId] = true;
      return wrap(child);
    },
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const instance: PinoLogger = pino(
    {
      level: options.level,
      // "message", not pino's "msg": the field this app's lines have always had, which
      // scripts and tests search for ("message":"worker started").
      messageKey: "message",
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      // A fresh object each time: pino merges the call's fields into it (so a requestId the
      // call passes wins over this one).
      mixin: (_fields, _level, logger) => {
        const requestId = (logger as PinoLogger)[boundRequestId] ? undefined : currentRequestId();
        const fields: Record<string, string> = requestId === undefined ? {} : { requestId };
        // With tracing on (lib/telemetry), the line names its trace and span, under the names
        // log backends link to traces by; off, there is never an active span.
        const span = trace.getActiveSpan()?.spanContext();
        if (span && isSpanContextValid(span)) {
          fields.trace_id = span.traceId;
          fields.span_id = span.spanId;
        }
        return fields;
      },
    },
    destination(options),
  );
  const logger = wrap(instance);
  return options.bindings ? logger.child(options.bindings) : logger;
}
