// Rate limiting: one limiter, ten policies, three backends (docs/protection.md, "Rate
// limiting").
//
// Policies (their limits and windows come from settings.rateLimits):
// - global        — every request, per client IP (proxy.ts);
// - signInIp      — sign-in attempts per client IP;
// - signInAccount — sign-in attempts per account (normalized email) from any IP, so a
//                   brute force spread over many addresses still hits a wall;
// - signInDevice  — sign-in attempts per device cookie (its nonce): the own, small budget
//                   of a browser that signed in to the account before
//                   (lib/security/password-guard.ts);
// - signUpIp      — registrations per client IP;
// - telegram      — Telegram webhook updates;
// - mailAddress   — mail sent per address typed (normalized email), account or not;
// - mailIp        — mail-sending requests per client IP (both through checkMailBudget,
//                   lib/rate-limit/mail-budget.ts);
// - secondFactorAccount — second-factor codes per account (user id): at the sign-in
//                   challenge and when confirming an authenticator app;
// - secondFactorIp — second-factor codes per client IP (both through checkCodeBudget,
//                   lib/rate-limit/code-budget.ts).
//
// Algorithm: @upstash/ratelimit's sliding window everywhere — its Lua script on a Redis
// server (Upstash over REST, or self-hosted through ioredis with a thin adapter), and a
// line-by-line transcription of that script in process for the embedded backend
// (backends/sliding-window.ts, kept by backends/memory.ts). A sliding window (two counters per
// key, the previous one weighted by its overlap) avoids the fixed window's burst of 2× the
// limit across a boundary at the same storage cost, and is the library's own recommendation.
// A refusal's wait (Retry-After) is worked out with the same arithmetic on every backend: the
// first instant at which the next request is allowed, not the fixed window's end.
//
// When the backend fails or is slow: a decision waits settings.rateLimits.timeoutMs for
// Redis — counted so that time our own busy event loop held the answer up does not count
// against Redis (lib/timeout.ts), and never longer than maxDecisionWaitMs (4 × the timeout) in
// all. Then the global and Telegram limits fail OPEN (a Redis outage must not take the whole
// site, or Telegram's retries, down with it) and the sign-in, sign-up and mail limits fail
// CLOSED (an outage must not switch brute-force or mail-bombing protection off: a few seconds of "try again" on
// sign-in is the cheaper failure). Each outage is logged when it starts and when it ends, not
// once per request.
//
// How the limits and the account throttle (lib/security/account-throttle.ts) combine on a
// password sign-in (lib/security/password-guard.ts), in this order:
//   0. with a valid device cookie for the account (lib/security/device-cookie.ts):
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
//
// The files: policies.ts (names, failure modes, where the global limit applies), keys.ts,
// decisions.ts and headers.ts (what a decision is and says over HTTP), incidents.ts (one log
// line per outage), limiter.ts (createRateLimiter), mail-budget.ts (checkMailBudget),
// code-budget.ts (checkCodeBudget) and backends/ (what a backend is, the sliding window's
// arithmetic, one file per backend, and index.ts choosing one). The timeout is
// lib/timeout.ts. Code outside lib/rate-limit imports from here; the files in it import
// each other.
export type { SlidingWindowBackend, WindowResult } from "@/lib/rate-limit/backends/backend";
export { createRateLimitBackend } from "@/lib/rate-limit/backends";
export { createRatelimitLibraryBackend } from "@/lib/rate-limit/backends/upstash-ratelimit";
export {
  decisionFromResult,
  failureDecision,
  secondsUntil,
  type RateLimitDecision,
} from "@/lib/rate-limit/decisions";
export { rateLimitHeaders } from "@/lib/rate-limit/headers";
export {
  createIncidentTracker,
  nextIncidentState,
  type IncidentState,
  type IncidentTracker,
  type IncidentTransition,
} from "@/lib/rate-limit/incidents";
export { addressBucket, hashKey, rateLimitKey } from "@/lib/rate-limit/keys";
export {
  createRateLimiter,
  maxDecisionWaitMs,
  type RateLimiter,
  type RateLimiterDeps,
} from "@/lib/rate-limit/limiter";
export {
  checkCodeBudget,
  type CodeBudget,
  type CodeBudgetRequest,
} from "@/lib/rate-limit/code-budget";
export {
  checkMailBudget,
  type MailBudget,
  type MailBudgetRequest,
} from "@/lib/rate-limit/mail-budget";
export {
  DEFAULT_FAIL_CLOSED_RETRY_AFTER_SECONDS,
  DEFAULT_RATE_LIMIT_PREFIX,
  FAILURE_MODE,
  globalLimitApplies,
  RATE_LIMIT_POLICIES,
  type RateLimitPolicy,
  type RateLimitSettings,
} from "@/lib/rate-limit/policies";
