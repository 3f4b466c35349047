// Reads Auth.js's session cookie without Auth.js: for server components, where the session
// is read on every signed-in page (lib/auth/page-session.ts).
//
// Why not Auth.js's own decode: it derives the key (HKDF) on every call, and jose's build
// for the Web Crypto API turns each step (key import, AES, the HMAC and even its
// constant-time compare, which signs with a freshly generated key) into a promise on the
// thread pool. Profiled under load, that was ~1.5 ms of CPU per signed-in page
// (docs/performance.md). Here the key is derived once and the token is opened with
// node:crypto synchronously: microseconds.
//
// What it accepts is exactly what Auth.js v5's encode() writes (@auth/core/jwt): a compact
// JWE, `alg: "dir"`, `enc: "A256CBC-HS512"` (RFC 7518 §5.2.5), key = HKDF-SHA256(secret,
// salt = cookie name, info = "Auth.js Generated Encryption Key (<salt>)", 64 bytes), `kid` =
// the key's RFC 7638 thumbprint (SHA-512); claims checked as Auth.js's decode checks them
// (jose's jwtDecrypt, 15 s clock tolerance). Anything else (another algorithm, a `zip` or
// `crit` header, a wrong tag) is refused, as jose refuses it. tests/unit/session-token.test.ts
// opens tokens made by Auth.js's own encode() and checks each refusal.
import { createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

const ENC = "A256CBC-HS512";
const CLOCK_TOLERANCE_SECONDS = 15;
// RFC 7518 §5.2.5: a 64-byte key, the first half for HMAC-SHA-512, the second for AES-256;
// the tag is the first half of the HMAC; the IV is one AES block.
const KEY_BYTES = 64;
const TAG_BYTES = 32;
const IV_BYTES = 16;

/** The name Auth.js gives the session cookie (a `__Secure-` prefix over HTTPS). */
export function sessionCookieName(secure: boolean): string {
  return `${secure ? "__Secure-" : ""}authjs.session-token`;
}

export interface CookieValue {
  name: string;
  value: string;
}

/** Where a cookie goes in the token: the whole cookie first, then `.0`, `.1` …, then others. */
function partOrder(suffix: string): number {
  if (suffix === "") return -1;
  const chunk = /^\.(\d{1,4})$/.exec(suffix);
  return chunk ? Number(chunk[1]) : Number.MAX_SAFE_INTEGER;
}

/**
 * The session token in a request's cookies, read as Auth.js reads it: it splits a token
 * longer than a cookie may be into `<name>.0`, `<name>.1` … and joins, in the order of their
 * numbers, every non-empty cookie whose name starts with the session cookie's. So a whole
 * cookie next to stale chunks is one unreadable token here too (signed out, as in a route
 * handler), never a session that pages accept and Auth.js refuses.
 */
export function sessionTokenOf(cookies: readonly CookieValue[], name: string): string | null {
  const parts = cookies
    .filter((cookie) => cookie.name.startsWith(name) && cookie.value !== "")
    .map((cookie) => ({ value: cookie.value, order: partOrder(cookie.name.slice(name.length)) }))
    .sort((a, b) => a.order - b.order);
  return parts.length === 0 ? null : parts.map((part) => part.value).join("");
}

export interface SessionTokenReader {
  readonly cookieName: string;
  /** The token's claims, or null when it is not one this app sealed, or has expired. */
  read(token: string, nowSeconds: number): Record<string, unknown> | null;
}

function base64url(text: string): Buffer | null {
  // Buffer.from ignores characters outside the alphabet; a token must not carry any.
  return /^[A-Za-z0-9_-]*$/.test(text) ? Buffer.from(text, "base64url") : null;
}

function jsonObject(bytes: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** jose's jwtDecrypt claim checks, as Auth.js calls it (no issuer, audience or max age). */
function claimsValid(claims: Record<string, unknown>, nowSeconds: number): boolean {
  for (const name of ["exp", "nbf", "iat"] as const) {
    if (claims[name] !== undefined && typeof claims[name] !== "number") return false;
  }
  const { exp, nbf } = claims as { exp?: number; nbf?: number };
  if (exp !== undefined && exp <= nowSeconds - CLOCK_TOLERANCE_SECONDS) return false;
  if (nbf !== undefined && nbf > nowSeconds + CLOCK_TOLERANCE_SECONDS) return false;
  return true;
}

export function createSessionTokenReader(input: {
  secret: string;
  secure: boolean;
}): SessionTokenReader {
  const cookieName = sessionCookieName(input.secure);
  // The salt is the cookie name, so a token from the http:// cookie does not open as the
  // __Secure- one.
  const key = Buffer.from(
    hkdfSync(
      "sha256",
      input.secret,
      cookieName,
      `Auth.js Generated Encryption Key (${cookieName})`,
      KEY_BYTES,
    ),
  );
  const macKey = key.subarray(0, KEY_BYTES / 2);
  const encKey = key.subarray(KEY_BYTES / 2);
  // RFC 7638: the JWK's required members in lexicographic order, no whitespace.
  const kid = createHash("sha512")
    .update(JSON.stringify({ k: key.toString("base64url"), kty: "oct" }))
    .digest("base64url");

  function read(token: string, nowSeconds: number): Record<string, unknown> | null {
    const parts = token.split(".");
    if (parts.length !== 5) return null;
    const [headerText = "", encryptedKey, ivText = "", ciphertextText = "", tagText = ""] = parts;
    // "dir": the key is the shared one, so the encrypted key is empty.
    if (encryptedKey !== "") return null;
    const headerBytes = base64url(headerText);
    const header = headerBytes ? jsonObject(headerBytes) : null;
    if (header?.alg !== "dir" || header.enc !== ENC) return null;
    // jose supports no compression and no critical extensions here; neither does this.
    if (header.zip !== undefined || header.crit !== undefined) return null;
    if (header.kid !== undefined && header.kid !== kid) return null;
    const iv = base64url(ivText);
    const ciphertext = base64url(ciphertextText);
    const tag = base64url(tagText);
    if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || !ciphertext) return null;
    // The tag first, in constant time; nothing is decrypted before it matches.
    const aad = Buffer.from(headerText, "ascii");
    const aadBits = Buffer.alloc(8);
    aadBits.writeBigUInt64BE(BigInt(aad.length * 8));
    const expected = createHmac("sha512", macKey)
      .update(aad)
      .update(iv)
      .update(ciphertext)
      .update(aadBits)
      .digest()
      .subarray(0, TAG_BYTES);
    if (!timingSafeEqual(expected, tag)) return null;
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv("aes-256-cbc", encKey, iv);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      return null; // bad padding: cannot happen with a valid tag, but never throw on input
    }
    const claims = jsonObject(plaintext);
    return claims && claimsValid(claims, nowSeconds) ? claims : null;
  }

  return { cookieName, read };
}
