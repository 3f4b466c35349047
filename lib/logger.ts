// A small structured logger: one JSON line per entry on stdout/stderr, which every log
// collector (Vercel, journald, Docker) understands. Child loggers carry bindings such as
// a request id, so every line of one request can be found together.

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (level: LogLevel, line: string) => void;

const consoleSink: LogSink = (level, line) => {
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
};

/**
 * Errors do not serialize with JSON.stringify; keep name, message, code and the cause
 * chain. Libraries (Auth.js) also wrap errors in plain objects (`cause: { err }`), so plain
 * objects are walked too, to a bounded depth.
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

export function createLogger(options: {
  level: LogLevel;
  sink?: LogSink;
  bindings?: Record<string, unknown>;
}): Logger {
  const sink = options.sink ?? consoleSink;
  const bindings = options.bindings ?? {};
  const write = (level: LogLevel, message: string, data?: Record<string, unknown>) => {
    if (rank[level] < rank[options.level]) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, message };
    for (const [key, value] of Object.entries({ ...bindings, ...data })) {
      entry[key] = serialize(value);
    }
    sink(level, JSON.stringify(entry));
  };
  return {
    debug: (message, data) => write("debug", message, data),
    info: (message, data) => write("info", message, data),
    warn: (message, data) => write("warn", message, data),
    error: (message, data) => write("error", message, data),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}
