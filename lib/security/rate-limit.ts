// Rate limiting: one limiter, six policies, three backends (DESIGN.md, "Protection in front
// of the app").
//
// Policies (their limits and windows come from settings.rateLimits):
// - global        — every request, per client IP (proxy.ts);
// - signInIp      — sign-in attempts per client IP;
// - signInAccount — sign-in attempts per account (normalized email) from any IP, so a
//                   brute force spread over many addresses still hits a wall;
// - signInDevice  — sign-in attempts per device cookie (its nonce): the own, small budget
//                   of a browser that signed in to the account before (password-guard.ts);
// - signUpIp      — registrations per client IP;
// - telegram      — Telegram webhook updates.
//
// Algorithm: @upstash/ratelimit's sliding window everywhere — its Lua script on a Redis
// server (Upstash over REST, or self-hosted through ioredis with a thin adapter), and a
// line-by-line transcription of that script in process for the embedded backend
// (rate-limit-memory.ts). A sliding window (two counters per key, the previous one weighted
// by its overlap) avoids the fixed window's burst of 2× the limit across a boundary at the
// same storage cost, and is the library's own recommendation.
//
// When the backend fails or is slow: a decision waits settings.rateLimits.timeoutMs for
// Redis — counted so that time our own busy event loop held the answer up does not count
// against Redis (lib/timeout.ts), and never longer than maxDecisionWaitMs (4 × the timeout) in
// all. Then the global and Telegram limits fail OPEN (a Redis outage must not take the whole
// site, or Telegram's retries, down with it) and the sign-in and sign-up limits fail CLOSED
// (an outage must not switch brute-force protection off: a few seconds of "try again" on
// sign-in is the cheaper failure). Each outage is logged when it starts and when it ends, not
// once per request.
//
// How the limits and the account throttle (account-throttle.ts) combine on a password
// sign-in (password-guard.ts), in this order:
//   0. with a valid device cookie for the account (lib/auth/device-cookie.ts):
//      limit("signInDevice", nonce) — allowed: verify, and nothing below applies (no per-IP
//      or per-account limit, no delay; the result is not fed to the throttle); used up: the
//      device is locked out for the window and the attempt goes on as one without a cookie;
//   1. limit("signInIp", ip)          — per source; refuses with 429;
//   2. limit("signInAccount", email)  — per account, across sources; refuses with 429;
//   3. throttle.beforeAttempt(email)  — waits delayMs (grows with recent failures, capped);
//   4. verify; then throttle.recordFailure / recordSuccess.
// The throttle does the everyday work: it only slows attempts, never refuses a correct
// password. The hard per-account limit is the backstop against guessing from many IPs at
// once; a stranger can use it up, and it then refuses every browser that never signed in to
// the account — but not the owner's own browsers, which carry a device cookie (step 0). It
// is still generous (far above what a person mistypes in a window) and lasts one window, for
// the owner on a new browser.
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { Ratelimit, type RatelimitConfig } from "@upstash/ratelimit";

import { normalizeEmail } from "@/lib/email";
import type { RateLimitRule, Settings } from "@/lib/env";
import type { Logger } from "@/lib/logger";
import { withTimeout } from "@/lib/timeout";
import type { IoRedisStore, RedisStore, UpstashStore } from "@/lib/redis";
import { createIoRedisRatelimitAdapter } from "@/lib/security/ioredis-ratelimit-adapter";
import { createMemoryRateLimitBackend } from "@/lib/security/rate-limit-memory";

export const RATE_LIMIT_POLICIES = [
  "global",
  "signInIp",
  "signInAccount",
  "signInDevice",
  "signUpIp",
  "telegram",
] as const;

export type RateLimitPolicy = (typeof RATE_LIMIT_POLICIES)[number];

/** What a policy does when the backend cannot answer in time (see the top of this file). */
export const FAILURE_MODE: Readonly<Record<RateLimitPolicy, "open" | "closed">> = {
  global: "open",
  telegram: "open",
  signInIp: "closed",
  signInAccount: "closed",
  signInDevice: "closed",
  signUpIp: "closed",
};

/** Every Redis key of the limiter starts with this (then `:<policy>:`). */
export const DEFAULT_RATE_LIMIT_PREFIX = "gatehouse:rl";

