// An in-process store with Redis's semantics, for development without a Redis server and for
// tests. State lives in this process only: with several server instances, each has its own
// counters, which is why production uses Redis.
import { assertTtl, closedStoreMessage, type RedisStore } from "@/lib/redis/store";

export interface MemoryStoreOptions {
  /** Clock in milliseconds; tests inject one they can advance. */
  now?: () => number;
}

export interface MemoryStore extends RedisStore {
  readonly kind: "memory";
  /** Keys held, including expired ones not swept yet; for tests and diagnostics. */
  size(): number;
}

interface MemoryEntry {
  value: string;
  /** Clock time at which the key stops existing; null when it never expires. */
  expiresAt: number | null;
}

// Expired keys are dropped when touched, and all at once whenever the map has doubled since
// the last sweep: memory stays within about twice the live keys, and the O(n) sweep is paid
// once per n writes.
const MIN_SWEEP_THRESHOLD = 1_024;

const INTEGER = /^-?\d+$/;

/** The keys and their expiry: what the store's commands read and write. */
function expiringEntries(now: () => number) {
  const entries = new Map<string, MemoryEntry>();
  let sweepThreshold = MIN_SWEEP_THRESHOLD;

  const isExpired = (entry: MemoryEntry, at: number) =>
    entry.expiresAt !== null && entry.expiresAt <= at;

  return {
    /** The live entry for a key, dropping it if it has expired. */
    read(key: string): MemoryEntry | undefined {
      const entry = entries.get(key);
      if (entry && isExpired(entry, now())) {
        entries.delete(key);
        return undefined;
      }
      return entry;
    },

    write(key: string, entry: MemoryEntry) {
      entries.set(key, entry);
      if (entries.size >= sweepThreshold) {
        const at = now();
        for (const [candidate, existing] of entries) {
          if (isExpired(existing, at)) entries.delete(candidate);
        }
        sweepThreshold = Math.max(MIN_SWEEP_THRESHOLD, entries.size * 2);
      }
    },

    delete: (key: string) => entries.delete(key),
    clear: () => entries.clear(),
    size: () => entries.size,
  };
}

export function createMemoryStore({ now = Date.now }: MemoryStoreOptions = {}): MemoryStore {
  const entries = expiringEntries(now);
  let closed = false;

  // Every method answers with a promise, and misuse (a bad TTL, a closed store) rejects it as
  // the ioredis store does, rather than throwing synchronously.
  const answer = <T>(command: string, compute: () => T): Promise<T> => {
    try {
      if (closed) throw new Error(closedStoreMessage(command));
      return Promise.resolve(compute());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };

  return {
    kind: "memory",

    ping: () => answer("PING", () => undefined),

    get: (key) => answer("GET", () => entries.read(key)?.value ?? null),

    set: (key, value, { ttlMs, onlyIfAbsent = false } = {}) =>
      answer("SET", () => {
        assertTtl(ttlMs);
        if (onlyIfAbsent && entries.read(key)) return false;
        entries.write(key, { value, expiresAt: ttlMs === undefined ? null : now() + ttlMs });
        return true;
      }),

    del: (key) =>
      answer("DEL", () => {
        const existed = entries.read(key) !== undefined;
        entries.delete(key);
        return existed;
      }),

    incr: (key, { ttlMs } = {}) =>
      answer("INCR", () => {
        assertTtl(ttlMs);
        const entry = entries.read(key);
        const current = entry ? Number(entry.value) : 0;
        if (entry && !(INTEGER.test(entry.value) && Number.isSafeInteger(current))) {
          // Same words as Redis, so callers and tests see one message whatever the store.
          throw new Error("Redis INCR failed: ERR value is not an integer or out of range");
        }
        const next = current + 1;
        if (!Number.isSafeInteger(next)) {
          throw new Error("Redis INCR failed: ERR increment or decrement would overflow");
        }
        const expiresAt = entry ? entry.expiresAt : ttlMs === undefined ? null : now() + ttlMs;
        entries.write(key, { value: String(next), expiresAt });
        return next;
      }),

    ttlMs: (key) =>
      answer("PTTL", () => {
        const entry = entries.read(key);
        return entry?.expiresAt != null ? entry.expiresAt - now() : null;
      }),

    close: () => {
      closed = true;
      entries.clear();
      return Promise.resolve();
    },

    size: () => entries.size(),
  };
}
