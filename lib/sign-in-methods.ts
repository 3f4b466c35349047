// The sign-in methods Gatehouse knows, in one place: ids, the names people read, and the
// order they are shown in. Everything that names a provider — the providers' setup
// (lib/auth/providers.ts), the account page's schemas, the error pages, the security activity, the
// provider marks — takes it from here, so adding a provider starts in this file and the
// compiler lists every other place that must learn about it (each keeps a
// Record<OAuthProviderId, …>).
//
// Plain data with no server imports: client components and shared zod schemas use it too.

/** The OAuth providers, in the order the sign-in and account pages list them. */
export const OAUTH_PROVIDERS = [
  { id: "google", name: "Google" },
  { id: "github", name: "GitHub" },
  { id: "stackoverflow", name: "Stack Overflow" },
  { id: "telegram", name: "Telegram" },
] as const;

export type OAuthProviderId = (typeof OAUTH_PROVIDERS)[number]["id"];

/** The ids as a non-empty tuple, for z.enum. */
export const OAUTH_PROVIDER_IDS = OAUTH_PROVIDERS.map((provider) => provider.id) as [
  OAuthProviderId,
  ...OAuthProviderId[],
];

/** Each OAuth provider's display name. */
export const OAUTH_PROVIDER_NAME = Object.fromEntries(
  OAUTH_PROVIDERS.map((provider) => [provider.id, provider.name]),
) as Record<OAuthProviderId, string>;

/** Sign-in methods that are not OAuth providers, as security events name them. */
/** The email + password method's id: Auth.js's Credentials provider id and the method
 *  recorded in security events. */
export const PASSWORD_PROVIDER_ID = "password";

/** The passkey method's id: the Credentials-style provider's id (lib/auth/passkeys) and
 *  the method recorded in security events. */
export const PASSKEY_PROVIDER_ID = "passkey";

const OTHER_METHODS = [
  { id: PASSWORD_PROVIDER_ID, name: "email and password" },
  // "Signed in with a passkey", "New sign-in to your account with a passkey."
  { id: PASSKEY_PROVIDER_ID, name: "a passkey" },
] as const;

// Maps, not object literals: "constructor" or "__proto__" must find nothing.
const PROVIDER_NAMES = new Map<string, string>(OAUTH_PROVIDERS.map((p) => [p.id, p.name]));
const METHOD_NAMES = new Map<string, string>(
  [...OAUTH_PROVIDERS, ...OTHER_METHODS].map((m) => [m.id, m.name]),
);

export function isOAuthProviderId(id: string | null | undefined): id is OAuthProviderId {
  return id != null && PROVIDER_NAMES.has(id);
}

/** A known OAuth provider's display name, or null (never echoes the input). */
export function providerDisplayName(id: string | null | undefined): string | null {
  return id == null ? null : (PROVIDER_NAMES.get(id) ?? null);
}

/**
 * Any sign-in method's name as people call it ("GitHub", "email and password"), or null for
 * one this catalogue does not know: callers then stay generic ("Signed in") instead of
 * showing an internal identifier.
 */
export function methodName(method: string | null | undefined): string | null {
  return METHOD_NAMES.get(method?.trim().toLowerCase() ?? "") ?? null;
}
