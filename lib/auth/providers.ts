// The OAuth providers. Each is the real provider's protocol with its real endpoints; tests
// and `npm run dev`'s stand-ins change only the base URLs (AUTH_TEST_IDP_URL and
// AUTH_DEV_IDP_URL, both refused outside loopback and the latter outside development — see
// lib/env.ts): the same code signs in against the real providers and the local one.
//
// Every profile is validated with zod and reduced to the same shape, with the one fact the
// same-email policy depends on: whether the provider vouches for the email.
import { customFetch } from "next-auth";
import Google, { type GoogleProfile } from "next-auth/providers/google";
import type { OAuthConfig } from "next-auth/providers";
import { z } from "zod";
import { OAUTH_PROVIDER_NAME, OAUTH_PROVIDERS, type OAuthProviderId } from "@/lib/sign-in-methods";
import type { Settings } from "@/lib/env";
import { PROVIDER_VARIABLES, standInName } from "@/lib/stand-ins";

/** What every provider's profile() returns (Auth.js passes it to the signIn callback). */
export interface NormalizedProfile {
  id: string;
  name: string | null;
  email: string | null;
  image: string | null;
  /** True only when the provider proves the person controls `email`. */
  emailVerified: boolean;
  /** How the account page names this identity: the provider account's name or email. */
  label: string | null;
  /**
   * Telegram only: the person's Telegram user id (their private chat with the bot has the
   * same id) and whether they let the bot write to them (telegram:bot_access granted).
   */
  telegram?: TelegramGrant;
}

export interface TelegramGrant {
  userId: string;
  username: string | null;
  botAccess: boolean;
}

export interface ProviderEndpoints {
  google: { issuer: string };
  github: { web: string; api: string };
  stackoverflow: { web: string; api: string };
  telegram: { issuer: string };
}

export const realEndpoints: ProviderEndpoints = {
  google: { issuer: "https://accounts.google.com" },
  github: { web: "https://github.com", api: "https://api.github.com" },
  stackoverflow: { web: "https://stackoverflow.com", api: "https://api.stackexchange.com" },
  telegram: { issuer: "https://oauth.telegram.org" },
};

/** Every endpoint under one local base URL: the layout of scripts/dev-idp/index.ts. */
export function localEndpoints(base: string): ProviderEndpoints {
  return {
    google: { issuer: `${base}/google` },
    github: { web: `${base}/github`, api: `${base}/github/api` },
    stackoverflow: { web: `${base}/stackoverflow`, api: `${base}/stackexchange` },
    telegram: { issuer: `${base}/telegram` },
  };
}

/** A provider answered something we cannot use; the message is for the log only. */
export class ProviderResponseError extends Error {
  constructor(provider: OAuthProviderId, message: string, options?: ErrorOptions) {
    super(`${provider}: ${message}`, options);
    this.name = "ProviderResponseError";
  }
}

/** fetch with a deadline, so a hung provider turns into an error page, not a hung request. */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

async function readJson(provider: OAuthProviderId, response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ProviderResponseError(
      provider,
      `expected JSON from ${response.url}, got ${response.headers.get("content-type") ?? "no content type"} (HTTP ${response.status})`,
      { cause: error },
    );
  }
}

// ---------------------------------------------------------------------------------------
// Google (OpenID Connect). Auth.js validates the id_token; we read its claims.

const googleClaims = z.object({
  sub: z.string().min(1),
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  name: z.string().optional(),
  picture: z.string().optional(),
});

