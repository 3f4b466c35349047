// Which Auth.js errors are the client's doing (warn, once, no stack) and which are ours
// (error): lib/auth/malformed.ts. The errors come from the real Auth.js, driven with
// hand-made requests, so an upgrade that changes what it reports fails here first. The same
// through the running app is in e2e/bad-input.test.ts.
import NextAuth, { type NextAuthConfig } from "next-auth";
import { encode } from "next-auth/jwt";
import GitHub from "next-auth/providers/github";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";

import {
  classifyAuthError,
  createAuthLogger,
  hasInvalidCallbackUrl,
  type AuthErrorVerdict,
} from "@/lib/auth/malformed";
import { createLogger, type LogLevel } from "@/lib/logger";

const ORIGIN = "http://localhost:3000";
const SECRET = "s".repeat(44);

/** What Auth.js hands its logger for one request, and the status it answers with. */
async function errorsFor(
  request: NextRequest,
  options: { jwt?: NextAuthConfig["callbacks"] } = {},
): Promise<{ errors: Error[]; status: number }> {
  const errors: Error[] = [];
  const { handlers } = NextAuth({
    secret: SECRET,
    trustHost: true,
    basePath: "/api/auth",
    session: { strategy: "jwt" },
    providers: [GitHub({ clientId: "id", clientSecret: "secret" })],
    ...(options.jwt ? { callbacks: options.jwt } : {}),
    logger: { error: (error) => errors.push(error), warn: () => undefined },
  });
  const response =
    request.method === "POST" ? await handlers.POST(request) : await handlers.GET(request);
  return { errors, status: response.status };
}

function get(path: string, headers: Record<string, string> = {}) {
  return new NextRequest(`${ORIGIN}${path}`, { headers });
}

function verdictsOf(errors: Error[]): AuthErrorVerdict[] {
  return errors.map((error) => classifyAuthError(error));
}

describe("classifyAuthError, on what Auth.js really reports", () => {
  it.each([
    [
      "a callbackUrl that is not an http(s) URL",
      get("/api/auth/signin?callbackUrl=javascript:alert(1)"),
      "InvalidCallbackUrl",
    ],
    ["a path that is no Auth.js action", get("/api/auth/nope"), "UnknownAction"],
    ["a provider that is not configured", get("/api/auth/signin/nope"), "UnknownProvider"],
    [
      "an OAuth callback without its state cookie",
      get("/api/auth/callback/github?code=x&state=y"),
      "InvalidCheck",
    ],
    [
      "an OAuth callback with an unparsable state cookie",
      get("/api/auth/callback/github?code=x&state=y", { cookie: "authjs.state=garbage" }),
      "InvalidCheck",
    ],
    [
      "a POST without the CSRF token",
      new NextRequest(`${ORIGIN}/api/auth/signout`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "callbackUrl=%2F",
      }),
      "MissingCSRF",
    ],
    [
      "a forged session cookie",
      get("/api/auth/session", { cookie: "authjs.session-token=garbage" }),
      "UnreadableSessionCookie",
    ],
  ])("%s is the client's doing: warn", async (_what, request, kind) => {
    const { errors } = await errorsFor(request);
    // Exactly one report per request: "logged once".
    expect(errors).toHaveLength(1);
    const [verdict] = verdictsOf(errors);
    expect(verdict).toMatchObject({ level: "warn", kind });
    if (verdict?.level !== "warn") throw new Error("unreachable");
    expect(verdict.detail).not.toMatch(/Read more at|\n\s+at /);
  });

  it("a session cookie our jwt callback fails on (the database is down) is ours: error", async () => {
    const token = await encode({
      token: { sub: "user-1" },
      secret: SECRET,
      salt: "authjs.session-token",
    });
    const { errors } = await errorsFor(
      get("/api/auth/session", { cookie: `authjs.session-token=${token}` }),
      {
        jwt: {
          jwt() {
            throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
          },
        },
      },
    );
    expect(errors).toHaveLength(1);
    expect(verdictsOf(errors)).toEqual([{ level: "error" }]);
  });

  it("a wrong password is an everyday answer (ignored here), anything unknown an error", () => {
    const wrongPassword = Object.assign(new Error("CredentialsSignin"), {
      type: "CredentialsSignin",
    });
    expect(classifyAuthError(wrongPassword)).toEqual({ level: "ignore" });
    expect(classifyAuthError(new Error("boom"))).toEqual({ level: "error" });
    expect(classifyAuthError("not even an error")).toEqual({ level: "error" });
    const adapter = Object.assign(new Error("adapter failed"), { type: "AdapterError" });
    expect(classifyAuthError(adapter)).toEqual({ level: "error" });
    // A plain error that merely mentions a provider is not the unknown-provider refusal.
    const typed = Object.assign(new Error('Provider with id "x" not found.'), {
      type: "Configuration",
    });
    expect(classifyAuthError(typed)).toEqual({ level: "error" });
  });
});