/**
 * A failed-closed decision asks the client to come back after this long: long enough not to
 * hammer a Redis that is coming back, short enough that a person retrying by hand barely
 * notices once it is back.
 */
export const DEFAULT_FAIL_CLOSED_RETRY_AFTER_SECONDS = 5;

export interface RateLimitDecision {
  allowed: boolean;
  /** The policy's limit per window. */
  limit: number;
  /** Requests left in the window after this one (0 when refused). */
  remaining: number;
  /** When the current window ends, in ms since the epoch (a hint with a sliding window). */
  resetAt: number;
  /** Seconds a refused client should wait (at least 1); 0 when allowed. */
  retryAfterSeconds: number;
  /** Set when the backend failed or timed out and the policy's failure mode decided. */
  failure?: "open" | "closed";
}

/** One request counted by a backend's sliding window (@upstash/ratelimit's answer). */
export interface WindowResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** End of the current fixed window, ms since the epoch. */
  reset: number;
}

/** A sliding-window counter store: @upstash/ratelimit on Redis, or the in-process one. */
export interface SlidingWindowBackend {
  readonly kind: RedisStore["kind"];
  /** Counts one request for `id` in `namespace` (stored under `<namespace>:<id>:<window>`). */
  limit(namespace: string, id: string, rule: RateLimitRule): Promise<WindowResult>;
}

export type RateLimitSettings = Pick<Settings["rateLimits"], RateLimitPolicy | "timeoutMs">;

export interface RateLimiterDeps {
  backend: SlidingWindowBackend;
  /** Clock in ms, for Retry-After and failure decisions. The Redis-backed algorithm reads
   *  Date.now() itself (the library has no clock option); the memory backend gets the same
   *  clock as this from createRateLimitBackend. */
  now: () => number;
  logger: Pick<Logger, "warn" | "info">;
  settings: RateLimitSettings;
  /** Default DEFAULT_RATE_LIMIT_PREFIX; tests give each test its own. */
  keyPrefix?: string;
  failClosedRetryAfterSeconds?: number;
}

export interface RateLimiter {
  /** Counts one request for `key` under `policy`; never rejects, never waits past the timeout. */
  limit(policy: RateLimitPolicy, key: string): Promise<RateLimitDecision>;
  /**
   * Makes one throw-away decision with a generous timeout, at server start: it opens the
   * connection and loads the Lua script into Redis, which can take longer than a decision's
   * timeout on a cold, busy server — and the first sign-ins after a deploy would be refused
   * ("try again shortly") for it. Never rejects.
   */
  warmUp(timeoutMs?: number): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------

/**
 * The identifier stored for a key: SHA-256, base64url. Hashing every key (not only emails)
 * keeps raw emails — and IP addresses — out of Redis, its dumps and its slow log, and caps
 * the length of keys a client chooses (a megabyte "email" would otherwise be a megabyte key).
 * It is not anonymisation: an email can be found by hashing guesses. It is enough for what a
 * rate-limit key reveals (that someone tried that account recently), and costs ~1 µs.
 */
export function hashKey(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("base64url");
}

/** Where a policy's key lives: `<prefix>:<policy>` and the hashed identifier within it. */
export function rateLimitKey(
  policy: RateLimitPolicy,
  key: string,
  prefix = DEFAULT_RATE_LIMIT_PREFIX,
): { namespace: string; id: string } {
  // Emails differing only in case or surrounding spaces are one account, so they share a
  // counter; otherwise "Victim@x.com" and "victim@x.com" would each get the full limit.
  const normalized =
    policy === "signInAccount"
      ? normalizeEmail(key)
      : ADDRESS_POLICIES.has(policy)
        ? addressBucket(key)
        : key;
  return { namespace: `${prefix}:${policy}`, id: hashKey(normalized) };
}

/** Policies keyed by the client's address. */
const ADDRESS_POLICIES: ReadonlySet<RateLimitPolicy> = new Set(["global", "signInIp", "signUpIp"]);

/**
 * The bucket an address is counted in: an IPv4 address itself; an IPv6 address's /64.
 * One IPv6 subscriber (a home, a phone, a cloud VM) is routinely given a whole /64, so
 * keying by the full address would hand anyone 2^64 fresh per-IP budgets; a /64 is what
 * RFC 6177 and the usual abuse tooling treat as "one site". Anything that is not an
 * address ("unknown") is its own bucket.
 */
export function addressBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  const hextets = expandIpv6(address);
  return hextets ? `${hextets.slice(0, 4).join(":")}::/64` : address;
}

