// lib/auth/session-renewal.ts: proxy.ts re-seals the session cookie once the touch interval
// has passed, so a browser in use is not signed out SESSION_MAX_AGE_DAYS after its sign-in.
// Tokens are made and checked with Auth.js's own encode() and decode(): what the renewal
// writes must be exactly what Auth.js reads.
import { decode, encode } from "@auth/core/jwt";
import { describe, expect, it } from "vitest";

import { createSessionRenewal, type RenewedCookie } from "@/lib/auth/session-renewal";
import { sessionCookieName, sessionTokenOf, type CookieValue } from "@/lib/auth/session-token";

const SECRET = "a-test-secret-of-sufficient-length-0123456789";
const MAX_AGE = 30 * 86_400;
const RENEW_AFTER = 300;
const CLAIMS = {
  sub: "user-1",
  sid: "handle",
  sessionId: "row-1",
  email: "a@example.com",
  authTime: 1_700_000_000,
  method: "password",
};

function renewal(secure = false) {
  return createSessionRenewal({
    secret: SECRET,
    secure,
    maxAgeSeconds: MAX_AGE,
    renewAfterSeconds: RENEW_AFTER,
  });
}

const seal = (claims: Record<string, unknown>, secure = false, maxAge = MAX_AGE) =>
  encode({ token: claims, secret: SECRET, salt: sessionCookieName(secure), maxAge });

/** What Auth.js's decode() makes of the cookies a browser holds after applying `written`. */
async function openedAfter(held: CookieValue[], written: RenewedCookie[], secure = false) {
  const jar = new Map(held.map((cookie) => [cookie.name, cookie.value]));
  for (const cookie of written) {
    if (cookie.options.expires.getTime() <= Date.now()) jar.delete(cookie.name);
    else jar.set(cookie.name, cookie.value);
  }
  const name = sessionCookieName(secure);
  const cookies = [...jar].map(([cookieName, value]) => ({ name: cookieName, value }));
  const token = sessionTokenOf(cookies, name);
  return token ? decode({ token, secret: SECRET, salt: name }) : null;
}

/** A moment `seconds` after now: the tokens below are sealed by Auth.js at the real now. */
const later = (seconds: number) => new Date(Date.now() + seconds * 1000);

describe("createSessionRenewal", () => {
  it("leaves a cookie younger than the touch interval alone", async () => {
    const name = sessionCookieName(false);
    const cookies = [{ name, value: await seal(CLAIMS) }];
    expect(await renewal().renew(cookies, later(0))).toBeNull();
    expect(await renewal().renew(cookies, later(RENEW_AFTER - 5))).toBeNull();
  });

  it("re-seals an older one with the same claims and a fresh expiry, as Auth.js writes it", async () => {
    for (const secure of [false, true]) {
      const name = sessionCookieName(secure);
      const held = [{ name, value: await seal(CLAIMS, secure) }];
      const now = later(RENEW_AFTER + 1);
      const written = await renewal(secure).renew(held, now);
      expect(written).toHaveLength(1);
      const [cookie] = written ?? [];
      expect(cookie?.name).toBe(name);
      expect(cookie?.value).not.toBe(held[0]?.value);
      // Auth.js's session cookie options, with the expiry counted from this request.
      expect(cookie?.options).toEqual({
        httpOnly: true,
        sameSite: "lax",
        path: "/",
        secure,
        expires: new Date(now.getTime() + MAX_AGE * 1000),
      });
      const opened = await openedAfter(held, written ?? [], secure);
      expect(opened).toMatchObject(CLAIMS);
      const before = await decode({ token: held[0]?.value ?? "", secret: SECRET, salt: name });
      expect(opened?.jti).not.toBe(before?.jti);
      expect(opened?.exp).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + MAX_AGE - 5);
    }
  });

  it("renews nothing it cannot open: expired, forged, another secret, or no cookie", async () => {
    const name = sessionCookieName(false);
    const now = later(RENEW_AFTER + 1);
    const expired = await seal(CLAIMS, false, 10);
    const valid = await seal(CLAIMS);
    const forged = `${valid.slice(0, -2)}${valid.endsWith("AA") ? "BB" : "AA"}`;
    const foreign = await encode({ token: CLAIMS, secret: `${SECRET}-other`, salt: name });
    for (const value of [expired, forged, foreign, "junk\u0000", ""]) {
      expect(await renewal().renew([{ name, value }], later(RENEW_AFTER + 60))).toBeNull();
    }
    expect(await renewal().renew([], now)).toBeNull();
    // The http:// cookie is not the __Secure- one (its key differs too).
    expect(await renewal(true).renew([{ name, value: valid }], now)).toBeNull();
  });

  it("writes a long token in Auth.js's chunks and drops the whole cookie it replaces", async () => {
    const name = sessionCookieName(false);
    const long = { ...CLAIMS, name: "n".repeat(6_000) };
    const held = [{ name, value: await seal(long) }];
    const written = (await renewal().renew(held, later(RENEW_AFTER + 1))) ?? [];
    const parts = written.filter((cookie) => cookie.value !== "");
    expect(parts.map((cookie) => cookie.name)).toEqual([`${name}.0`, `${name}.1`, `${name}.2`]);
    for (const part of parts) expect(part.value.length).toBeLessThanOrEqual(4096 - 160);
    const dropped = written.filter((cookie) => cookie.value === "");
    expect(dropped.map((cookie) => [cookie.name, cookie.options.expires.getTime()])).toEqual([
      [name, 0],
    ]);
    expect(await openedAfter(held, written)).toMatchObject(long);
  });

  it("drops stale chunks when a chunked token comes back short", async () => {
    const name = sessionCookieName(false);
    const value = await seal(CLAIMS);
    // Auth.js's chunks of a token that fits one cookie: only `.0`, plus a stale `.1`.
    const held = [
      { name: `${name}.0`, value },
      { name: `${name}.1`, value: "" },
    ];
    const written = (await renewal().renew(held, later(RENEW_AFTER + 1))) ?? [];
    expect(written.map((cookie) => [cookie.name, cookie.value === ""])).toEqual([
      [name, false],
      [`${name}.0`, true],
      [`${name}.1`, true],
    ]);
    expect(await openedAfter(held, written)).toMatchObject(CLAIMS);
  });
});
