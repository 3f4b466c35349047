// Telegram's web login as an OpenID Connect provider (BotFather → Bot Settings → Web Login:
// the client id is the bot's numeric id): discovery, JWKS, authorize, token. The issuer is
// `<fake>/telegram`, standing for https://oauth.telegram.org, with the real paths below it
// (/.well-known/openid-configuration, /auth, /token, /.well-known/jwks.json).
//
// Telegram's behaviour reproduced here:
// - no userinfo endpoint: discovery names none, and the claims come only in the id_token;
// - Authorization Code with PKCE, and PKCE is required (S256); the scope must hold `openid`;
// - the client authenticates with HTTP Basic only (client_secret_basic): a secret in the
//   form body is refused with 401 invalid_client, as a strict server does;
// - the id_token is RS256, with `id` — the Telegram user id, the one the Bot API uses and the
//   id of the person's private chat with the bot — beside `sub`, which is opaque and per app
//   (two client ids get two subjects for one person); `preferred_username` and `picture` only
//   when the person has them; `phone_number` only with the `phone` scope; never an email;
// - with `telegram:bot_access` requested, the consent page has an "Allow <bot> to send you
//   messages" box, checked at first; unchecked, the grant and the token answer's `scope`
//   leave that scope out;
// - token errors are `{error, error_description}` JSON: 401 for client authentication,
//   400 for the code, redirect_uri and verifier.
// Stricter than Telegram is known to be, to pin down what Gatehouse sends: a scope Telegram
// does not offer (`email`, say) is refused on the authorize request.
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { JWTPayload } from "jose";
import { handleAuthorize, handleConsent, parseScopes, type AuthorizeProfile } from "./authorize";
import { GrantStore, type Grant } from "./grants";
import {
  clientCredentials,
  pkceMatches,
  randomToken,
  sameClient,
  sendHtml,
  sendJson,
  type ParsedRequest,
} from "./http";
import type { ModuleContext, ProviderModule } from "./module";
import { createSigningKey } from "./signing";
import { telegramStandIn } from "./stand-in";
import type { TelegramIdentity } from "./types";

const ACCESS_TOKEN_LIFETIME_S = 3600;
const ID_TOKEN_LIFETIME_S = 3600;

/** The scope that lets the bot write to the person first. */
export const BOT_ACCESS_SCOPE = "telegram:bot_access";
const SCOPES = ["openid", "profile", "phone", BOT_ACCESS_SCOPE];

/**
 * Telegram's `sub` for one person at one app: opaque, stable for a client id, different for
 * another. Derived rather than random so the stand-in signs a person in to the same account
 * after `npm run dev` restarts.
 */
export function telegramSubject(clientId: string, telegramId: number): string {
  return createHash("sha256")
    .update(`fake-telegram-sub\0${clientId}\0${telegramId}`)
    .digest("base64url");
}

