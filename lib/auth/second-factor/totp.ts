// The TOTP algorithm (RFC 6238), with the parameters every authenticator app understands:
// HMAC-SHA-1, 6 digits, a new code every 30 seconds. Apps such as Google Authenticator
// ignore any other algorithm, digit count or period in the otpauth:// URI and would show
// wrong codes, so these are fixed rather than settings.
//
// Why `otpauth`: the HOTP/TOTP arithmetic, base32 and the otpauth:// URI come from a small,
// maintained library with no install scripts and one dependency (@noble/hashes), and it
// compares codes with crypto.timingSafeEqual — no hand-written HOTP here. What it does not
// do, and this module does: pick the newest matching time step, so the caller can refuse a
// step already used (replay prevention lives in lib/auth/second-factor/authenticator.ts).
import { Secret, TOTP } from "otpauth";

const ALGORITHM = "SHA1";
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/**
 * Steps either side of now a code may come from: one step (30 s) of drift between the
 * phone's clock and the server's, and the seconds a person takes to type the code.
 */
export const TOTP_WINDOW_STEPS = 1;
/** 160 bits, the key length RFC 4226 recommends (and the size of an HMAC-SHA-1 block's output). */
const SECRET_BYTES = 20;

/** A new random key (from node:crypto's CSPRNG, through otpauth), in base32 for the app. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

function totp(secretBase32: string, issuer = "", label = "OTPAuth"): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secretBase32),
    algorithm: ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/**
 * The otpauth:// URI an app reads from the QR code: `issuer` is the site's name, shown
 * above the codes, `accountLabel` tells the person which of their accounts it is.
 */
export function totpUri(input: { secret: string; issuer: string; accountLabel: string }): string {
  return totp(input.secret, input.issuer, input.accountLabel).toString();
}

/** The TOTP time step `now` falls in: whole periods since the Unix epoch. */
export function totpStep(now: Date): number {
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: now.getTime() });
}

/**
 * A code as typed, reduced to its six digits: spaces are dropped (apps show "123 456"), and
 * anything else that is not exactly six ASCII digits is no code at all (null). Checking the
 * form first matters: crypto.timingSafeEqual throws on inputs of different byte lengths.
 */
export function normalizeTotpCode(input: unknown): string | null {
  if (typeof input !== "string" || input.length > 64) return null;
  const code = input.replace(/\s+/gu, "");
  return /^[0-9]{6}$/.test(code) ? code : null;
}

/**
 * The newest time step within the window around `now` whose code is `code`, or null when
 * none is. The newest, not the first found: if one code happened to be valid for two steps,
 * recording the older would let the same code in again at the newer one.
 */
export function matchingTotpStep(secretBase32: string, code: string, now: Date): number | null {
  const generator = totp(secretBase32);
  const current = totpStep(now);
  let newest: number | null = null;
  for (let step = current - TOTP_WINDOW_STEPS; step <= current + TOTP_WINDOW_STEPS; step++) {
    // window 0: exactly this step, compared by otpauth in constant time.
    const delta = generator.validate({
      token: code,
      timestamp: step * TOTP_PERIOD_SECONDS * 1_000,
      window: 0,
    });
    if (delta === 0) newest = step;
  }
  return newest;
}