/** The eight hextets of an IPv6 address (no zone id), lower-case, without leading zeros. */
function expandIpv6(address: string): string[] | null {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two hextets.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array<string>(Math.max(0, missing)).fill("0"), ...right];
  return all.map((part) => Number.parseInt(part, 16).toString(16));
}

// ---------------------------------------------------------------------------------------
// Decisions and headers
// ---------------------------------------------------------------------------------------

/** Whole seconds from `now` until `at`, rounded up; 0 once it has passed. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1_000));
}

/** The decision for a window result the backend gave at `now`. */
export function decisionFromResult(result: WindowResult, now: number): RateLimitDecision {
  return {
    allowed: result.success,
    limit: result.limit,
    remaining: result.remaining,
    resetAt: result.reset,
    // At least one second: "Retry-After: 0" invites an immediate retry that will be refused
    // again (the reset is a hint, see rate-limit-memory.ts).
    retryAfterSeconds: result.success ? 0 : Math.max(1, secondsUntil(result.reset, now)),
  };
}

/** The decision a policy's failure mode gives when the backend failed at `now`. */
export function failureDecision(
  policy: RateLimitPolicy,
  rule: RateLimitRule,
  now: number,
  failClosedRetryAfterSeconds = DEFAULT_FAIL_CLOSED_RETRY_AFTER_SECONDS,
): RateLimitDecision {
  if (FAILURE_MODE[policy] === "open") {
    return {
      allowed: true,
      limit: rule.limit,
      remaining: rule.limit,
      resetAt: now,
      retryAfterSeconds: 0,
      failure: "open",
    };
  }
  return {
    allowed: false,
    limit: rule.limit,
    remaining: 0,
    resetAt: now + failClosedRetryAfterSeconds * 1_000,
    retryAfterSeconds: failClosedRetryAfterSeconds,
    failure: "closed",
  };
}

/**
 * Response headers for a decision, as of `now`: `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` (seconds until the window resets, as draft-ietf-httpapi-ratelimit-headers
 * defines it — not a timestamp), plus `Retry-After` (seconds, RFC 9110) when refused.
 *
 * A decision the failure mode made has no counts to report: one that failed open gets no
 * headers (advertising a full quota would be made up), one that failed closed only
 * `Retry-After`.
 */
export function rateLimitHeaders(decision: RateLimitDecision, now: number): Record<string, string> {
  if (decision.failure === "open") return {};
  const headers: Record<string, string> = {};
  if (decision.failure === undefined) {
    headers["RateLimit-Limit"] = String(decision.limit);
    headers["RateLimit-Remaining"] = String(decision.remaining);
    headers["RateLimit-Reset"] = String(secondsUntil(decision.resetAt, now));
  }
  if (!decision.allowed) {
    headers["Retry-After"] = String(Math.max(1, secondsUntil(decision.resetAt, now)));
  }
  return headers;
}

// ---------------------------------------------------------------------------------------
// Timeouts and incidents
// ---------------------------------------------------------------------------------------

/**
 * The longest any decision waits, however busy this process is: 4 × the timeout (200 ms with
 * the default 50 ms). No deadline is set past it; a loop blocked beyond it decides at its
 * first turn after. See lib/timeout.ts for when a decision waits past the timeout at all.
 */
export function maxDecisionWaitMs(timeoutMs: number): number {
  return 4 * timeoutMs;
}

export type IncidentState =
  { open: false } | { open: true; since: number; failures: number; firstReason: string };

export type IncidentTransition =
  { kind: "opened" } | { kind: "recovered"; failures: number; durationMs: number } | null;

/**
 * The once-per-incident state machine, pure: a first failure opens an incident (log it), more
 * failures only count, the first success closes it (log the recovery, with how many calls
 * failed and for how long). Concurrent calls can interleave, so a flapping backend logs each
 * flap — still bounded by how often it changes state, not by the request rate.
 */