function google(
  settings: Settings["auth"],
  endpoints: ProviderEndpoints,
): OAuthConfig<GoogleProfile> | null {
  if (!settings.google) return null;
  const fetchImpl = fetchWithTimeout(settings.providerTimeoutMs);
  return Google({
    clientId: settings.google.clientId,
    clientSecret: settings.google.clientSecret,
    issuer: endpoints.google.issuer,
    checks: ["pkce", "state", "nonce"],
    [customFetch]: fetchImpl,
    profile(raw): NormalizedProfile {
      const claims = googleClaims.parse(raw);
      const verified = claims.email_verified === true && Boolean(claims.email);
      return {
        id: claims.sub,
        name: claims.name ?? null,
        email: claims.email ?? null,
        image: claims.picture ?? null,
        emailVerified: verified,
        label: claims.email ?? claims.name ?? null,
      };
    },
  });
}

// ---------------------------------------------------------------------------------------
// GitHub (OAuth 2). The profile's public email is not proof of anything; the email comes
// from /user/emails, and only the primary one that GitHub marks verified.

const githubUser = z.object({
  id: z.number().int(),
  login: z.string().min(1),
  name: z.string().nullish(),
  avatar_url: z.string().nullish(),
});
const githubEmails = z.array(
  z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }),
);
const githubProfile = githubUser.extend({ verified_primary_email: z.string().nullable() });
type GitHubProfile = z.infer<typeof githubProfile>;

