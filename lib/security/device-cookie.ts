// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser
// that signed in to an account carries a signed cookie saying so, and its password attempts
// on that account get their own small budget (password-guard.ts) instead of the account-wide
// limit a stranger can use up. Guessing on an account then never locks its owner out of the
// browsers they have used it from.
//
// One cookie per account, so a browser can be a known device for several accounts:
//
//   name:  gatehouse-device-<tag>          (`__Host-gatehouse-device-<tag>` on https)
//   value: 1.<nonce>.<issuedAt>.<signature>
//
// - tag: HMAC-SHA256(name key, normalized email), 16 bytes, base64url. OWASP's cookie holds
//   the login in clear; this one names the account only through keyed hashes, because
//   cookies end up in logs, proxies and bug reports. A plain hash would not do: emails are
//   easy to guess and hash.
// - nonce: 16 random bytes, base64url: the device's identity, which keys its budget.
// - issuedAt: seconds since the epoch, so the server enforces the maximum age itself (a
//   copied cookie does not live forever because a client ignores Max-Age).
// - signature: HMAC-SHA256(signing key, version, normalized email, nonce, issuedAt),
//   base64url, compared in constant time. The email is in the MAC, not in the cookie: a
//   cookie for one account is worthless for another, even renamed.
//
// Both keys are derived from AUTH_SECRET with HKDF-SHA256, each with its own info string,
// so the secret itself never keys anything here and the two uses cannot be confused with
// each other or with Auth.js's own keys. Rotating AUTH_SECRET forgets every device.
//
// Attributes: HttpOnly (no script needs it), SameSite=Lax, Path=/, Secure and the __Host-
// prefix when the app is served over https (the prefix requires Secure, Path=/ and no
// Domain, so no subdomain can plant one), Max-Age from DEVICE_COOKIE_MAX_AGE_DAYS.
//
// There is no server-side list of devices, so a device cookie cannot be revoked before it
// expires; what a stolen one is worth is its budget (RATE_LIMIT_SIGN_IN_DEVICE), for one
// account, and only for guessing: it signs nobody in.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

import { normalizeEmail } from "@/lib/email";

const VERSION = "1";
const NAME_INFO = "gatehouse device cookie v1: name";
const SIGNATURE_INFO = "gatehouse device cookie v1: signature";
const NAME_PREFIX = "gatehouse-device-";
const SECURE_NAME_PREFIX = `__Host-${NAME_PREFIX}`;
/** Longer values are refused before any work (a real one has 80 characters). */
export const DEVICE_COOKIE_MAX_VALUE_LENGTH = 128;
/** A cookie issued this far in the future is still accepted: instances' clocks differ. */
const CLOCK_SKEW_SECONDS = 60;
const VALUE_PATTERN = /^1\.([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export interface DeviceCookieSettings {
  /** AUTH_SECRET; the keys are derived from it. */
  secret: string;
  maxAgeSeconds: number;
  /** The app is served over https: Secure and the __Host- prefix. */
  secure: boolean;
  /** Clock in ms. */
  now?: () => number;
}

export interface DeviceCookieOptions {
  httpOnly: true;
  secure: boolean;
  sameSite: "lax";
  path: "/";
  maxAge: number;
}

export interface DeviceCookie {
  name: string;
  value: string;
  options: DeviceCookieOptions;
}

export interface DeviceCookies {
  /** The name of `account`'s cookie (the same for every spelling of the email). */
  nameFor(account: string): string;
  /** A cookie for `account` with `nonce` (a new device when omitted), issued now. */
  issue(account: string, nonce?: string): DeviceCookie;
  /**
   * The device's nonce when `value` is a device cookie this server issued for `account`,
   * not older than the maximum age; null for anything else (absent, malformed, oversized,
   * tampered, for another account, under another secret, expired).
   */
  verify(account: string, value: string | undefined | null): string | null;
  /** As verify, with when the cookie was issued (renewed), in ms since the epoch. */
  inspect(
    account: string,
    value: string | undefined | null,
  ): { nonce: string; issuedAtMs: number } | null;
}

function deriveKey(secret: string, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "", info, 32));
}

export function createDeviceCookies(settings: DeviceCookieSettings): DeviceCookies {
  const { maxAgeSeconds, secure, now = Date.now } = settings;
  const nameKey = deriveKey(settings.secret, NAME_INFO);
  const signatureKey = deriveKey(settings.secret, SIGNATURE_INFO);
  const prefix = secure ? SECURE_NAME_PREFIX : NAME_PREFIX;

  const sign = (account: string, nonce: string, issuedAt: string) =>
    createHmac("sha256", signatureKey)
      // A JSON array keeps the fields apart whatever characters the email holds.
      .update(JSON.stringify([VERSION, normalizeEmail(account), nonce, issuedAt]), "utf8")
      .digest("base64url");

  const nameFor = (account: string) => {
    const tag = createHmac("sha256", nameKey)
      .update(normalizeEmail(account), "utf8")
      .digest()
      .subarray(0, 16)
      .toString("base64url");
    return `${prefix}${tag}`;
  };

  const inspect: DeviceCookies["inspect"] = (account, value) => {
    if (!value || value.length > DEVICE_COOKIE_MAX_VALUE_LENGTH) return null;
    const match = VALUE_PATTERN.exec(value);
    if (!match) return null;
    const [, nonce = "", issuedAt = "", signature = ""] = match;
    // Both are 43 ASCII characters (the pattern), as timingSafeEqual requires.
    const expected = Buffer.from(sign(account, nonce, issuedAt), "utf8");
    if (!timingSafeEqual(expected, Buffer.from(signature, "utf8"))) return null;
    const age = Math.floor(now() / 1_000) - Number(issuedAt);
    if (age < -CLOCK_SKEW_SECONDS || age >= maxAgeSeconds) return null;
    return { nonce, issuedAtMs: Number(issuedAt) * 1_000 };
  };

  return {
    nameFor,

    issue(account, nonce = randomBytes(16).toString("base64url")) {
      if (!/^[A-Za-z0-9_-]{22}$/.test(nonce)) throw new TypeError("not a device cookie nonce");
      const issuedAt = String(Math.floor(now() / 1_000));
      return {
        name: nameFor(account),
        value: `${VERSION}.${nonce}.${issuedAt}.${sign(account, nonce, issuedAt)}`,
        options: { httpOnly: true, secure, sameSite: "lax", path: "/", maxAge: maxAgeSeconds },
      };
    },

    verify(account, value) {
      return inspect(account, value)?.nonce ?? null;
    },

    inspect,
  };
}
