// The one timeout in Gatehouse: `withTimeout(promise, timeoutMs)` settles with the promise,
// or rejects with a TimeoutError once the work has had `timeoutMs` to answer — where "had
// time to answer" counts our own event loop. Every caller goes through it: the rate
// limiter's decisions and the account throttle (maxWaitMs 4 × the timeout), the health
// check, the Telegram webhook's acknowledgement budget and ioredis's connect on demand
// (maxWaitMs = the timeout: never extended).
//
// A timer that fires is not proof that the other side is slow: Redis answers on loopback in
// well under 1 ms, but while the loop is busy (a page rendering, 40 sign-ins parsing at
// once) that answer waits in the socket, and the timers phase of the next loop turn runs
// before the poll phase that reads it. Deciding there refused correct sign-ins ("try again
// shortly") and logged an outage that never was, dozens of times a minute under load.
// So when the timer fires:
// 1. it does not decide at once but in a setImmediate: that runs after this turn's poll
//    phase, so an answer that had already arrived has been read — and has settled the race —
//    by then. This alone is exact for ioredis, which writes a command synchronously: if the
//    reply is not in the socket by now, Redis really took longer than the timeout;
// 2. if the timer fired late (more than lateTimerMs: the loop was blocked), the other side
//    may not have had a fair share of the window either — an exchange that needs several
//    loop turns (an HTTP request to Upstash, a connect on demand) was stalled with us — so it
//    gets another `timeoutMs`, and again as long as timers keep firing late;
// 3. never past `maxWaitMs` from the start: work that is really slow while we are busy is
//    still decided, in bounded time. By default maxWaitMs is the timeout itself, so step 2
//    never happens unless a caller asks for it.
// With an idle loop the decision is made at `timeoutMs` plus one loop turn.
//
// Every timer is cleared as soon as the race is decided (no timer outlives a fast answer),
// and a late rejection of the abandoned promise is swallowed here rather than reported as
// unhandled. The work itself cannot be cancelled: a script Redis already runs still counts.

/** The work did not answer in time. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/**
 * A deadline timer that fires later than this after its due time says the event loop was
 * blocked for at least that long inside the window (a fifth of the timeout, 10 ms for the
 * limiter's default 50 ms; at least 2 ms, below which timers are merely jittery).
 */
export function lateTimerMs(timeoutMs: number): number {
  return Math.max(2, timeoutMs / 5);
}

export interface WithTimeoutOptions {
  /** Hard bound from the start, up to which a deadline that fired late is extended.
   *  Default `timeoutMs`: decided at the first look, never extended. */
  maxWaitMs?: number;
  /** What is waited for, at the start of the TimeoutError's message ("database"). */
  what?: string;
  /** Monotonic clock in ms. Default performance.now (which vitest's fake timers fake). */
  now?: () => number;
}

/** `promise`, or a TimeoutError once it has had `timeoutMs` to answer (see the top). */
export function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  { maxWaitMs = timeoutMs, what, now = () => performance.now() }: WithTimeoutOptions = {},
): Promise<T> {
  const started = now();
  const lateMs = lateTimerMs(timeoutMs);
  return new Promise<T>((resolve, reject) => {
    let decided = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let immediate: ReturnType<typeof setImmediate> | undefined;
    const decide = () => {
      decided = true;
      clearTimeout(timer);
      clearImmediate(immediate);
    };
    promise.then(
      (value) => {
        if (decided) return;
        decide();
        resolve(value);
      },
      (error: unknown) => {
        // After the deadline decided, a late failure of the abandoned work is moot.
        if (decided) return;
        decide();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
    const arm = (delayMs: number) => {
      const dueAt = now() + delayMs;
      timer = setTimeout(() => {
        const lateByMs = now() - dueAt;
        // After this turn's poll phase: an answer already in a socket buffer is read first.
        immediate = setImmediate(() => {
          if (decided) return;
          const elapsedMs = now() - started;
          if (lateByMs > lateMs && elapsedMs < maxWaitMs) {
            arm(Math.min(timeoutMs, maxWaitMs - elapsedMs));
            return;
          }
          decide();
          // How long it really waited, and whether the loop was late: what tells a slow
          // dependency from a blocked server in an incident's log line.
          reject(
            new TimeoutError(
              `${what === undefined ? "" : `${what}: `}no answer within ${timeoutMs} ms ` +
                `(waited ${Math.round(elapsedMs)} ms; ` +
                `the last timer fired ${Math.max(0, Math.round(lateByMs))} ms late)`,
            ),
          );
        });
      }, delayMs);
    };
    arm(timeoutMs);
  });
}