export function nextIncidentState(
  state: IncidentState,
  event: { kind: "failure"; reason: string } | { kind: "success" },
  at: number,
): { state: IncidentState; transition: IncidentTransition } {
  if (event.kind === "failure") {
    if (state.open) return { state: { ...state, failures: state.failures + 1 }, transition: null };
    return {
      state: { open: true, since: at, failures: 1, firstReason: event.reason },
      transition: { kind: "opened" },
    };
  }
  if (!state.open) return { state, transition: null };
  return {
    state: { open: false },
    transition: { kind: "recovered", failures: state.failures, durationMs: at - state.since },
  };
}

export interface IncidentTracker {
  failed(error: unknown, data?: Record<string, unknown>): void;
  succeeded(): void;
  readonly isOpen: boolean;
}

/** Drives nextIncidentState and logs its transitions: a warning when, info when over. */
export function createIncidentTracker(options: {
  now: () => number;
  logger: Pick<Logger, "warn" | "info">;
  openedMessage: string;
  recoveredMessage: string;
  /** Added to both lines (which backend, which feature). */
  data?: Record<string, unknown>;
}): IncidentTracker {
  const { now, logger, openedMessage, recoveredMessage, data = {} } = options;
  let state: IncidentState = { open: false };
  return {
    failed(error, extra = {}) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const next = nextIncidentState(state, { kind: "failure", reason }, now());
      state = next.state;
      if (next.transition?.kind === "opened")
        logger.warn(openedMessage, { ...data, ...extra, reason });
    },
    succeeded() {
      const next = nextIncidentState(state, { kind: "success" }, now());
      state = next.state;
      if (next.transition?.kind === "recovered") {
        logger.info(recoveredMessage, {
          ...data,
          failedCalls: next.transition.failures,
          outageMs: next.transition.durationMs,
        });
      }
    },
    get isOpen() {
      return state.open;
    },
  };
}

// ---------------------------------------------------------------------------------------
// The limiter
// ---------------------------------------------------------------------------------------

