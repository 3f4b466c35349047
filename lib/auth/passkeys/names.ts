// A passkey's name: the label a person gives it ("Work laptop", "YubiKey 5"), shown back to
// them in the account page's list. Never in alerts or the event log: whoever adds a passkey
// chooses it, and a thief's words should not reach the owner's Telegram chat.
import { describeDevice, UNKNOWN_DEVICE } from "@/lib/security/presenter";

/**
 * Longest name, in characters (code points). Fixed rather than a setting: the database
 * refuses longer ones (passkeys_name_format), and a setting above it would turn names into
 * errors.
 */
export const PASSKEY_NAME_MAX_LENGTH = 64;

// Bidirectional overrides and isolates could make a name display as something else
// ("‮yek" read backwards); control characters have no place on one line.
const FORBIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

export type PasskeyNameResult = { ok: true; name: string } | { ok: false };

/**
 * A typed name in the form it is stored: NFC, trimmed, runs of white space made one space.
 * Not a name: anything that is not a string, empty once trimmed, longer than
 * PASSKEY_NAME_MAX_LENGTH, or with control or bidirectional-override characters.
 */
export function normalizePasskeyName(input: unknown): PasskeyNameResult {
  // The bound keeps the normalization below cheap on a hostile megabyte.
  if (typeof input !== "string" || input.length > PASSKEY_NAME_MAX_LENGTH * 8) {
    return { ok: false };
  }
  const name = input.normalize("NFC").replace(/\s+/gu, " ").trim();
  if (name === "" || FORBIDDEN.test(name)) return { ok: false };
  if ([...name].length > PASSKEY_NAME_MAX_LENGTH) return { ok: false };
  return { ok: true, name };
}

/**
 * The name a new passkey gets when the person typed none: where it was made and when —
 * "Chrome on macOS, 2 Dec 2026", or "Passkey, 2 Dec 2026" when the browser is not one we
 * know. (The authenticator's own name would need an AAGUID directory; see docs/passkeys.md.)
 */
export function defaultPasskeyName(now: Date, userAgent?: string | null): string {
  const date = now.toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  const device = describeDevice(userAgent);
  // describeDevice says "a browser on Linux" mid-sentence; a label starts with a capital.
  const where =
    device === UNKNOWN_DEVICE ? "Passkey" : device.charAt(0).toUpperCase() + device.slice(1);
  return `${where}, ${date}`;
}
