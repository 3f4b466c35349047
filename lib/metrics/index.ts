// Prometheus metrics (prom-client), served at /api/metrics behind METRICS_TOKEN
// (./endpoint.ts; docs/production.md, "Metrics"). One registry per process: the composition
// root builds it once with the protection slice (lib/root/protection.ts), which the process
// slot keeps, so Next's hot reload and the proxy's separate bundle never make a second one —
// and prom-client's default process metrics are collected once.
//
// Services never import prom-client: each receives the one recorder it needs (the limiter a
// `rateLimitDecision`, the jwt callback a `sessionCheck`, …), so tests can pass a fake or a
// real Metrics on a registry of their own.
//
// Every label value comes from a fixed set in this file (methods, results, policies,
// channels, HTTP statuses); nothing a client sends, and no user id, email, address or
// token, ever becomes a label: an open label set would grow without bound and could leak.
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

import type { NotificationChannel } from "@/lib/generated/prisma/client";
import type { RateLimitPolicy } from "@/lib/rate-limit/policies";

/** How a sign-in ended, as counted (./sign-ins.ts maps security events onto these). */
export type SignInResult = "success" | "failure" | "second_factor_failure" | "denied";

/** What a rate-limit decision was: the window's answer, or the policy's failure mode. */
export type RateLimitOutcome = "allowed" | "limited" | "failed_open" | "failed_closed";

/** Why the limiter's backend gave no answer: it did not answer in time, or it failed. */
export type RateLimitFailureCause = "timeout" | "error";

/** What the session check (every signed-in request) found. */
export type SessionCheckResult = "valid" | "missing" | "revoked" | "expired" | "error";

export interface Metrics {
  /** The registry /api/metrics serves. */
  registry: Registry;
  // Functions, not methods: services are handed one of them on its own.
  signIn: (method: string | null, result: SignInResult) => void;
  rateLimitDecision: (policy: RateLimitPolicy, outcome: RateLimitOutcome) => void;
  rateLimitFailure: (policy: RateLimitPolicy, cause: RateLimitFailureCause) => void;
  sessionCheck: (result: SessionCheckResult, seconds: number) => void;
  /** A notification SENT, `seconds` after its row was written. */
  notificationSent: (channel: NotificationChannel, seconds: number) => void;
  /** The Telegram webhook answered `status` after `seconds`. */
  webhookAnswered: (status: number, seconds: number) => void;
}

export const METRIC_PREFIX = "gatehouse_";

/** The methods counted by name; any other value (a new provider, a typo) counts as "other". */
export const SIGN_IN_METHOD_LABELS = [
  "password",
  "passkey",
  "google",
  "github",
  "stackoverflow",
  "telegram",
] as const;

const KNOWN_METHODS = new Set<string>(SIGN_IN_METHOD_LABELS);

/** A method as a label: one of SIGN_IN_METHOD_LABELS, "other" or "none" — never the input. */
export function methodLabel(method: string | null): string {
  if (method === null || method.trim() === "") return "none";
  const normalized = method.trim().toLowerCase();
  return KNOWN_METHODS.has(normalized) ? normalized : "other";
}

/** HTTP statuses the webhook answers with; anything else is "other". */
const WEBHOOK_STATUSES = new Set([200, 400, 401, 404, 413, 429, 500, 503]);

function statusLabel(status: number): string {
  return WEBHOOK_STATUSES.has(status) ? String(status) : "other";
}

// Buckets, in seconds, around what each measures.
/** One indexed read on loopback or in the same zone is about a millisecond. */
const SESSION_CHECK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** The target is 50 ms at p99 (TELEGRAM_WEBHOOK_ACK_BUDGET_MS is 30 by default). */
const WEBHOOK_BUCKETS = [0.005, 0.01, 0.025, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 5];
/** From right after the response to the sweeper's interval and the retries' backoff. */
const DELIVERY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3_600];

export interface MetricsOptions {
  /** prom-client's process metrics (CPU, memory, event-loop lag, GC). Off in most tests. */
  defaultMetrics: boolean;
}

/** A registry with every metric on it (no caching: the root keeps one per process). */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const signIns = new Counter({
    name: `${METRIC_PREFIX}sign_ins_total`,
    help: "Sign-in attempts that reached a verdict, by method and result.",
    labelNames: ["method", "result"] as const,
    registers,
  });
  const decisions = new Counter({
    name: `${METRIC_PREFIX}rate_limit_decisions_total`,
    help: "Rate-limit decisions by policy and outcome (failed_*: the backend gave no answer).",
    labelNames: ["policy", "outcome"] as const,
    registers,
  });
  const failures = new Counter({
    name: `${METRIC_PREFIX}rate_limit_backend_failures_total`,
    help: "Rate-limit decisions the backend (Redis) did not answer, by policy and cause.",
    labelNames: ["policy", "cause"] as const,
    registers,
  });
  const sessionChecks = new Histogram({
    name: `${METRIC_PREFIX}session_check_duration_seconds`,
    help: "The revocation check of a signed-in request (its Session row), by result.",
    labelNames: ["result"] as const,
    buckets: SESSION_CHECK_BUCKETS,
    registers,
  });
  const deliveries = new Histogram({
    name: `${METRIC_PREFIX}notification_delivery_seconds`,
    help: "Time from a notification's outbox row to its delivery (SENT), by channel.",
    labelNames: ["channel"] as const,
    buckets: DELIVERY_BUCKETS,
    registers,
  });
  const webhook = new Histogram({
    name: `${METRIC_PREFIX}telegram_webhook_ack_seconds`,
    help: "Time the Telegram webhook took to answer an update, by HTTP status.",
    labelNames: ["status"] as const,
    buckets: WEBHOOK_BUCKETS,
    registers,
  });
  return {
    registry,
    signIn: (method, result) => signIns.inc({ method: methodLabel(method), result }),
    rateLimitDecision: (policy, outcome) => decisions.inc({ policy, outcome }),
    rateLimitFailure: (policy, cause) => failures.inc({ policy, cause }),
    sessionCheck: (result, seconds) => sessionChecks.observe({ result }, seconds),
    // Clock skew between the database (createdAt) and this server (sentAt) must not make a
    // negative observation.
    notificationSent: (channel, seconds) => deliveries.observe({ channel }, Math.max(0, seconds)),
    webhookAnswered: (status, seconds) => webhook.observe({ status: statusLabel(status) }, seconds),
  };
}