describe("createAuthLogger", () => {
  function capture() {
    const lines: { level: LogLevel; entry: Record<string, unknown> }[] = [];
    const logger = createLogger({
      level: "debug",
      sink: (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push({ level: entry.level as LogLevel, entry });
      },
    });
    return { logger, lines };
  }

  /** The logger writes once the request id is known (a promise): wait for that. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

  it("writes a malformed request once, at warn, with the request id and no stack", async () => {
    const { logger, lines } = capture();
    const authLogger = createAuthLogger({
      logger,
      requestId: () => Promise.resolve("req_abcdef12"),
    });
    const { errors } = await errorsFor(get("/api/auth/nope"));
    for (const error of errors) authLogger.error(error);
    await settle();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe("warn");
    expect(lines[0]?.entry).toMatchObject({
      message: "auth: malformed request refused",
      kind: "UnknownAction",
      requestId: "req_abcdef12",
    });
    expect(JSON.stringify(lines[0]?.entry)).not.toContain('"stack"');
  });

  it("writes our failures at error, with the error and the request id", async () => {
    const { logger, lines } = capture();
    const authLogger = createAuthLogger({
      logger,
      requestId: () => Promise.resolve("req_abcdef12"),
    });
    authLogger.error(new Error("connect ECONNREFUSED"));
    await settle();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe("error");
    expect(lines[0]?.entry).toMatchObject({
      message: "auth error",
      requestId: "req_abcdef12",
      error: { message: "connect ECONNREFUSED" },
    });
  });

  it('still writes the line when the request id cannot be read ("unknown")', async () => {
    const { logger, lines } = capture();
    const authLogger = createAuthLogger({
      logger,
      requestId: () => Promise.reject(new Error("headers() outside a request")),
    });
    authLogger.error(new Error("boom"));
    await settle();
    expect(lines[0]?.entry).toMatchObject({ level: "error", requestId: "unknown" });
  });
});

describe("hasInvalidCallbackUrl", () => {
  const request = (path: string, cookie = "") => get(path, cookie ? { cookie } : {});

  it("finds what Auth.js would refuse, in the query or the cookie", () => {
    expect(
      hasInvalidCallbackUrl(request("/api/auth/session?callbackUrl=javascript:alert(1)")),
    ).toBe(true);
    expect(
      hasInvalidCallbackUrl(
        request("/api/auth/session", "authjs.callback-url=javascript%3Aalert(1)"),
      ),
    ).toBe(true);
    expect(
      hasInvalidCallbackUrl(
        request("/api/auth/session", "__Secure-authjs.callback-url=data%3Atext%2Fhtml,x"),
      ),
    ).toBe(true);
  });

  it("lets valid ones through: paths, http(s) URLs, none", () => {
    expect(hasInvalidCallbackUrl(request("/api/auth/signin?callbackUrl=%2Faccount"))).toBe(false);
    expect(
      hasInvalidCallbackUrl(request("/api/auth/signin?callbackUrl=https://evil.example")),
    ).toBe(false);
    expect(hasInvalidCallbackUrl(request("/api/auth/session", "authjs.callback-url=%2F"))).toBe(
      false,
    );
    expect(hasInvalidCallbackUrl(request("/api/auth/session?callbackUrl="))).toBe(false);
  });

  it("agrees with Auth.js: what it refuses is what we refuse first", async () => {
    for (const path of [
      "/api/auth/session?callbackUrl=javascript:alert(1)",
      "/api/auth/session?callbackUrl=%2Faccount",
      "/api/auth/session?callbackUrl=%2F%2F%2F",
      "/api/auth/session?callbackUrl=https:%2F%2Fevil.example",
    ]) {
      const { errors } = await errorsFor(get(path));
      const authRefuses = errors.some((error) => classifyAuthError(error).level === "warn");
      expect(hasInvalidCallbackUrl(request(path))).toBe(authRefuses);
    }
  });
});
