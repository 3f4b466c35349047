// The password guard (lib/security/password-guard.ts) on a scripted limiter and throttle:
// which limits it asks, in which order, what it waits, and what a refusal says — with and
// without a known device (a valid device cookie's nonce). The 429/503
// answers built from a refusal (lib/http/too-many-requests.ts) and the paths the global
// limit leaves alone are here too.
import { describe, expect, it } from "vitest";

import { tooManyRequests, wantsHtml } from "@/lib/http/too-many-requests";
import {
  globalLimitApplies,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
} from "@/lib/rate-limit";
import type { AccountThrottle } from "@/lib/security/account-throttle";
import {
  createPasswordGuard,
  refusalFrom,
  refusalMessage,
  waitInWords,
} from "@/lib/security/password-guard";

const NOW = 1_800_000_000_000;

const allowed: RateLimitDecision = {
  allowed: true,
  limit: 10,
  remaining: 9,
  resetAt: NOW + 60_000,
  retryAfterSeconds: 0,
};
const limited: RateLimitDecision = {
  allowed: false,
  limit: 10,
  remaining: 0,
  resetAt: NOW + 125_000,
  retryAfterSeconds: 125,
};
const failedClosed: RateLimitDecision = {
  allowed: false,
  limit: 10,
  remaining: 0,
  resetAt: NOW + 5_000,
  retryAfterSeconds: 5,
  failure: "closed",
};

function scripted(answers: Partial<Record<RateLimitPolicy, RateLimitDecision>>, delayMs = 0) {
  const log: string[] = [];
  const limiter: RateLimiter = {
    warmUp: () => Promise.resolve(true),
    limit(policy, key) {
      log.push(`limit ${policy} ${key}`);
      return Promise.resolve(answers[policy] ?? allowed);
    },
  };
  const throttle: AccountThrottle = {
    beforeAttempt(key) {
      log.push(`throttle ${key}`);
      return Promise.resolve({ delayMs });
    },
    recordFailure(key) {
      log.push(`failure ${key}`);
      return Promise.resolve();
    },
    recordSuccess(key) {
      log.push(`success ${key}`);
      return Promise.resolve();
    },
  };
  const guard = createPasswordGuard({
    limiter,
    throttle,
    now: () => NOW,
    sleep: (ms) => {
      log.push(`sleep ${ms}`);
      return Promise.resolve();
    },
  });
  return { guard, log };
}

describe("password guard", () => {
  it("asks the per-IP limit, then the per-account one, then waits the throttle's delay", async () => {
    const { guard, log } = scripted({}, 500);
    await expect(guard.admit({ ip: "203.0.113.5", account: "ada@example.com" })).resolves.toEqual({
      ok: true,
      knownDevice: false,
    });
    expect(log).toEqual([
      "limit signInIp 203.0.113.5",
      "limit signInAccount ada@example.com",
      "throttle ada@example.com",
      "sleep 500",
    ]);
  });

  it("does not sleep when the throttle asks for no delay, and skips the IP limit without an address", async () => {
    const { guard, log } = scripted({});
    await guard.admit({ ip: null, account: "ada@example.com" });
    expect(log).toEqual(["limit signInAccount ada@example.com", "throttle ada@example.com"]);
  });

  it("a used-up IP limit refuses before the account's budget is touched", async () => {
    const { guard, log } = scripted({ signInIp: limited });
    const admission = await guard.admit({ ip: "203.0.113.5", account: "ada@example.com" });
    expect(admission).toEqual({
      ok: false,
      reason: "limited",
      retryAfterSeconds: 125,
      headers: {
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "125",
        "Retry-After": "125",
      },
    });
    expect(log).toEqual(["limit signInIp 203.0.113.5"]);
  });

  it("a used-up account limit refuses before the throttle waits", async () => {
    const { guard, log } = scripted({ signInAccount: limited }, 4_000);
    const admission = await guard.admit({ ip: "203.0.113.5", account: "ada@example.com" });
    expect(admission).toMatchObject({ ok: false, reason: "limited" });
    expect(log).not.toContain("sleep 4000");
  });

  it("a limit that failed closed is 'unavailable', with only Retry-After", async () => {
    const { guard } = scripted({ signInAccount: failedClosed });
    await expect(guard.admit({ ip: null, account: "ada@example.com" })).resolves.toEqual({
      ok: false,
      reason: "unavailable",
      retryAfterSeconds: 5,
      headers: { "Retry-After": "5" },
    });
  });

  it("reports results to the throttle", async () => {
    const { guard, log } = scripted({});
    await guard.failed("ada@example.com");
    await guard.succeeded("ada@example.com");
    await guard.failed("ada@example.com", { ok: true, knownDevice: false });
    await guard.succeeded("ada@example.com", { ok: true, knownDevice: false });
    expect(log).toEqual([
      "failure ada@example.com",
      "success ada@example.com",
      "failure ada@example.com",
      "success ada@example.com",
    ]);
  });
});