export function createRateLimiter(deps: RateLimiterDeps): RateLimiter {
  const {
    backend,
    now,
    logger,
    settings,
    keyPrefix = DEFAULT_RATE_LIMIT_PREFIX,
    failClosedRetryAfterSeconds = DEFAULT_FAIL_CLOSED_RETRY_AFTER_SECONDS,
  } = deps;
  const incidents = createIncidentTracker({
    now,
    logger,
    openedMessage:
      "Rate limiting is unavailable: the global and Telegram limits let requests through, " +
      "sign-in and sign-up are refused until it is back",
    recoveredMessage: "Rate limiting is working again",
    data: { backend: backend.kind },
  });

  return {
    async warmUp(timeoutMs = 5_000) {
      try {
        // Already generous, and server start waits for it: no extension on a busy loop.
        await withTimeout(
          backend.limit(`${keyPrefix}:warm-up`, "warm-up", { limit: 1, windowMs: 1_000 }),
          timeoutMs,
          { maxWaitMs: timeoutMs },
        );
        return true;
      } catch (error) {
        logger.warn("rate limiter warm-up failed", { backend: backend.kind, error: String(error) });
        return false;
      }
    },
    async limit(policy, key) {
      const rule = Object.hasOwn(FAILURE_MODE, policy) ? settings[policy] : undefined;
      // A policy name that does not exist is a bug in the caller, not an outage to paper over.
      if (!rule) throw new TypeError(`Unknown rate-limit policy: ${String(policy)}`);
      const { namespace, id } = rateLimitKey(policy, key, keyPrefix);
      try {
        const result = await withTimeout(backend.limit(namespace, id, rule), settings.timeoutMs, {
          maxWaitMs: maxDecisionWaitMs(settings.timeoutMs),
        });
        incidents.succeeded();
        return decisionFromResult(result, now());
      } catch (error) {
        incidents.failed(error, { policy, timeoutMs: settings.timeoutMs });
        return failureDecision(policy, rule, now(), failClosedRetryAfterSeconds);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------

/**
 * A backend on @upstash/ratelimit with the given Redis client (@upstash/redis, or the ioredis
 * adapter). One library instance per namespace and rule, created on first use.
 */
export function createRatelimitLibraryBackend(
  kind: "upstash" | "ioredis",
  redis: RatelimitConfig["redis"],
): SlidingWindowBackend {
  const instances = new Map<string, Ratelimit>();
  const instanceFor = (namespace: string, { limit, windowMs }: RateLimitRule) => {
    const cacheKey = `${namespace}\n${limit}\n${windowMs}`;
    let instance = instances.get(cacheKey);
    if (!instance) {
      instance = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(limit, `${windowMs} ms`),
        // Keys: `<namespace>:<id>:<window number>`.
        prefix: namespace,
        // The library's own timeout resolves with success: true ("timeout"), which would
        // fail the sign-in limits OPEN. Off; withTimeout above decides, per policy.
        timeout: 0,
        // The ephemeral cache remembers refused identifiers in this process until their
        // reset and refuses them without asking Redis. Off: it is a Map that only forgets an
        // identifier when that identifier comes back, so an attacker rotating IPs grows it
        // without bound; its "blocked until reset" is wrong for a sliding window (see
        // rate-limit-memory.ts); and it makes instances disagree. A refused request costs
        // one round trip (≈1 ms on loopback), which the proxy can afford.
        ephemeralCache: false,
        // Analytics writes extra keys per request and sends identifiers to Upstash's
        // dashboard; the deny list fetches IP lists from GitHub; neither is wanted.
        analytics: false,
        enableProtection: false,
        dynamicLimits: false,
        // Telemetry only tags the client's requests with SDK versions.
        enableTelemetry: false,
      });
      instances.set(cacheKey, instance);
    }
    return instance;
  };

  return {
    kind,
    async limit(namespace, id, rule) {
      const response = await instanceFor(namespace, rule).limit(id);
      // With the options above the library always asks Redis; any other reason ("timeout",
      // "cacheBlock", "denyList") means a default changed under us — fail loudly, not open.
      if (response.reason !== undefined) {
        throw new Error(`@upstash/ratelimit answered without Redis (${response.reason})`);
      }
      const { success, limit, remaining, reset } = response;
      return { success, limit, remaining, reset };
    },
  };
}

function isUpstashStore(store: RedisStore): store is UpstashStore {
  return store.kind === "upstash" && "client" in store;
}

function isIoRedisStore(store: RedisStore): store is IoRedisStore {
  return store.kind === "ioredis" && "withClient" in store;
}

/**
 * The backend for the app's RedisStore (which settings.redis chose): @upstash/ratelimit on
 * the same Upstash client or ioredis connection, or the in-process sliding window when Redis
 * is in memory. `now` is that in-process window's clock.
 */
export function createRateLimitBackend(
  store: RedisStore,
  { now = Date.now }: { now?: () => number } = {},
): SlidingWindowBackend {
  if (isUpstashStore(store)) return createRatelimitLibraryBackend("upstash", store.client);
  if (isIoRedisStore(store)) {
    return createRatelimitLibraryBackend("ioredis", createIoRedisRatelimitAdapter(store));
  }
  if (store.kind === "memory") return createMemoryRateLimitBackend({ now });
  throw new TypeError(
    `No rate-limit backend for a ${store.kind} store without its client (wrapped store?)`,
  );
}

// ---------------------------------------------------------------------------------------
// Where the global limit applies
// ---------------------------------------------------------------------------------------

/**
 * Paths the global per-IP limit leaves alone (proxy.ts): the health check (monitors and load
 * balancers poll it, and an unhealthy verdict must not come from our own limiter), the
 * Telegram webhook (Telegram's few addresses carry every user's updates; it has its own
 * policy), and static files served at fixed names. The build's hashed assets never reach the
 * proxy (its matcher).
 */
const GLOBAL_LIMIT_EXEMPT = new Set([
  "/api/health",
  "/api/telegram",
  "/favicon.ico",
  "/icon.svg",
  "/robots.txt",
  "/sitemap.xml",
]);

export function globalLimitApplies(pathname: string): boolean {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  return !GLOBAL_LIMIT_EXEMPT.has(path) && !path.startsWith("/_next/");
}
