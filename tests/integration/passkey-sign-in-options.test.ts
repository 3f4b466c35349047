// POST /api/passkeys/sign-in-options (lib/auth/passkey-sign-in-options.ts) on both database
// backends: the options and the challenge's cookie for the app's own pages only, every bad
// request refused with a clear answer and nothing stored, the button's presses counted
// against the address's sign-in budget and the page-load autofill's not.
import { describe, expect, inject, it } from "vitest";

import { createPasskeySignInOptionsHandler } from "@/lib/auth/passkey-sign-in-options";
import { parseSettings, type Settings } from "@/lib/env";
import { createRateLimiter, type SlidingWindowBackend } from "@/lib/rate-limit";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";

const serverUrl = inject("databaseUrl");
const APP_URL = "http://localhost:3000";
const T = new Date("2026-06-01T10:00:00.000Z");
const IP = "203.0.113.7";

function settingsFor(appUrl: string): Settings {
  return parseSettings({ APP_URL: appUrl, AUTH_SECRET: "s".repeat(43) }, { devSecret: () => "" });
}

function post(body: string | null, origin: string | null = APP_URL): Request {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (origin !== null) headers.origin = origin;
  return new Request(`${APP_URL}/api/passkeys/sign-in-options`, {
    method: "POST",
    headers,
    ...(body === null ? {} : { body }),
  });
}

describe.each(databaseBackends(serverUrl))("passkey sign-in options on $name", (backend) => {
  describe.runIf(backend.available)("the route handler", () => {
    const db = migratedDatabase(backend);
    const challenges = () => db().prisma.webAuthnChallenge.count();

    function handler({
      appUrl = APP_URL,
      signInIpLimit = 100,
      limiterBackend = createMemoryRateLimitBackend(),
    }: {
      appUrl?: string;
      signInIpLimit?: number;
      limiterBackend?: SlidingWindowBackend;
    } = {}) {
      const settings = settingsFor(appUrl);
      const logger = memoryLogger();
      const limiter = createRateLimiter({
        backend: limiterBackend,
        now: Date.now,
        logger,
        settings: {
          ...settings.rateLimits,
          signInIp: { limit: signInIpLimit, windowMs: 60_000 },
        },
      });
      const handle = createPasskeySignInOptionsHandler({
        services: () => ({ settings, database: db(), limiter }),
        clientIp: () => IP,
        now: () => T,
      });
      const call = (request: Request) => handle(request, { requestId: "req-options", logger });
      return { call, logger };
    }

    it("answers the options and keeps the challenge's id in an HttpOnly cookie", async () => {
      const before = await challenges();
      const response = await handler().call(post(JSON.stringify({ autofill: true })));
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const json = (await response.json()) as {
        ok: boolean;
        options: { challenge: string; rpId: string; allowCredentials?: unknown[] };
      };
      expect(json.ok).toBe(true);
      expect(json.options.rpId).toBe("localhost");
      expect(json.options.challenge).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      // Discoverable credentials: the browser offers whichever passkey the person picks.
      expect(json.options.allowCredentials ?? []).toEqual([]);
      const cookie = response.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/^gatehouse\.passkey-sign-in=[^;]+;/);
      expect(cookie).toContain("HttpOnly");
      expect(cookie.toLowerCase()).toContain("samesite=lax");
      expect(await challenges()).toBe(before + 1);
    });

    it("refuses a request from another origin, or without one, and stores nothing", async () => {
      const { call, logger } = handler();
      const before = await challenges();
      for (const origin of ["https://evil.example", "null", "http://localhost:3001", null]) {
        const response = await call(post("{}", origin));
        expect(response.status).toBe(403);
        expect(response.headers.get("set-cookie")).toBeNull();
        expect(await response.json()).toEqual({
          error: "forbidden",
          message: "This request must come from the sign-in page.",
          requestId: "req-options",
        });
      }
      expect(await challenges()).toBe(before);
      expect(logger.lines.filter((line) => line.level === "warn")).toHaveLength(4);
    });

    it("refuses a body it does not understand with 400 and stores nothing", async () => {
      const { call } = handler();
      const before = await challenges();
      const bodies = [
        "not json",
        "[]",
        JSON.stringify({ autofill: "yes" }),
        JSON.stringify({ autofill: true, userId: "someone-else" }),
        '{"autofill":\u0000}',
      ];
      for (const body of bodies) {
        const response = await call(post(body));
        expect(response.status, body).toBe(400);
        expect(((await response.json()) as { error: string }).error).toBe("bad_request");
      }
      expect(await challenges()).toBe(before);
      // No body at all is the button's plain request.
      expect((await call(post(null))).status).toBe(200);
    });

    it("counts the button's presses against the address's sign-in budget, not autofill's", async () => {
      const { call } = handler({ signInIpLimit: 2 });
      // Page views start autofill each time; they never spend the budget.
      for (let view = 0; view < 5; view++) {
        expect((await call(post(JSON.stringify({ autofill: true })))).status).toBe(200);
      }
      expect((await call(post(JSON.stringify({ autofill: false })))).status).toBe(200);
      expect((await call(post("{}"))).status).toBe(200);
      const before = await challenges();
      const refused = await call(post("{}"));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      const json = (await refused.json()) as { ok: boolean; message: string };
      expect(json.ok).toBe(false);
      expect(json.message).toMatch(
        /^Too many attempts\. Please wait (\d+ seconds?|1 minute) and try again\.$/,
      );
      expect(refused.headers.get("set-cookie")).toBeNull();
      expect(await challenges()).toBe(before);
    });

    it("says the limiter is unavailable (503) when its store is down, for the button", async () => {
      const down: SlidingWindowBackend = {
        kind: "ioredis",
        limit: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379")),
      };
      const { call } = handler({ limiterBackend: down });
      const refused = await call(post("{}"));
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { message: string }).message).toBe(
        "We can't sign you in right now. Please try again shortly.",
      );
    });

    it("answers 404 with a sentence where browsers refuse passkeys (an IP address)", async () => {
      const appUrl = "http://203.0.113.1:3000";
      const response = await handler({ appUrl }).call(
        new Request(`${appUrl}/api/passkeys/sign-in-options`, {
          method: "POST",
          headers: { origin: appUrl },
          body: "{}",
        }),
      );
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        ok: false,
        message: "Passkeys are not available on this site.",
      });
    });
  });
});
