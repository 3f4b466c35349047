// What the passkey sign-in provider and the actions around it share: the relying party
// (built when asked, from APP_URL only) and the cookie that binds a ceremony to the browser
// that started it (docs/passkeys.md, "Ceremonies and their challenges").
//
// Plain functions with no Next imports: the provider, the actions and the pages use them.
import { z } from "zod";

import {
  relyingParty,
  relyingPartyProblem,
  type RelyingParty,
} from "@/lib/auth/passkeys/relying-party";
import type { CookieJar } from "@/lib/auth/dependencies";

/** Shown by the browser and the password manager next to the passkey. */
export const PASSKEY_RP_NAME = "Gatehouse";

/**
 * The relying party for APP_URL, or null where browsers refuse passkeys (an IP address,
 * plain http off localhost). Built on demand, never at start-up: such an APP_URL is a
 * valid deployment without passkeys, so the pages leave the button out instead of the
 * server refusing to start.
 */
export function passkeyRelyingParty(appUrl: string): RelyingParty | null {
  if (relyingPartyProblem(appUrl) !== null) return null;
  return relyingParty(appUrl, PASSKEY_RP_NAME);
}

/** The two ceremonies, each with its own cookie: adding one never ends a sign-in's. */
export type PasskeyCeremony = "sign-in" | "register";

/**
 * The cookie holding a ceremony's challenge id. `__Host-` over HTTPS, like the pending
 * sign-in's: only this exact host sets or reads it, never a subdomain or a plain-HTTP page.
 */
export function passkeyChallengeCookieName(ceremony: PasskeyCeremony, secure: boolean): string {
  const name = `gatehouse.passkey-${ceremony}`;
  return secure ? `__Host-${name}` : name;
}

type Jar = () => Promise<Pick<CookieJar, "set">>;

/** Keeps a started ceremony's challenge id for this browser, for the ceremony's lifetime. */
export async function setPasskeyChallengeCookie(
  cookies: Jar,
  input: { ceremony: PasskeyCeremony; secure: boolean; challengeId: string; ttlSeconds: number },
): Promise<void> {
  (await cookies()).set(
    passkeyChallengeCookieName(input.ceremony, input.secure),
    input.challengeId,
    {
      httpOnly: true,
      secure: input.secure,
      // Lax is enough: the ceremony's both halves are same-site POSTs from our own pages.
      sameSite: "lax",
      path: "/",
      maxAge: input.ttlSeconds,
    },
  );
}

/** This browser's challenge id for `ceremony`, if it holds one. */
export async function passkeyChallengeId(
  cookies: () => Promise<Pick<CookieJar, "get">>,
  ceremony: PasskeyCeremony,
  secure: boolean,
): Promise<string | null> {
  return (await cookies()).get(passkeyChallengeCookieName(ceremony, secure))?.value ?? null;
}

/** Drops the cookie: the challenge is used up by any attempt to finish, whatever the outcome. */
export async function clearPasskeyChallengeCookie(
  cookies: Jar,
  ceremony: PasskeyCeremony,
  secure: boolean,
): Promise<void> {
  (await cookies()).set(passkeyChallengeCookieName(ceremony, secure), "", {
    httpOnly: true,
    secure,
    sameSite: "lax",
    path: "/",
    maxAge: 0,
  });
}

/**
 * The largest WebAuthn response JSON accepted, in characters: far above what any
 * authenticator sends (the response schemas bound each field; a "none" attestation is a
 * few hundred bytes), and small enough that parsing it costs nothing.
 */
export const PASSKEY_RESPONSE_MAX_LENGTH = 64 * 1024;

/** The browser's response as posted (a JSON string), parsed when it is small and JSON. */
export function parsePasskeyResponse(raw: unknown): unknown {
  if (typeof raw !== "string" || raw.length > PASSKEY_RESPONSE_MAX_LENGTH) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The browser's answer to either ceremony (what startAuthentication() or
 * startRegistration() resolved to), as the actions take it, as JSON of bounded size:
 * its shape is checked by the services, after the challenge is used up.
 */
export const passkeyResponseSchema = z
  .custom<object>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    "Not a passkey response.",
  )
  .transform((value) => JSON.stringify(value))
  .pipe(z.string().max(PASSKEY_RESPONSE_MAX_LENGTH, "Not a passkey response."));