describe("password guard with a known device", () => {
  const NONCE = "bm9uY2Utb2YtdGhlLWRldmk";

  it("admits on the device's own budget alone: no per-IP or account limit, no throttle, no delay", async () => {
    const { guard, log } = scripted({ signInIp: limited, signInAccount: limited }, 4_000);
    await expect(
      guard.admit({ ip: "203.0.113.5", account: "ada@example.com", device: NONCE }),
    ).resolves.toEqual({ ok: true, knownDevice: true });
    expect(log).toEqual([`limit signInDevice ${NONCE}`]);
  });

  it("keeps its results away from the account throttle", async () => {
    const { guard, log } = scripted({});
    const admitted = await guard.admit({ ip: null, account: "ada@example.com", device: NONCE });
    if (!admitted.ok) throw new Error("expected the known device to be admitted");
    await guard.failed("ada@example.com", admitted);
    await guard.succeeded("ada@example.com", admitted);
    expect(log).toEqual([`limit signInDevice ${NONCE}`]);
  });

  it("a device whose budget is used up is locked out: the attempt goes on as an unknown browser's", async () => {
    const { guard, log } = scripted({ signInDevice: limited }, 500);
    await expect(
      guard.admit({ ip: "203.0.113.5", account: "ada@example.com", device: NONCE }),
    ).resolves.toEqual({ ok: true, knownDevice: false });
    expect(log).toEqual([
      `limit signInDevice ${NONCE}`,
      "limit signInIp 203.0.113.5",
      "limit signInAccount ada@example.com",
      "throttle ada@example.com",
      "sleep 500",
    ]);
  });

  it("a locked-out device is refused by the account limit like any unknown browser", async () => {
    const { guard, log } = scripted({ signInDevice: limited, signInAccount: limited });
    const admission = await guard.admit({ ip: null, account: "ada@example.com", device: NONCE });
    expect(admission).toMatchObject({ ok: false, reason: "limited", retryAfterSeconds: 125 });
    expect(log).toEqual([`limit signInDevice ${NONCE}`, "limit signInAccount ada@example.com"]);
  });

  it("a device budget that failed closed refuses at once, 'unavailable'", async () => {
    const { guard, log } = scripted({ signInDevice: failedClosed });
    await expect(
      guard.admit({ ip: "203.0.113.5", account: "ada@example.com", device: NONCE }),
    ).resolves.toEqual({
      ok: false,
      reason: "unavailable",
      retryAfterSeconds: 5,
      headers: { "Retry-After": "5" },
    });
    expect(log).toEqual([`limit signInDevice ${NONCE}`]);
  });

  it("without a device (null or absent) nothing changes: no device budget is asked", async () => {
    for (const device of [null, undefined, ""]) {
      const { guard, log } = scripted({});
      await guard.admit({ ip: "203.0.113.5", account: "ada@example.com", device });
      expect(log).toEqual([
        "limit signInIp 203.0.113.5",
        "limit signInAccount ada@example.com",
        "throttle ada@example.com",
      ]);
    }
  });
});

