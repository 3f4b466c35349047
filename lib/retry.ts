// Bounded retries with exponential backoff and jitter, so no retry can spin forever or
// hammer a struggling dependency. A call retried in place goes through retry() (start-up
// checks, the same-email policy's races, the Upstash store's 5xx answers); loops that wait
// between rounds of their own use backoffDelay (the alert outbox, bot:dev's polling, and the
// clients' own loops: ioredis's reconnects and @upstash/redis's retry of a request that got
// no answer, in lib/redis/). Timeouts are lib/timeout.ts.

export interface RetryOptions {
  /** Total attempts, including the first. */
  attempts: number;
  /** Delay before the second attempt; doubles each time, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs?: number;
  /** Called before each wait, e.g. to log "database not reachable yet, retrying in …". */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Return false to stop retrying errors that a retry cannot fix. */
  shouldRetry?: (error: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delay before attempt `attempt + 1`: base·2^(attempt-1), capped, with ±20 % jitter. */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs = 30_000,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  // Jitter spreads out instances that failed together so they do not retry in lockstep.
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const retryable = options.shouldRetry?.(error) ?? true;
      if (!retryable || attempt >= options.attempts) throw error;
      const delay = backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, options.random);
      options.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
}
