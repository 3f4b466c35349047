// Keeps a browser in daily use signed in: re-seals the session cookie with a fresh expiry
// once the touch interval has passed since it was sealed, from proxy.ts.
//
// Why here: Auth.js re-issues its cookie only where it answers (its routes, and auth() with
// a request), and pages read the session themselves (lib/auth/page-session.ts); a server
// component cannot set a cookie at all. Without this the cookie set at sign-in expired
// SESSION_MAX_AGE_DAYS later however active the browser was, while its Session row slid.
//
// What it does not do: decide whether the session is still good. A revoked, expired or
// deleted row is refused by the page's own check on this very request whatever the cookie
// says, so renewing that cookie gives nothing back; the proxy stays free of database calls.
// The claims are copied as they are (Auth.js's encode() sets new `iat`, `exp` and `jti`), so
// nothing the sign-in put in the token (its Session row, when the device last proved who it
// is) can be changed or extended here beyond the expiry.
import { encode } from "next-auth/jwt";

import {
  createSessionTokenReader,
  sessionCookieName,
  sessionTokenOf,
  type CookieValue,
} from "@/lib/auth/session-token";

// Auth.js's limits (@auth/core/lib/utils/cookie.ts): a cookie of at most 4096 bytes, ~160 of
// them for its name and attributes; a longer token is written as `<name>.0`, `<name>.1` ….
const CHUNK_SIZE = 4096 - 160;

export interface RenewedCookie {
  name: string;
  value: string;
  options: {
    httpOnly: true;
    sameSite: "lax";
    path: "/";
    secure: boolean;
    /** When the browser drops it; the epoch for the cookies it must drop now. */
    expires: Date;
  };
}

export interface SessionRenewal {
  /**
   * The cookies to send back when the request's session cookie is valid and older than the
   * touch interval: the new token (chunked like Auth.js when long) and empty ones for any
   * other part the browser still holds. Null when there is nothing to renew.
   */
  renew(cookies: readonly CookieValue[], now: Date): Promise<RenewedCookie[] | null>;
}

export function createSessionRenewal(input: {
  secret: string;
  secure: boolean;
  maxAgeSeconds: number;
  /** The touch interval: how often the Session row's expiry moves too. */
  renewAfterSeconds: number;
  /** Auth.js's encode(); replaceable in tests. */
  seal?: typeof encode;
}): SessionRenewal {
  const reader = createSessionTokenReader({ secret: input.secret, secure: input.secure });
  const name = sessionCookieName(input.secure);
  const seal = input.seal ?? encode;

  async function renew(cookies: readonly CookieValue[], now: Date) {
    const token = sessionTokenOf(cookies, name);
    if (!token) return null;
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const claims = reader.read(token, nowSeconds);
    // Unreadable (forged, expired, an older secret): the page signs it out; nothing to keep.
    if (!claims) return null;
    const { iat, exp: _exp, jti: _jti, ...kept } = claims;
    if (typeof iat === "number" && nowSeconds - iat < input.renewAfterSeconds) return null;
    const value = await seal({
      token: kept,
      secret: input.secret,
      salt: name,
      maxAge: input.maxAgeSeconds,
    });
    const options = {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      secure: input.secure,
      expires: new Date(now.getTime() + input.maxAgeSeconds * 1000),
    } as const;
    const written =
      value.length <= CHUNK_SIZE
        ? [{ name, value, options }]
        : Array.from({ length: Math.ceil(value.length / CHUNK_SIZE) }, (_, index) => ({
            name: `${name}.${index}`,
            value: value.slice(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE),
            options,
          }));
    // A part the browser holds and the new token does not overwrite would be joined to it
    // (sessionTokenOf, as Auth.js reads it) and make it unreadable: expire each one.
    const stale = cookies
      .filter((cookie) => cookie.name.startsWith(name))
      .filter((cookie) => !written.some((part) => part.name === cookie.name))
      .map((cookie) => ({
        name: cookie.name,
        value: "",
        options: { ...options, expires: new Date(0) },
      }));
    return [...written, ...stale];
  }

  return { renew };
}
