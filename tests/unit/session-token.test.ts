// lib/auth/session-token.ts opens Auth.js's session cookie without Auth.js. What it must
// open is whatever Auth.js's own encode() writes; what it must refuse is everything Auth.js's
// decode() refuses (a wrong key, a changed byte, an expired token, an unsupported header).
// Tokens here are made by @auth/core's encode(), or by a sealer that Auth.js's decode() is
// first shown to accept, so a refusal is about the one thing each case changes.
import { createCipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

import { decode, encode } from "@auth/core/jwt";
import { describe, expect, it, vi } from "vitest";

import { readPageSession, type PageSessionDeps } from "@/lib/auth/page-session";
import {
  createSessionTokenReader,
  sessionCookieName,
  sessionTokenOf,
} from "@/lib/auth/session-token";
// Auth.js's own cookie joiner, which its package does not export: the reference for
// sessionTokenOf.
import { SessionStore } from "../../node_modules/@auth/core/lib/utils/cookie.js";
import { memoryLogger } from "@/tests/support/logger";

const SECRET = "a-test-secret-of-sufficient-length-0123456789";
const CLAIMS = { sub: "user-1", sid: "handle", sessionId: "row-1", email: "a@example.com" };
const nowSeconds = () => Math.floor(Date.now() / 1000);

function authJsToken(options: { secure?: boolean; secret?: string; maxAge?: number } = {}) {
  return encode({
    token: CLAIMS,
    secret: options.secret ?? SECRET,
    salt: sessionCookieName(options.secure ?? false),
    maxAge: options.maxAge,
  });
}

const b64 = (value: Buffer | string) => Buffer.from(value).toString("base64url");

/** A compact JWE sealed as RFC 7518 §5.2 says, with any protected header. */
function seal(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const salt = sessionCookieName(false);
  const key = Buffer.from(
    hkdfSync("sha256", SECRET, salt, `Auth.js Generated Encryption Key (${salt})`, 64),
  );
  const headerText = b64(JSON.stringify(header));
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-cbc", key.subarray(32), iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(claims)), cipher.final()]);
  const bits = Buffer.alloc(8);
  bits.writeBigUInt64BE(BigInt(headerText.length * 8));
  const tag = createHmac("sha512", key.subarray(0, 32))
    .update(headerText)
    .update(iv)
    .update(ciphertext)
    .update(bits)
    .digest()
    .subarray(0, 32);
  return [headerText, "", b64(iv), b64(ciphertext), b64(tag)].join(".");
}

const authJsDecode = (token: string) =>
  decode({ token, secret: SECRET, salt: sessionCookieName(false) }).catch(() => null);

/** `token` with one character of part `index` changed (still valid base64url). */
function tampered(token: string, index: number): string {
  const parts = token.split(".");
  const part = parts[index] ?? "";
  const middle = Math.floor(part.length / 2);
  parts[index] =
    part.slice(0, middle) + (part[middle] === "A" ? "B" : "A") + part.slice(middle + 1);
  return parts.join(".");
}

describe("createSessionTokenReader", () => {
  const reader = createSessionTokenReader({ secret: SECRET, secure: false });

  it("opens what Auth.js's encode() writes, with the claims Auth.js's decode() finds", async () => {
    const token = await authJsToken();
    const ours = reader.read(token, nowSeconds());
    expect(ours).toMatchObject(CLAIMS);
    expect(ours).toEqual(await authJsDecode(token));
  });

  it("uses the cookie name as Auth.js does: secure cookies get their own key", async () => {
    const secure = createSessionTokenReader({ secret: SECRET, secure: true });
    expect(secure.cookieName).toBe("__Secure-authjs.session-token");
    expect(reader.cookieName).toBe("authjs.session-token");
    const secureToken = await authJsToken({ secure: true });
    expect(secure.read(secureToken, nowSeconds())).toMatchObject(CLAIMS);
    expect(reader.read(secureToken, nowSeconds())).toBeNull();
    expect(secure.read(await authJsToken(), nowSeconds())).toBeNull();
  });

  it("refuses a token sealed with another secret", async () => {
    const token = await authJsToken({ secret: "another-secret-of-sufficient-length-98765" });
    expect(reader.read(token, nowSeconds())).toBeNull();
  });

  it("refuses a token with any part changed", async () => {
    const token = await authJsToken();
    // 0 header, 2 IV, 3 ciphertext, 4 tag (1 is the empty encrypted key).
    for (const index of [0, 2, 3, 4]) {
      const changed = tampered(token, index);
      expect(changed).not.toBe(token);
      expect(reader.read(changed, nowSeconds())).toBeNull();
      expect(await authJsDecode(changed)).toBeNull();
    }
  });

  it("refuses an expired token, allowing Auth.js's 15 s of clock skew", async () => {
    const token = await authJsToken({ maxAge: 60 });
    const exp = reader.read(token, nowSeconds())?.exp as number;
    expect(reader.read(token, exp + 14)).toMatchObject(CLAIMS);
    expect(reader.read(token, exp + 15)).toBeNull();
    expect(reader.read(token, exp + 86_400)).toBeNull();
  });

  it("refuses a token that is not valid yet, or whose times are not numbers", () => {
    const now = nowSeconds();
    expect(reader.read(seal({ alg: "dir", enc: "A256CBC-HS512" }, { nbf: now + 60 }), now)).toBe(
      null,
    );
    expect(reader.read(seal({ alg: "dir", enc: "A256CBC-HS512" }, { exp: "later" }), now)).toBe(
      null,
    );
  });

  it("refuses headers Auth.js never writes, as jose does", async () => {
    const claims = { ...CLAIMS, exp: nowSeconds() + 60 };
    // The sealer is right: Auth.js opens a plain header it made, and so do we.
    const plain = seal({ alg: "dir", enc: "A256CBC-HS512" }, claims);
    expect(await authJsDecode(plain)).toMatchObject(CLAIMS);
    expect(reader.read(plain, nowSeconds())).toMatchObject(CLAIMS);
    for (const header of [
      { alg: "dir", enc: "A256CBC-HS512", zip: "DEF" },
      { alg: "dir", enc: "A256CBC-HS512", crit: ["b64"], b64: true },
      { alg: "dir", enc: "A256CBC-HS512", kid: "someone-else's-key" },
      { alg: "none", enc: "A256CBC-HS512" },
      { alg: "dir", enc: "A128CBC-HS256" },
    ]) {
      const token = seal(header, claims);
      expect(reader.read(token, nowSeconds()), JSON.stringify(header)).toBeNull();
      expect(await authJsDecode(token), JSON.stringify(header)).toBeNull();
    }
  });

  it("refuses what is no token at all without throwing", async () => {
    const token = await authJsToken();
    const parts = token.split(".");
    for (const junk of [
      "",
      "a.b.c",
      "....",
      token.replace(".", ".x"), // an encrypted key where "dir" has none
      `${token}.`,
      token.slice(0, -1),
      `${parts[0] ?? ""}.\u0000.${parts.slice(2).join(".")}`,
      token.replace(/A/, "+"), // outside base64url
      "x".repeat(100_000),
    ]) {
      expect(reader.read(junk, nowSeconds())).toBeNull();
    }
  });
});

describe("sessionTokenOf", () => {
  const name = "authjs.session-token";

  it("takes the whole cookie, or joins Auth.js's chunks in the order of their numbers", () => {
    expect(sessionTokenOf([{ name, value: "whole" }], name)).toBe("whole");
    const chunks = [2, 10, 0, 1].map((index) => ({
      name: `${name}.${index}`,
      value: `<${index}>`,
    }));
    expect(sessionTokenOf(chunks, name)).toBe("<0><1><2><10>");
  });

  it("joins what Auth.js joins, so stale chunks next to a whole cookie make it unreadable", () => {
    expect(sessionTokenOf([], name)).toBeNull();
    expect(sessionTokenOf([{ name, value: "" }], name)).toBeNull();
    expect(sessionTokenOf([{ name: `__Secure-${name}`, value: "no" }], name)).toBeNull();
    expect(sessionTokenOf([{ name: "other", value: "no" }], name)).toBeNull();
    const cases: { name: string; value: string }[][] = [
      [{ name, value: "whole" }],
      [
        { name: `${name}.1`, value: "<1>" },
        { name: `${name}.0`, value: "<0>" },
      ],
      [
        { name, value: "whole" },
        { name: `${name}.0`, value: "<stale>" },
      ],
      [
        { name: `${name}.0`, value: "<0>" },
        { name: `${name}.1`, value: "" },
      ],
      [{ name: `${name}x`, value: "lookalike" }],
    ];
    for (const cookies of cases) {
      const store = new SessionStore(
        { name, options: {} },
        Object.fromEntries(cookies.map((cookie) => [cookie.name, cookie.value])),
        { debug: () => undefined } as never,
      );
      expect(sessionTokenOf(cookies, name) ?? "").toBe(store.value);
    }
    // A whole token with a stale chunk after it opens neither here nor in Auth.js.
    const token = sessionTokenOf(
      [
        { name, value: "a.b.c.d.e" },
        { name: `${name}.0`, value: "f" },
      ],
      name,
    );
    expect(token).toBe("a.b.c.d.ef");
  });
});

describe("readPageSession", () => {
  const reader = createSessionTokenReader({ secret: SECRET, secure: false });
  const now = new Date();

  function deps(jwt: PageSessionDeps["jwt"]) {
    const logger = memoryLogger("debug");
    const value: PageSessionDeps = {
      reader,
      jwt,
      session: ({ session, token }) => ({ ...session, sessionId: token.sessionId as string }),
      sessionMaxAgeSeconds: 3_600,
      now: () => now,
      logger,
      requestId: () => Promise.resolve("req-page-session"),
    };
    return { deps: value, logger };
  }

  it("passes the claims through the jwt callback and shapes the session as Auth.js does", async () => {
    const jwt = vi.fn(({ token }: { token: Record<string, unknown> }) => ({
      ...token,
      name: "Ada",
      picture: "https://example.com/ada.png",
    }));
    const { deps: d } = deps(jwt);
    const cookies = [{ name: reader.cookieName, value: await authJsToken() }];
    const session = await readPageSession(d, cookies);
    expect(jwt).toHaveBeenCalledTimes(1);
    expect(jwt.mock.calls[0]?.[0].token).toMatchObject(CLAIMS);
    expect(session).toEqual({
      user: { name: "Ada", email: CLAIMS.email, image: "https://example.com/ada.png" },
      expires: new Date(now.getTime() + 3_600_000).toISOString(),
      sessionId: CLAIMS.sessionId,
    });
  });

  it("is signed out when the jwt callback says so (a revoked row)", async () => {
    const { deps: d } = deps(() => null);
    const cookies = [{ name: reader.cookieName, value: await authJsToken() }];
    expect(await readPageSession(d, cookies)).toBeNull();
  });

  it("is signed out, and logs the request id, when the cookie cannot be read", async () => {
    const jwt = vi.fn();
    const { deps: d, logger } = deps(jwt);
    const cookies = [{ name: reader.cookieName, value: "forged" }];
    expect(await readPageSession(d, cookies)).toBeNull();
    expect(jwt).not.toHaveBeenCalled();
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: "warn",
        kind: "UnreadableSessionCookie",
        requestId: "req-page-session",
      }),
    );
  });

  it("is signed out, and logs an error, when the check itself fails", async () => {
    const { deps: d, logger } = deps(() => Promise.reject(new Error("database unreachable")));
    const cookies = [{ name: reader.cookieName, value: await authJsToken() }];
    expect(await readPageSession(d, cookies)).toBeNull();
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: "error", requestId: "req-page-session" }),
    );
  });

  it("asks nothing when there is no session cookie", async () => {
    const jwt = vi.fn();
    const { deps: d, logger } = deps(jwt);
    expect(await readPageSession(d, [{ name: "other", value: "x" }])).toBeNull();
    expect(jwt).not.toHaveBeenCalled();
    expect(logger.lines).toEqual([]);
  });
});
