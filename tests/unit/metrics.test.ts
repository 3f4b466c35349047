// The metrics each instrumented place records, read back from a registry of the test's own
// (lib/metrics): limiter decisions and backend failures, sign-in verdicts from security
// events, the session check, the Telegram webhook's answers; and the label sets staying
// bounded whatever the input.
import { Bot } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { describe, expect, it } from "vitest";

import { validateSession, type SessionLookup } from "@/lib/auth/sessions";
import type { Prisma, SecurityEvent, SecurityEventType } from "@/lib/generated/prisma/client";
import { createMetrics, methodLabel, type Metrics } from "@/lib/metrics";
import { signInMetricsHook } from "@/lib/metrics/sign-ins";
import {
  createRateLimiter,
  type RateLimitSettings,
  type SlidingWindowBackend,
  type WindowResult,
} from "@/lib/rate-limit";
import { createMemoryStore } from "@/lib/redis";
import type { DbClient } from "@/lib/security/events";
import { createTelegramWebhook, SECRET_HEADER } from "@/lib/telegram/webhook";
import { memoryLogger } from "@/tests/support/logger";

/** The value of one series (0 when it has no sample yet). */
async function valueOf(
  metrics: Metrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const match = values.find((value) =>
    Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return match?.value ?? 0;
}

/** The label values a metric has samples for, as "key=value,…" strings. */
async function seriesOf(metrics: Metrics, name: string): Promise<string[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.map((value) =>
    Object.entries(value.labels)
      .filter(([key]) => key !== "le")
      .map(([key, label]) => `${key}=${String(label)}`)
      .join(","),
  );
}

const newMetrics = () => createMetrics({ defaultMetrics: false });

const rule = { limit: 1, windowMs: 60_000 };
const rateLimitSettings: RateLimitSettings = {
  global: rule,
  signInIp: rule,
  signInAccount: rule,
  signInDevice: rule,
  signUpIp: rule,
  telegram: rule,
  mailAddress: rule,
  mailIp: rule,
  secondFactorAccount: rule,
  secondFactorIp: rule,
  timeoutMs: 5,
};

describe("metric labels", () => {
  it("a sign-in method is a known name, 'other' or 'none' — never what was given", () => {
    expect(methodLabel("github")).toBe("github");
    expect(methodLabel(" Password ")).toBe("password");
    expect(methodLabel("ada@example.com")).toBe("other");
    expect(methodLabel("constructor")).toBe("other");
    expect(methodLabel(null)).toBe("none");
    expect(methodLabel("")).toBe("none");
  });

  it("the webhook's status label is one of the statuses it answers with", async () => {
    const metrics = newMetrics();
    metrics.webhookAnswered(200, 0.01);
    metrics.webhookAnswered(418, 0.01);
    const text = await metrics.registry.metrics();
    expect(text).toContain('gatehouse_telegram_webhook_ack_seconds_count{status="200"} 1');
    expect(text).toContain('gatehouse_telegram_webhook_ack_seconds_count{status="other"} 1');
    expect(text).not.toContain("418");
  });

  it("prom-client's process metrics are on the registry when asked for, once", async () => {
    const withDefaults = createMetrics({ defaultMetrics: true });
    const text = await withDefaults.registry.metrics();
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text.match(/^# TYPE process_cpu_seconds_total /gm)).toHaveLength(1);
    expect(await newMetrics().registry.metrics()).not.toContain("process_cpu_seconds_total");
  });
});

describe("sign-ins, counted from the security events", () => {
  const tx = {} as Prisma.TransactionClient; // the hook never touches the transaction
  const event = (type: SecurityEventType, method: string | null) =>
    // Only the fields the hook reads; the rest of a row does not matter here.
    ({ id: "e", type, method }) as SecurityEvent;

  it("counts each verdict by method and result, and nothing else", async () => {
    const metrics = newMetrics();
    const hook = signInMetricsHook(metrics);
    await hook(tx, event("SIGN_IN", "password"));
    await hook(tx, event("SIGN_IN", "password"));
    await hook(tx, event("SIGN_IN_FAILED", "github"));
    await hook(tx, event("SECOND_FACTOR_FAILED", "google"));
    await hook(tx, event("SIGN_IN_DENIED", "passkey"));
    // A provider id read from a callback URL: counted, under "other".
    await hook(tx, event("SIGN_IN_FAILED", "made-up-provider"));
    // Not sign-in verdicts.
    await hook(tx, event("SIGN_UP", "password"));
    await hook(tx, event("SESSION_REVOKED", null));

    const name = "gatehouse_sign_ins_total";
    expect(await valueOf(metrics, name, { method: "password", result: "success" })).toBe(2);
    expect(await valueOf(metrics, name, { method: "github", result: "failure" })).toBe(1);
    expect(
      await valueOf(metrics, name, { method: "google", result: "second_factor_failure" }),
    ).toBe(1);
    expect(await valueOf(metrics, name, { method: "passkey", result: "denied" })).toBe(1);
    expect(await valueOf(metrics, name, { method: "other", result: "failure" })).toBe(1);
    expect(await seriesOf(metrics, name)).toHaveLength(5);
  });
});

describe("rate-limit decisions", () => {
  const backendAnswering = (answer: () => Promise<WindowResult>): SlidingWindowBackend => ({
    kind: "ioredis",
    limit: answer,
  });
  const limiterOn = (backend: SlidingWindowBackend, metrics: Metrics) =>
    createRateLimiter({
      backend,
      now: Date.now,
      logger: memoryLogger(),
      settings: rateLimitSettings,
      metrics,
    });
  const decisions = "gatehouse_rate_limit_decisions_total";
  const failures = "gatehouse_rate_limit_backend_failures_total";

  it("counts allowed and limited by policy", async () => {
    const metrics = newMetrics();
    let left = 1;
    const limiter = limiterOn(
      backendAnswering(() => {
        const success = left > 0;
        left -= 1;
        return Promise.resolve(
          success
            ? { success, limit: 1, remaining: 0, reset: Date.now() + 60_000 }
            : {
                success,
                limit: 1,
                remaining: 0,
                reset: Date.now() + 60_000,
                retryAt: Date.now() + 60_000,
              },
        );
      }),
      metrics,
    );
    expect((await limiter.limit("signInIp", "203.0.113.7")).allowed).toBe(true);
    expect((await limiter.limit("signInIp", "203.0.113.7")).allowed).toBe(false);
    expect(await valueOf(metrics, decisions, { policy: "signInIp", outcome: "allowed" })).toBe(1);
    expect(await valueOf(metrics, decisions, { policy: "signInIp", outcome: "limited" })).toBe(1);
    expect(await seriesOf(metrics, failures)).toEqual([]);
    // The key (an address here) is never a label.
    expect(await metrics.registry.metrics()).not.toContain("203.0.113.7");
  });

  it("a failing backend: the global limit fails open, sign-in fails closed, each counted with its cause", async () => {
    const metrics = newMetrics();
    const limiter = limiterOn(
      backendAnswering(() => Promise.reject(new Error("ECONNREFUSED"))),
      metrics,
    );
    expect((await limiter.limit("global", "a")).allowed).toBe(true);
    expect((await limiter.limit("signInAccount", "a")).allowed).toBe(false);
    expect(await valueOf(metrics, decisions, { policy: "global", outcome: "failed_open" })).toBe(1);
    expect(
      await valueOf(metrics, decisions, { policy: "signInAccount", outcome: "failed_closed" }),
    ).toBe(1);
    expect(await valueOf(metrics, failures, { policy: "global", cause: "error" })).toBe(1);
    expect(await valueOf(metrics, failures, { policy: "signInAccount", cause: "error" })).toBe(1);
  });

  it("a backend that never answers is counted as a timeout", async () => {
    const metrics = newMetrics();
    const limiter = limiterOn(
      backendAnswering(() => new Promise<WindowResult>(() => undefined)),
      metrics,
    );
    expect((await limiter.limit("telegram", "chat")).allowed).toBe(true);
    expect(await valueOf(metrics, failures, { policy: "telegram", cause: "timeout" })).toBe(1);
    expect(await valueOf(metrics, decisions, { policy: "telegram", outcome: "failed_open" })).toBe(
      1,
    );
  });
});

describe("session checks", () => {
  const now = new Date("2026-12-03T12:00:00Z");
  const row = (changes: Partial<NonNullable<Awaited<ReturnType<SessionLookup>>>>) => ({
    id: "s1",
    userId: "u1",
    createdAt: now,
    lastSeenAt: now, // fresh: the check writes nothing
    expires: new Date(now.getTime() + 3_600_000),
    revokedAt: null,
    email: null,
    ...changes,
  });
  // Unused: every lookup is injected and no row is stale enough to be touched.
  const db = {} as DbClient;

  it("times every check under what it found, a failed one included", async () => {
    const metrics = newMetrics();
    const check = (lookup: SessionLookup) =>
      validateSession(db, {
        sessionToken: "token",
        touchIntervalSeconds: 300,
        maxAgeSeconds: 86_400,
        now,
        lookup,
        observe: metrics.sessionCheck,
      });
    expect(await check(() => Promise.resolve(row({})))).toMatchObject({ userId: "u1" });
    expect(await check(() => Promise.resolve(null))).toBeNull();
    expect(await check(() => Promise.resolve(row({ revokedAt: now })))).toBeNull();
    expect(await check(() => Promise.resolve(row({ expires: now })))).toBeNull();
    await expect(check(() => Promise.reject(new Error("database down")))).rejects.toThrow(
      "database down",
    );
    const text = await metrics.registry.metrics();
    for (const result of ["valid", "missing", "revoked", "expired", "error"]) {
      expect(text).toContain(
        `gatehouse_session_check_duration_seconds_count{result="${result}"} 1`,
      );
    }
  });
});

describe("the Telegram webhook's answer times", () => {
  const token = `123456:${"A".repeat(35)}`;
  const botInfo = {
    id: 123456,
    is_bot: true,
    first_name: "Gatehouse",
    username: "gatehouse_bot",
  } as UserFromGetMe; // the fields grammY reads; the rest do not matter offline
  const secret = "s".repeat(32);

  it("observes each answer under its status", async () => {
    const metrics = newMetrics();
    const logger = memoryLogger();
    const webhook = createTelegramWebhook({
      // No handlers: an update is handled without a Bot API call.
      bot: new Bot(token, { botInfo }),
      secret,
      redis: createMemoryStore(),
      limiter: createRateLimiter({
        backend: { kind: "ioredis", limit: () => Promise.reject(new Error("no Redis")) },
        now: Date.now,
        logger,
        // Redis down: the Telegram limit fails open, so every update gets through.
        settings: rateLimitSettings,
      }),
      logger,
      metrics,
    });
    const post = (body: string, given = secret) =>
      webhook(
        new Request("http://localhost/api/telegram", {
          method: "POST",
          headers: { [SECRET_HEADER]: given, "content-type": "application/json" },
          body,
        }),
        "request-1",
      );
    expect((await post("{}", "wrong")).status).toBe(401);
    expect((await post("not json")).status).toBe(400);
    expect((await post(JSON.stringify({ update_id: 7 }))).status).toBe(200);
    const text = await metrics.registry.metrics();
    for (const status of ["401", "400", "200"]) {
      expect(text).toContain(`gatehouse_telegram_webhook_ack_seconds_count{status="${status}"} 1`);
    }
  });
});