describe("refusal messages", () => {
  it.each([
    [1, "1 second"],
    [42, "42 seconds"],
    [60, "1 minute"],
    [61, "2 minutes"],
    [900, "15 minutes"],
  ])("%i seconds → %s", (seconds, words) => {
    expect(waitInWords(seconds)).toBe(words);
  });

  it("says how long to wait, or to try again shortly when the limiter could not decide", () => {
    expect(refusalMessage(refusalFrom(limited, NOW), "sign you in")).toBe(
      "Too many attempts. Please wait 3 minutes and try again.",
    );
    expect(refusalMessage(refusalFrom(failedClosed, NOW), "sign you in")).toBe(
      "We can't sign you in right now. Please try again shortly.",
    );
  });
});

describe("429 and 503 answers", () => {
  const refusal = refusalFrom(limited, NOW);

  it("JSON: 429 with Retry-After, RateLimit-*, no-store and the request id", async () => {
    const response = tooManyRequests(refusal, { html: false, requestId: "req-12345678" });
    expect(response.status).toBe(429);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "retry-after": "125",
      "ratelimit-limit": "10",
      "ratelimit-remaining": "0",
      "cache-control": "no-store",
      "x-request-id": "req-12345678",
      "content-type": "application/json",
    });
    await expect(response.json()).resolves.toEqual({
      error: "rate_limited",
      message: "Too many requests. Please wait 3 minutes and try again.",
      retryAfterSeconds: 125,
      requestId: "req-12345678",
    });
  });

  it("a limiter that could not decide answers 503 'unavailable'", async () => {
    const response = tooManyRequests(refusalFrom(failedClosed, NOW), {
      html: false,
      requestId: "req-12345678",
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    await expect(response.json()).resolves.toMatchObject({
      error: "unavailable",
      message: "This is briefly unavailable. Please try again shortly.",
    });
  });

  it("HTML: a small page without scripts, quoting the request id escaped", async () => {
    const response = tooManyRequests(refusal, { html: true, requestId: "<b>id</b>" });
    expect(response.status).toBe(429);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toContain("<h1>Slow down</h1>");
    expect(html).toContain("Too many requests. Please wait 3 minutes and try again.");
    expect(html).toContain("&#60;b&#62;id&#60;/b&#62;");
    expect(html).not.toContain("<b>id");
    expect(html).not.toMatch(/<script/i);
  });

  it("browsers navigating to pages get HTML; API routes and other clients get JSON", () => {
    const request = (path: string, accept: string) => ({
      url: `https://example.com${path}`,
      headers: new Headers({ accept }),
    });
    expect(wantsHtml(request("/sign-in", "text/html,application/xhtml+xml"))).toBe(true);
    expect(wantsHtml(request("/sign-in", "*/*"))).toBe(false);
    expect(wantsHtml(request("/api/auth/session", "text/html"))).toBe(false);
    expect(wantsHtml(request("/api", "text/html"))).toBe(false);
    expect(wantsHtml(request("/apiary", "text/html"))).toBe(true);
  });
});

describe("where the global limit applies", () => {
  it.each([
    ["/", true],
    ["/sign-in", true],
    ["/api/auth/session", true],
    ["/api/healthz", true],
    ["/api/health", false],
    ["/api/health/", false],
    ["/api/health/live", false],
    ["/api/health/ready", false],
    ["/api/health/other", true],
    ["/api/telegram", false],
    ["/favicon.ico", false],
    ["/icon.svg", false],
    ["/manifest.webmanifest", false],
    ["/apple-touch-icon.png", false],
    ["/icons/icon-192.png", false],
    // Exact names only: a made-up path under the folder is counted like any other.
    ["/icons/made-up.png", true],
    ["/_next/data/x.json", false],
  ])("%s → %s", (path, applies) => {
    expect(globalLimitApplies(path)).toBe(applies);
  });
});
