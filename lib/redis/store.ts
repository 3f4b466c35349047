// One small key-value interface over Redis, so services never know which Redis they talk to:
// ioredis for a self-hosted server (ioredis.ts), Upstash's REST API on Vercel (upstash.ts),
// or an in-process map for development and tests (memory.ts). index.ts picks one from the
// settings.
//
// The surface is what the features need and no more: set-if-absent with a TTL (Telegram
// update_id deduplication), counters whose expiry starts with the first hit (rate and
// attempt counters), and plain get/set/del with TTLs (the session revocation cache).
//
// This file holds the interface and what the stores share; it imports no client library.

export interface RedisSetOptions {
  /** Expire the key after this many milliseconds (a positive integer). Without it the key
   *  does not expire, and — as in Redis — any TTL it had is cleared. */
  ttlMs?: number;
  /** Write only when the key does not exist yet (Redis `SET … NX`). */
  onlyIfAbsent?: boolean;
}

export interface RedisIncrOptions {
  /** TTL given to the key when this call creates it; an existing key keeps its TTL, so a
   *  counter's window starts at its first hit and is not extended by later ones. */
  ttlMs?: number;
}

export interface RedisStore {
  readonly kind: "ioredis" | "upstash" | "memory";
  /** Resolves when the store answers; rejects with `RedisUnavailableError` otherwise. */
  ping(): Promise<void>;
  get(key: string): Promise<string | null>;
  /** Returns false only when `onlyIfAbsent` is set and the key already exists. */
  set(key: string, value: string, options?: RedisSetOptions): Promise<boolean>;
  /** Returns whether a key was deleted. */
  del(key: string): Promise<boolean>;
  /** Adds one to an integer value (a missing key counts as 0) and returns the result. */
  incr(key: string, options?: RedisIncrOptions): Promise<number>;
  /** Remaining time to live in milliseconds; null when the key is missing or never expires. */
  ttlMs(key: string): Promise<number | null>;
  /** Releases the connection. Later calls reject. */
  close(): Promise<void>;
}

export interface RedisLogger {
  warn(message: string, data?: Record<string, unknown>): void;
  info?(message: string, data?: Record<string, unknown>): void;
}

/**
 * Redis could not answer: refused or dropped connection, timeout, or a reconnect in
 * progress. Callers decide what "down" means for them (the global rate limit fails open,
 * the sign-in limit fails closed), so this is a distinct class they can test for. An error
 * the server itself answered with (wrong type, not an integer) is a plain `Error` instead.
 */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

export const closedStoreMessage = (command: string) => `Redis store is closed (${command})`;

/** Redis rejects `PX 0` and fractions; check up front so every store agrees. */
export function assertTtl(ttlMs: number | undefined): void {
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
    throw new RangeError(`Redis TTL must be a positive integer of milliseconds, got ${ttlMs}`);
  }
}

export const consoleLogger: RedisLogger = {
  warn: (message, data) => console.warn(`[redis] ${message}`, data ?? ""),
  info: (message, data) => console.info(`[redis] ${message}`, data ?? ""),
};

/** The URL without credentials, for error messages and logs. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "the configured Redis URL";
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