export async function createTelegram(context: ModuleContext<"telegram">): Promise<ProviderModule> {
  const base = `${context.baseUrl}/telegram`;
  const issuer = base;
  const client = context.client;
  const store = new GrantStore<TelegramIdentity>(context.now);
  const signingKey = await createSigningKey();
  const botName = client?.botName ?? context.appName;

  const discovery = {
    issuer,
    authorization_endpoint: `${base}/auth`,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code"],
    // `sub` differs from app to app for one person.
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    scopes_supported: SCOPES,
    token_endpoint_auth_methods_supported: ["client_secret_basic"],
    claims_supported: [
      "aud",
      "exp",
      "iat",
      "id",
      "iss",
      "name",
      "nonce",
      "phone_number",
      "picture",
      "preferred_username",
      "sub",
    ],
    code_challenge_methods_supported: ["S256"],
  };

  const profile: AuthorizeProfile<TelegramIdentity> = {
    provider: "telegram",
    displayName: "Telegram",
    appName: context.appName,
    client,
    store,
    consentPath: "/telegram/consent",
    currentIdentity: context.currentIdentity,
    standIn: context.standIn ? telegramStandIn : undefined,
    describe: (identity) => [
      ["Name", identity.name],
      [
        "Username",
        identity.preferred_username === undefined ? "(none)" : `@${identity.preferred_username}`,
      ],
      ["Telegram ID", String(identity.id)],
      ...(identity.phone_number === undefined
        ? []
        : [["Phone", identity.phone_number] as [string, string]]),
    ],
    requireScope: true,
    checkRequest(query) {
      const scopes = parseScopes(query.scope);
      if (!scopes.includes("openid")) {
        return `invalid_scope: the scope must include "openid" (got "${query.scope ?? ""}").`;
      }
      const unknown = scopes.filter((scope) => !SCOPES.includes(scope));
      if (unknown.length) {
        return `invalid_scope: Telegram offers ${SCOPES.join(", ")}; not ${unknown.join(", ")}.`;
      }
      if (query.code_challenge === undefined) {
        return "invalid_request: code_challenge is required (PKCE with S256).";
      }
      return null;
    },
    consentOptions: [
      {
        scope: BOT_ACCESS_SCOPE,
        name: "allow_messages",
        label: `Allow ${botName} to send you messages`,
        hint: `Unchecked, ${botName} cannot write to you first (no ${BOT_ACCESS_SCOPE}).`,
      },
    ],
    newCode: () => randomToken(32),
    approvedParams: (grant, code) => ({ code, state: grant.state }),
    deniedParams: (grant) => ({ error: "access_denied", state: grant.state }),
  };

  async function idToken(grant: Grant<TelegramIdentity>): Promise<string> {
    const { identity, scopes } = grant;
    const now = Math.floor(context.now() / 1000);
    const claims: JWTPayload = {
      iss: issuer,
      aud: grant.clientId,
      sub: telegramSubject(grant.clientId, identity.id),
      id: identity.id,
      name: identity.name,
      ...(identity.preferred_username === undefined
        ? {}
        : { preferred_username: identity.preferred_username }),
      ...(identity.picture === undefined ? {} : { picture: identity.picture }),
      ...(scopes.includes("phone") && identity.phone_number !== undefined
        ? { phone_number: identity.phone_number }
        : {}),
      ...(grant.nonce === null ? {} : { nonce: grant.nonce }),
      iat: now,
      exp: now + ID_TOKEN_LIFETIME_S,
    };
    return signingKey.sign(claims);
  }

  async function token(request: ParsedRequest, response: ServerResponse): Promise<void> {
    const refuse = (status: number, error: string, description: string) =>
      sendJson(
        response,
        status,
        { error, error_description: description },
        status === 401 ? { "www-authenticate": 'Basic realm="oauth.telegram.org"' } : {},
      );
    const body = request.body;
    if (body.grant_type !== "authorization_code") {
      refuse(400, "unsupported_grant_type", `Unsupported grant_type: ${body.grant_type ?? ""}`);
      return;
    }
    const credentials = clientCredentials(request);
    if (credentials === null) {
      refuse(401, "invalid_client", "Malformed or duplicate client credentials.");
      return;
    }
    if (credentials.method !== "client_secret_basic") {
      refuse(401, "invalid_client", "Client authentication must use HTTP Basic.");
      return;
    }
    if (!client || !sameClient(credentials, client)) {
      refuse(401, "invalid_client", "Client authentication failed.");
      return;
    }
    if (!body.code) {
      refuse(400, "invalid_request", "Missing required parameter: code");
      return;
    }
    const redemption = store.peekCode(body.code);
    if (!redemption.ok) {
      const reason = { unknown: "is invalid", used: "was already used", expired: "has expired" };
      refuse(400, "invalid_grant", `The authorization code ${reason[redemption.reason]}.`);
      return;
    }
    const grant = redemption.grant;
    if (body.redirect_uri !== grant.redirectUri) {
      refuse(400, "invalid_grant", "redirect_uri does not match the authorization request.");
      return;
    }
    // Every Telegram grant has a challenge: the authorize request is refused without one.
    if (body.code_verifier === undefined) {
      refuse(400, "invalid_request", "Missing required parameter: code_verifier");
      return;
    }
    if (grant.codeChallenge === null || !pkceMatches(body.code_verifier, grant.codeChallenge)) {
      refuse(400, "invalid_grant", "code_verifier does not match the code_challenge.");
      return;
    }

    store.spendCode(body.code);
    const accessToken = store.issueToken(grant, randomToken(32), ACCESS_TOKEN_LIFETIME_S * 1000);
    sendJson(response, 200, {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: ACCESS_TOKEN_LIFETIME_S,
      id_token: await idToken(grant),
      scope: grant.scopes.join(" "),
    });
  }

  return {
    routes: [
      {
        provider: "telegram",
        endpoint: "discovery",
        path: "/telegram/.well-known/openid-configuration",
        methods: ["GET"],
        handle: (_request, response) => sendJson(response, 200, discovery),
      },
      {
        provider: "telegram",
        endpoint: "jwks",
        path: "/telegram/.well-known/jwks.json",
        methods: ["GET"],
        handle: (_request, response) => sendJson(response, 200, signingKey.jwks),
      },
      {
        provider: "telegram",
        endpoint: "authorize",
        path: "/telegram/auth",
        methods: ["GET"],
        handle: (request, response) => handleAuthorize(profile, request, response),
      },
      {
        provider: "telegram",
        endpoint: "consent",
        path: "/telegram/consent",
        methods: ["POST"],
        handle: (request, response) => handleConsent(profile, request, response),
      },
      {
        provider: "telegram",
        endpoint: "token",
        path: "/telegram/token",
        methods: ["POST"],
        handle: token,
      },
    ],
    answerFailure(kind, _request, response) {
      switch (kind) {
        case "token-error":
          sendJson(response, 400, { error: "invalid_grant" });
          return true;
        case "html":
          // A front end's page where JSON belongs, with HTTP 200.
          sendHtml(
            response,
            200,
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram</title></head><body><p>Sorry, something went wrong. Please try again later.</p></body></html>',
          );
          return true;
        default:
          return false;
      }
    },
  };
}
