// The logger (lib/logger.ts, pino): the shape of its lines, LOG_LEVEL, errors as data, the
// redaction of secrets, and the request id it takes from the request scope.
import { describe, expect, it } from "vitest";

import { createActionClient } from "@/lib/actions/clients";
import { parseSettings } from "@/lib/env";
import { withRequestScope, withRouteErrors } from "@/lib/http/route";
import { createLogger, REDACTED, type LogLevel } from "@/lib/logger";
import { currentRequestId, runInRequestScope } from "@/lib/request-scope";
import { logFormat } from "@/lib/root/protection";

import { memoryLogger } from "@/tests/support/logger";

/** A logger and the raw lines it wrote, for what JSON.parse would hide (duplicate keys). */
function rawLogger(level: LogLevel = "debug") {
  const raw: string[] = [];
  const logger = createLogger({ level, sink: (line) => raw.push(line) });
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, raw, lines };
}

/** Lets other scheduled work run: the overlapping scopes below take turns. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("lines", () => {
  it("are one JSON object each: level name, ISO time, message, the fields given", () => {
    const { logger, raw, lines } = rawLogger();
    logger.info("worker started", { prefetch: 10, channels: ["EMAIL"] });
    expect(raw[0]).toContain('"message":"worker started"');
    expect(raw[0]).not.toContain("\n");
    const [line] = lines();
    expect(line).toMatchObject({
      level: "info",
      message: "worker started",
      prefetch: 10,
      channels: ["EMAIL"],
    });
    expect(new Date(String(line?.time)).toISOString()).toBe(line?.time);
    expect(line).not.toHaveProperty("msg");
  });

  it("keep LOG_LEVEL: nothing below it is written", () => {
    const { logger, lines } = rawLogger("warn");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    logger.child({ feature: "x" }).info("child info");
    expect(lines().map((line) => [line.level, line.message])).toEqual([
      ["warn", "w"],
      ["error", "e"],
    ]);
  });

  it("carry a child's bindings, and a message with % as written", () => {
    const logger = memoryLogger();
    logger.child({ feature: "worker" }).child({ attempt: 2 }).warn("100%s done %d");
    expect(logger.lines).toEqual([
      expect.objectContaining({ feature: "worker", attempt: 2, message: "100%s done %d" }),
    ]);
  });
});

describe("errors", () => {
  it("keep name, message, code, stack and the whole cause chain, through plain wrappers", () => {
    const logger = memoryLogger();
    const root = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
      code: "ECONNREFUSED",
    });
    const middle = new TypeError("fetch failed", { cause: { err: root } });
    const top = new Error("sign-in failed", { cause: middle });
    logger.error("auth error", { error: top, big: 12345678901234567890n });
    const [line] = logger.lines;
    expect(line).toMatchObject({
      big: "12345678901234567890",
      error: {
        name: "Error",
        message: "sign-in failed",
        cause: {
          name: "TypeError",
          message: "fetch failed",
          cause: {
            err: { name: "Error", code: "ECONNREFUSED", message: root.message },
          },
        },
      },
    });
    expect(String((line?.error as { stack?: unknown }).stack)).toContain("sign-in failed");
  });
});

describe("redaction", () => {
  const secretFields = [
    "password",
    "newPassword",
    "currentPassword",
    "secret",
    "clientSecret",
    "token",
    "accessToken",
    "refresh_token",
    "id_token",
    "sessionToken",
    "csrfToken",
    "codeVerifier",
    "recoveryCode",
    "otp",
    "cookie",
    "authorization",
  ];

  it.each(secretFields)("replaces %s at the top and two levels down", (field) => {
    const { logger, raw, lines } = rawLogger();
    const value = (depth: number) => `secret-${field}-${depth}`;
    logger.info("line", {
      [field]: value(0),
      outer: { [field]: value(1), inner: { [field]: value(2) } },
    });
    for (const depth of [0, 1, 2]) expect(raw[0]).not.toContain(value(depth));
    expect(lines()[0]).toMatchObject({
      [field]: REDACTED,
      outer: { [field]: REDACTED, inner: { [field]: REDACTED } },
    });
  });

  it("replaces a request's cookies, Authorization and secret headers, and a code in its query", () => {
    const { logger, raw, lines } = rawLogger();
    const secrets = [
      "authjs.session-token=eyJsecret",
      "Bearer sk_live_secret",
      "peer-secret 10.0.0.1",
      "telegram-webhook-secret",
      "a=b; Path=/",
      "oauth-code-secret",
      "oauth-state-secret",
      "reset-token-secret",
    ];
    const req = {
      method: "GET",
      path: "/api/auth/callback/github",
      query: { code: secrets[5], state: secrets[6], token: secrets[7], error: "none" },
      headers: {
        cookie: secrets[0],
        authorization: secrets[1],
        "x-gatehouse-peer": secrets[2],
        "x-telegram-bot-api-secret-token": secrets[3],
        "set-cookie": secrets[4],
        "user-agent": "curl/8",
      },
    };
    logger.debug("request", { req });
    logger.child({ req }).info("bound");
    expect(raw).toHaveLength(2);
    for (const line of raw) for (const secret of secrets) expect(line).not.toContain(secret);
    for (const line of lines()) {
      expect(line.req).toEqual({
        method: "GET",
        path: "/api/auth/callback/github",
        query: { code: REDACTED, state: REDACTED, token: REDACTED, error: "none" },
        headers: {
          cookie: REDACTED,
          authorization: REDACTED,
          "x-gatehouse-peer": REDACTED,
          "x-telegram-bot-api-secret-token": REDACTED,
          "set-cookie": REDACTED,
          "user-agent": "curl/8",
        },
      });
    }
  });

  it("keeps error codes: `code` is a secret only in a query or a form", () => {
    const logger = memoryLogger();
    const error = Object.assign(new Error("unique constraint"), { code: "P2002" });
    logger.warn("lost a race", { code: "P2002", error, body: { code: "123456" } });
    expect(logger.lines[0]).toMatchObject({
      code: "P2002",
      error: { code: "P2002" },
      body: { code: REDACTED },
    });
  });
});

describe("the request id", () => {
  it("is on every line written inside a request's scope, and on none outside", async () => {
    const logger = memoryLogger();
    logger.info("before");
    await runInRequestScope("req_scope_one", async () => {
      logger.info("inside");
      await turn();
      logger.child({ feature: "x" }).info("after a turn, from a child");
    });
    logger.info("after");
    expect(logger.lines.map((line) => [line.message, line.requestId])).toEqual([
      ["before", undefined],
      ["inside", "req_scope_one"],
      ["after a turn, from a child", "req_scope_one"],
      ["after", undefined],
    ]);
  });

  it("does not leak between overlapping requests", async () => {
    const logger = memoryLogger();
    const request = (id: string) =>
      runInRequestScope(id, async () => {
        for (let step = 0; step < 3; step += 1) {
          logger.info("step", { step, expected: id });
          await turn();
        }
      });
    const both = Promise.all([request("req_overlap_a"), request("req_overlap_b")]);
    // Written while both are running, but by neither.
    logger.info("outside");
    await both;
    logger.info("outside, after");
    const steps = logger.lines.filter((line) => line.message === "step");
    expect(steps).toHaveLength(6);
    // They really interleaved: a before b finished, b before a finished.
    expect(steps.map((line) => line.requestId)).toEqual([
      "req_overlap_a",
      "req_overlap_b",
      "req_overlap_a",
      "req_overlap_b",
      "req_overlap_a",
      "req_overlap_b",
    ]);
    for (const line of steps) expect(line.requestId).toBe(line.expected);
    const outside = logger.lines.filter((line) => line.message !== "step");
    expect(outside.map((line) => line.requestId)).toEqual([undefined, undefined]);
    expect(currentRequestId()).toBeUndefined();
  });

  it("given by the caller wins, and a child bound to one writes it once", () => {
    const { logger, raw } = rawLogger();
    runInRequestScope("req_scope", () => {
      logger.info("explicit", { requestId: "req_explicit" });
      logger.child({ requestId: "req_bound" }).child({ feature: "x" }).info("bound");
    });
    expect(raw[0]).toContain('"requestId":"req_explicit"');
    expect(raw[0]).not.toContain("req_scope");
    expect(raw[1]?.match(/"requestId"/g)).toHaveLength(1);
    expect(raw[1]).toContain('"requestId":"req_bound"');
  });
});

describe("route wrappers", () => {
  const request = (id: string) =>
    new Request("http://app.test/api/thing?code=oauth-secret&page=2", {
      headers: {
        "x-request-id": id,
        cookie: "authjs.session-token=cookie-secret",
        // Added by proxy.ts for Next: left out of the line.
        "x-nonce": "bm9uY2U=",
        "content-security-policy": "default-src 'self'",
      },
    });

  it("run the handler in the request's scope: lines from anywhere inside carry its id", async () => {
    const logger = memoryLogger();
    // A service's own logger, not the one the wrapper hands over.
    const service = memoryLogger();
    const get = withRouteErrors(
      () => logger,
      async () => {
        await turn();
        service.info("service line");
        return new Response("ok");
      },
    );
    const response = await get(request("req_route_1234"));
    expect(response.headers.get("x-request-id")).toBe("req_route_1234");
    expect(service.lines).toEqual([
      expect.objectContaining({ message: "service line", requestId: "req_route_1234" }),
    ]);
    // The debug line describing the request, its secrets redacted.
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: "debug",
        message: "request",
        requestId: "req_route_1234",
        req: expect.objectContaining({
          path: "/api/thing",
          query: { code: REDACTED, page: "2" },
          headers: { cookie: REDACTED, "x-request-id": "req_route_1234" },
        }) as unknown,
      }),
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain("secret");
  });

  it("withRequestScope does the same for handlers that answer their own errors", async () => {
    const logger = memoryLogger();
    const handler = withRequestScope(
      () => logger,
      async (_request: Request) => {
        await turn();
        logger.info("inside the handler");
        return new Response("ok");
      },
    );
    await Promise.all([handler(request("req_scope_aaaa")), handler(request("req_scope_bbbb"))]);
    const inside = logger.lines.filter((line) => line.message === "inside the handler");
    expect(inside.map((line) => line.requestId).sort()).toEqual([
      "req_scope_aaaa",
      "req_scope_bbbb",
    ]);
    expect(currentRequestId()).toBeUndefined();
  });
});

describe("the server-action client", () => {
  it("runs each action in its request's scope", async () => {
    const logger = memoryLogger();
    const service = memoryLogger();
    const ids = ["req_action_aaaa", "req_action_bbbb"];
    let calls = 0;
    const client = createActionClient({
      services: () => ({
        settings: parseSettings({}, { devSecret: () => "d".repeat(43) }),
        logger,
      }),
      requestContext: () => {
        const requestId = ids[calls % ids.length] ?? "unknown";
        calls += 1;
        return Promise.resolve({ ip: null, userAgent: null, requestId });
      },
    });
    const action = client.action(async () => {
      await turn();
      service.info("inside the action");
      return "done";
    });
    const results = await Promise.all([action(), action()]);
    expect(results.map((result) => result.data)).toEqual(["done", "done"]);
    expect(service.lines.map((line) => line.requestId).sort()).toEqual(ids);
    expect(currentRequestId()).toBeUndefined();
  });
});

describe("the format", () => {
  it("is pretty only for a terminal outside production, unless LOG_FORMAT says", () => {
    const development = { isProduction: false, logFormat: null };
    const production = { isProduction: true, logFormat: null };
    expect(logFormat(development, true)).toBe("pretty");
    expect(logFormat(development, false)).toBe("json");
    expect(logFormat(production, true)).toBe("json");
    expect(logFormat({ ...production, logFormat: "pretty" }, false)).toBe("pretty");
    expect(logFormat({ ...development, logFormat: "json" }, true)).toBe("json");
  });
});