function github(
  settings: Settings["auth"],
  endpoints: ProviderEndpoints,
): OAuthConfig<GitHubProfile> | null {
  if (!settings.github) return null;
  const fetchImpl = fetchWithTimeout(settings.providerTimeoutMs);
  const { web, api } = endpoints.github;
  return {
    id: "github",
    name: OAUTH_PROVIDER_NAME.github,
    type: "oauth",
    clientId: settings.github.clientId,
    clientSecret: settings.github.clientSecret,
    authorization: {
      url: `${web}/login/oauth/authorize`,
      params: { scope: "read:user user:email" },
    },
    token: `${web}/login/oauth/access_token`,
    checks: ["pkce", "state"],
    [customFetch]: fetchImpl,
    userinfo: {
      url: `${api}/user`,
      async request({ tokens }: { tokens: { access_token?: string } }): Promise<GitHubProfile> {
        const headers = {
          Authorization: `Bearer ${tokens.access_token ?? ""}`,
          Accept: "application/vnd.github+json",
          "User-Agent": "Gatehouse",
        };
        const [userResponse, emailsResponse] = await Promise.all([
          fetchImpl(`${api}/user`, { headers }),
          fetchImpl(`${api}/user/emails`, { headers }),
        ]);
        if (!userResponse.ok) {
          throw new ProviderResponseError("github", `/user answered HTTP ${userResponse.status}`);
        }
        const user = githubUser.parse(await readJson("github", userResponse));
        // Without the emails scope (or on an error) the identity simply carries no email.
        const emails = emailsResponse.ok
          ? (githubEmails.safeParse(await readJson("github", emailsResponse)).data ?? [])
          : [];
        const primary = emails.find((e) => e.primary && e.verified);
        return { ...user, verified_primary_email: primary?.email ?? null };
      },
    },
    profile(raw): NormalizedProfile {
      const profile = githubProfile.parse(raw);
      return {
        id: String(profile.id),
        name: profile.name ?? profile.login,
        email: profile.verified_primary_email,
        image: profile.avatar_url ?? null,
        emailVerified: profile.verified_primary_email !== null,
        label: profile.login,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------
// Stack Overflow (Stack Exchange OAuth 2 — not OIDC, no email).
//
// - The token comes from /oauth/access_token/json (the plain endpoint answers form-encoded
//   text) and has no token_type, which oauth4webapi requires: conform() adds "bearer".
// - Its errors come in several shapes (JSON with `error` or `error_message`, form-encoded,
//   an HTML page). conform() turns every one into a standard OAuth error answer, so Auth.js
//   fails the sign-in cleanly instead of crashing on an unexpected body.
// - /2.3/me takes the token in an Authorization: Bearer header (query-string tokens are
//   rejected since mid-2026) and the app key in the query string.

const stackToken = z.object({
  access_token: z.string().min(1),
  expires: z.coerce.number().int().positive().optional(),
});
const stackMe = z.object({
  items: z
    .array(
      z.object({
        user_id: z.number().int(),
        display_name: z.string(),
        profile_image: z.string().optional(),
        link: z.string().optional(),
      }),
    )
    .min(1, "no user in the answer"),
});
type StackOverflowProfile = z.infer<typeof stackMe>["items"][number];

/** Stack Exchange's API HTML-escapes text fields ("O&#39;Brien"); store what a person typed. */
export function decodeHtmlEntities(text: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith("#x") || body.startsWith("#X")) {
      return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    }
    if (body.startsWith("#")) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    return named[body.toLowerCase()] ?? entity;
  });
}

function oauthError(description: string): Response {
  return Response.json({ error: "invalid_grant", error_description: description }, { status: 400 });
}

/** Normalizes Stack Exchange's token answer into what oauth4webapi expects. */
export async function conformStackOverflowToken(response: Response): Promise<Response> {
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  let body: unknown = null;
  if (type.includes("json")) {
    try {
      body = JSON.parse(text);
    } catch {
      return oauthError(`unparseable JSON from the token endpoint (HTTP ${response.status})`);
    }
  } else if (type.includes("x-www-form-urlencoded") || /^[\w.-]+=/.test(text)) {
    body = Object.fromEntries(new URLSearchParams(text));
  } else {
    return oauthError(
      `the token endpoint answered ${type || "no content type"} (HTTP ${response.status})`,
    );
  }
  const token = stackToken.safeParse(body);
  if (response.ok && token.success) {
    return Response.json({
      access_token: token.data.access_token,
      token_type: "bearer",
      ...(token.data.expires ? { expires_in: token.data.expires } : {}),
    });
  }
  const record = (body ?? {}) as Record<string, unknown>;
  const nested = record.error as Record<string, unknown> | undefined;
  const description = [
    record.error_message,
    record.error_description,
    typeof record.error === "string" ? record.error : undefined,
    nested?.message,
  ].find((value): value is string => typeof value === "string");
  return oauthError(description ?? `token endpoint answered HTTP ${response.status}`);
}

function stackOverflow(
  settings: Settings["auth"],
  endpoints: ProviderEndpoints,
): OAuthConfig<StackOverflowProfile> | null {
  if (!settings.stackOverflow) return null;
  const { key } = settings.stackOverflow;
  const fetchImpl = fetchWithTimeout(settings.providerTimeoutMs);
  const { web, api } = endpoints.stackoverflow;
  return {
    id: "stackoverflow",
    name: OAUTH_PROVIDER_NAME.stackoverflow,
    type: "oauth",
    clientId: settings.stackOverflow.clientId,
    clientSecret: settings.stackOverflow.clientSecret,
    // Stack Exchange reads client_id and client_secret from the form body.
    client: { token_endpoint_auth_method: "client_secret_post" },
    authorization: { url: `${web}/oauth`, params: { scope: "" } },
    token: { url: `${web}/oauth/access_token/json`, conform: conformStackOverflowToken },
    checks: ["pkce", "state"],
    [customFetch]: fetchImpl,
    userinfo: {
      url: `${api}/2.3/me`,
      async request({
        tokens,
      }: {
        tokens: { access_token?: string };
      }): Promise<StackOverflowProfile> {
        const url = new URL(`${api}/2.3/me`);
        url.searchParams.set("site", "stackoverflow");
        url.searchParams.set("key", key);
        const response = await fetchImpl(url, {
          headers: {
            Authorization: `Bearer ${tokens.access_token ?? ""}`,
            Accept: "application/json",
          },
        });
        const body = await readJson("stackoverflow", response);
        if (!response.ok) {
          const message = (body as { error_message?: unknown } | null)?.error_message;
          throw new ProviderResponseError(
            "stackoverflow",
            `/2.3/me answered HTTP ${response.status}: ${typeof message === "string" ? message : "no message"}`,
          );
        }
        const parsed = stackMe.safeParse(body);
        if (!parsed.success) {
          throw new ProviderResponseError(
            "stackoverflow",
            `unexpected /2.3/me answer: ${parsed.error.message}`,
          );
        }
        return parsed.data.items[0]!;
      },
    },
    profile(raw): NormalizedProfile {
      const name = decodeHtmlEntities(raw.display_name);
      return {
        id: String(raw.user_id),
        name,
        email: null,
        image: raw.profile_image ?? null,
        emailVerified: false,
        label: name,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------
// Telegram (OpenID Connect: BotFather → Bot Settings → Web Login). There is no userinfo
// endpoint and never an email, so the identity is its own, like Stack Overflow's.
//
// - The endpoints are named, not discovered: Auth.js refuses a discovery document without a
//   userinfo_endpoint, and Telegram's has none. oauth4webapi then checks the id_token's
//   claims (iss = the issuer, aud = the bot id, exp, iat). Its signature is not checked: the
//   token comes straight from Telegram's token endpoint over TLS, in answer to our client
//   secret, which OpenID Connect accepts instead (Core 3.1.3.7, item 6) — as for Google.
// - The account id is the `id` claim, the Telegram user id the Bot API uses (a person's
//   private chat with the bot has the same id). `sub` is an opaque per-app subject: it would
//   do as an id, but could not connect the alerts chat.
// - `telegram:bot_access` asks to let the bot write to the person. The token answer's
//   `scope` says what was granted (the person can switch messages off on Telegram's screen);
//   an answer without `scope` granted what was asked (RFC 6749, 5.1).
// - The client authenticates with HTTP Basic (client_secret_basic), the only method
//   Telegram's discovery document lists.
// - state and PKCE (S256) bind the answer to this browser's attempt; no nonce, which
//   Telegram's documentation does not describe.

export const TELEGRAM_BOT_ACCESS_SCOPE = "telegram:bot_access";

const telegramClaims = z.object({
  sub: z.string().min(1),
  id: z.union([
    z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^[1-9]\d{0,19}$/),
  ]),
  name: z.string().max(256).optional(),
  given_name: z.string().max(256).optional(),
  family_name: z.string().max(256).optional(),
  preferred_username: z.string().max(64).optional(),
  picture: z.string().max(2048).optional(),
});
type TelegramClaims = z.infer<typeof telegramClaims>;

/** Whether the token answer's `scope` grants the bot's messages (absent: what was asked). */
export function grantsBotAccess(scope: unknown): boolean {
  if (typeof scope !== "string") return true;
  return scope.split(/\s+/).includes(TELEGRAM_BOT_ACCESS_SCOPE);
}

/** The text trimmed, or null when nothing is left. */
function nonBlank(text: string | undefined): string | null {
  const trimmed = text?.trim() ?? "";
  return trimmed === "" ? null : trimmed;
}

export function telegramProfile(raw: unknown, scope: unknown): NormalizedProfile {
  const parsed = telegramClaims.safeParse(raw);
  if (!parsed.success) {
    throw new ProviderResponseError(
      "telegram",
      `unexpected id_token claims: ${parsed.error.message}`,
    );
  }
  const claims = parsed.data;
  const username = nonBlank(claims.preferred_username);
  const name =
    nonBlank(claims.name) ??
    nonBlank([claims.given_name, claims.family_name].filter(Boolean).join(" ")) ??
    username;
  return {
    id: String(claims.id),
    name,
    email: null,
    image: claims.picture ?? null,
    emailVerified: false,
    label: username ? `@${username}` : name,
    telegram: { userId: String(claims.id), username, botAccess: grantsBotAccess(scope) },
  };
}

function telegram(
  settings: Settings["auth"],
  endpoints: ProviderEndpoints,
): OAuthConfig<TelegramClaims> | null {
  if (!settings.telegram) return null;
  return {
    id: "telegram",
    name: OAUTH_PROVIDER_NAME.telegram,
    type: "oidc",
    issuer: endpoints.telegram.issuer,
    clientId: settings.telegram.clientId,
    clientSecret: settings.telegram.clientSecret,
    client: { token_endpoint_auth_method: "client_secret_basic" },
    authorization: {
      url: `${endpoints.telegram.issuer}/auth`,
      params: { scope: `openid profile ${TELEGRAM_BOT_ACCESS_SCOPE}` },
    },
    token: `${endpoints.telegram.issuer}/token`,
    checks: ["pkce", "state"],
    [customFetch]: fetchWithTimeout(settings.providerTimeoutMs),
    profile(raw, tokens): NormalizedProfile {
      return telegramProfile(raw, tokens.scope);
    },
  };
}

export function oauthProviders(settings: Settings["auth"]) {
  const endpoints = settings.localIdpUrl ? localEndpoints(settings.localIdpUrl) : realEndpoints;
  return [
    google(settings, endpoints),
    github(settings, endpoints),
    stackOverflow(settings, endpoints),
    telegram(settings, endpoints),
  ].filter((provider) => provider !== null);
}

/**
 * What the sign-in and account pages show: the configured providers, in a stable order.
 * Development stand-ins say so in their name ("Google (dev stand-in)").
 */
export function configuredProviders(
  settings: Settings["auth"],
): { id: OAuthProviderId; name: string }[] {
  const enabled: Record<OAuthProviderId, boolean> = {
    google: settings.google !== null,
    github: settings.github !== null,
    stackoverflow: settings.stackOverflow !== null,
    telegram: settings.telegram !== null,
  };
  return OAUTH_PROVIDERS.filter((p) => enabled[p.id]).map(({ id, name }) => ({
    id,
    name: settings.standIns ? standInName(name) : name,
  }));
}

/**
 * Origins a sign-in form's redirect chain passes through on its way to a provider: CSP's
 * `form-action` applies to every redirect after a form submission in Chrome, so each one
 * must be listed or the OAuth flow stops at the first hop. Only configured providers.
 */
export function authorizationOrigins(settings: Settings["auth"]): string[] {
  if (settings.localIdpUrl) return [new URL(settings.localIdpUrl).origin];
  const origins: string[] = [];
  if (settings.google) origins.push(new URL(realEndpoints.google.issuer).origin);
  if (settings.github) origins.push(new URL(realEndpoints.github.web).origin);
  // Stack Exchange's OAuth dialog may hop to the network's own login host.
  if (settings.stackOverflow) {
    origins.push(new URL(realEndpoints.stackoverflow.web).origin, "https://stackexchange.com");
  }
  if (settings.telegram) origins.push(new URL(realEndpoints.telegram.issuer).origin);
  return origins;
}

export interface ProviderSetupNote {
  /** The provider buttons are `npm run dev`'s stand-ins (scripts/dev.ts). */
  standIns: boolean;
  /** Each provider without its real app, with the variables that turn it on. */
  missing: { id: OAuthProviderId; name: string; variables: readonly string[] }[];
}

/**
 * Development only: what the home, sign-in and sign-up pages tell the developer about the
 * providers (stand-ins, or none, and which variables turn on the real ones). Null in
 * production and tests, and once every real provider is configured.
 */
export function providerSetupNote(settings: Settings): ProviderSetupNote | null {
  if (settings.nodeEnv !== "development") return null;
  const { auth } = settings;
  const real = new Set(auth.standIns ? [] : configuredProviders(auth).map((p) => p.id));
  const missing = OAUTH_PROVIDERS.filter((p) => !real.has(p.id)).map(({ id, name }) => ({
    id,
    name,
    variables: PROVIDER_VARIABLES[id],
  }));
  return missing.length === 0 ? null : { standIns: auth.standIns, missing };
}
