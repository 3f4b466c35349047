// Google as an OpenID Connect provider: discovery, JWKS, authorize, token (with an RS256
// id_token), userinfo. The issuer is `<fake>/google`, so an OIDC client that is given that
// issuer finds everything else through discovery, as Auth.js's Google provider does.
//
// Google's behaviour reproduced here:
// - the redirect back carries `iss`, `scope`, `authuser` and `prompt` besides code and state
//   (a client must accept extra parameters, and oauth4webapi checks `iss` when present);
// - the token answer's `scope` spells "email"/"profile" as their userinfo.* URLs;
// - claims follow the scopes: email only with "email", name and picture only with "profile";
// - token errors are `{error, error_description}` JSON; an unknown client and a wrong secret
//   are HTTP 401, a bad code, redirect_uri or verifier HTTP 400;
// - a code_verifier for a code that had no challenge is refused.
// Both client_secret_basic (Auth.js's default) and client_secret_post are accepted.
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { JWTPayload } from "jose";
import { handleAuthorize, handleConsent, type AuthorizeProfile } from "./authorize";
import { GrantStore, type Grant } from "./grants";
import {
  authorizationToken,
  base64url,
  clientCredentials,
  sameClient,
  PIXEL_PNG,
  pkceMatches,
  randomToken,
  sendHtml,
  sendJson,
  sendPng,
  type ParsedRequest,
} from "./http";
import { googleStandIn } from "./stand-in";
import type { ModuleContext, ProviderModule } from "./module";
import { createSigningKey } from "./signing";
import type { GoogleIdentity } from "./types";

const ACCESS_TOKEN_LIFETIME_S = 3599;
const ID_TOKEN_LIFETIME_S = 3600;

const SCOPE_URLS: Record<string, string> = {
  email: "https://www.googleapis.com/auth/userinfo.email",
  profile: "https://www.googleapis.com/auth/userinfo.profile",
};

export async function createGoogle(context: ModuleContext<"google">): Promise<ProviderModule> {
  const base = `${context.baseUrl}/google`;
  const issuer = base;
  const client = context.client;
  const store = new GrantStore<GoogleIdentity>(context.now);

  const signingKey = await createSigningKey();

  const discovery = {
    issuer,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    userinfo_endpoint: `${base}/userinfo`,
    jwks_uri: `${base}/jwks`,
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    scopes_supported: ["openid", "email", "profile"],
    token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
    claims_supported: [
      "aud",
      "email",
      "email_verified",
      "exp",
      "iat",
      "iss",
      "name",
      "picture",
      "sub",
    ],
    // Auth.js only uses PKCE with an OIDC provider that advertises S256.
    code_challenge_methods_supported: ["plain", "S256"],
    grant_types_supported: ["authorization_code"],
  };

  const avatarUrl = (identity: GoogleIdentity) =>
    identity.picture ?? `${base}/avatar?u=${encodeURIComponent(identity.sub)}`;

  const profile: AuthorizeProfile<GoogleIdentity> = {
    provider: "google",
    displayName: "Google",
    appName: context.appName,
    client,
    store,
    consentPath: "/google/consent",
    currentIdentity: context.currentIdentity,
    standIn: context.standIn ? googleStandIn : undefined,
    describe: (identity) => [
      ["Name", identity.name],
      ["Email", `${identity.email}${identity.email_verified ? " (verified)" : " (unverified)"}`],
      ["Subject", identity.sub],
    ],
    requireScope: true,
    newCode: () => `4/0${randomToken(32)}`,
    approvedParams: (grant, code) => ({
      state: grant.state,
      code,
      scope: grantedScopes(grant).join(" "),
      authuser: "0",
      prompt: "consent",
      iss: issuer,
    }),
    deniedParams: (grant) => ({ error: "access_denied", state: grant.state }),
  };

  function grantedScopes(grant: Grant<GoogleIdentity>): string[] {
    return grant.scopes.map((scope) => SCOPE_URLS[scope] ?? scope);
  }

  function claimsFor(grant: Grant<GoogleIdentity>): Record<string, string | boolean> {
    const { identity, scopes } = grant;
    return {
      sub: identity.sub,
      ...(scopes.includes("email")
        ? { email: identity.email, email_verified: identity.email_verified }
        : {}),
      ...(scopes.includes("profile") ? { name: identity.name, picture: avatarUrl(identity) } : {}),
    };
  }

  async function idToken(grant: Grant<GoogleIdentity>, accessToken: string): Promise<string> {
    const now = Math.floor(context.now() / 1000);
    const digest = createHash("sha256").update(accessToken).digest();
    const claims: JWTPayload = {
      iss: issuer,
      azp: grant.clientId,
      aud: grant.clientId,
      ...claimsFor(grant),
      // OIDC Core §3.1.3.6: the left half of the access token's SHA-256.
      at_hash: base64url(digest.subarray(0, digest.length / 2)),
      ...(grant.nonce === null ? {} : { nonce: grant.nonce }),
      iat: now,
      exp: now + ID_TOKEN_LIFETIME_S,
    };
    return signingKey.sign(claims);
  }

  async function token(request: ParsedRequest, response: ServerResponse): Promise<void> {
    const refuse = (status: number, error: string, description: string) =>
      sendJson(response, status, { error, error_description: description });
    const body = request.body;
    if (body.grant_type !== "authorization_code") {
      refuse(400, "unsupported_grant_type", `Invalid grant_type: ${body.grant_type ?? ""}`);
      return;
    }
    const credentials = clientCredentials(request);
    if (!client || credentials?.clientId !== client.clientId) {
      refuse(401, "invalid_client", "The OAuth client was not found.");
      return;
    }
    if (!sameClient(credentials, client)) {
      refuse(401, "invalid_client", "Unauthorized");
      return;
    }
    if (!body.code) {
      refuse(400, "invalid_request", "Missing required parameter: code");
      return;
    }
    const redemption = store.peekCode(body.code);
    if (!redemption.ok) {
      refuse(
        400,
        "invalid_grant",
        redemption.reason === "unknown" ? "Malformed auth code." : "Bad Request",
      );
      return;
    }
    const grant = redemption.grant;
    if (body.redirect_uri !== grant.redirectUri) {
      refuse(400, "redirect_uri_mismatch", "Bad Request");
      return;
    }
    const verifier = body.code_verifier;
    if (grant.codeChallenge === null) {
      if (verifier !== undefined) {
        refuse(400, "invalid_grant", "code_verifier or verifier is not needed.");
        return;
      }
    } else if (verifier === undefined) {
      refuse(400, "invalid_grant", "Missing code verifier.");
      return;
    } else if (!pkceMatches(verifier, grant.codeChallenge)) {
      refuse(400, "invalid_grant", "Invalid code verifier.");
      return;
    }

    store.spendCode(body.code);
    const accessToken = store.issueToken(
      grant,
      `ya29.${randomToken(48)}`,
      ACCESS_TOKEN_LIFETIME_S * 1000,
    );
    sendJson(response, 200, {
      access_token: accessToken,
      expires_in: ACCESS_TOKEN_LIFETIME_S,
      scope: grantedScopes(grant).join(" "),
      token_type: "Bearer",
      ...(grant.scopes.includes("openid") ? { id_token: await idToken(grant, accessToken) } : {}),
    });
  }

  function userinfo(request: ParsedRequest, response: ServerResponse): void {
    const accessToken = authorizationToken(request.headers, ["bearer"]);
    const grant = accessToken === null ? null : store.token(accessToken);
    if (!grant) {
      sendJson(
        response,
        401,
        { error: "invalid_request", error_description: "Invalid Credentials" },
        {
          "www-authenticate": `Bearer realm="https://accounts.google.com/", error="invalid_token"`,
        },
      );
      return;
    }
    sendJson(response, 200, claimsFor(grant));
  }

  return {
    routes: [
      {
        provider: "google",
        endpoint: "discovery",
        path: "/google/.well-known/openid-configuration",
        methods: ["GET"],
        handle: (_request, response) => sendJson(response, 200, discovery),
      },
      {
        provider: "google",
        endpoint: "jwks",
        path: "/google/jwks",
        methods: ["GET"],
        handle: (_request, response) => sendJson(response, 200, signingKey.jwks),
      },
      {
        provider: "google",
        endpoint: "authorize",
        path: "/google/authorize",
        methods: ["GET"],
        handle: (request, response) => handleAuthorize(profile, request, response),
      },
      {
        provider: "google",
        endpoint: "consent",
        path: "/google/consent",
        methods: ["POST"],
        handle: (request, response) => handleConsent(profile, request, response),
      },
      {
        provider: "google",
        endpoint: "token",
        path: "/google/token",
        methods: ["POST"],
        handle: token,
      },
      {
        provider: "google",
        endpoint: "userinfo",
        path: "/google/userinfo",
        methods: ["GET", "POST"],
        handle: userinfo,
      },
      {
        provider: "google",
        endpoint: "avatar",
        path: "/google/avatar",
        methods: ["GET"],
        handle: (_request, response) => sendPng(response, PIXEL_PNG),
      },
    ],
    answerFailure(kind, _request, response) {
      switch (kind) {
        case "token-error":
          sendJson(response, 400, { error: "invalid_grant", error_description: "Bad Request" });
          return true;
        case "html":
          // What a Google front end serves when the backend behind it is down.
          sendHtml(
            response,
            200,
            "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 502 (Server Error)!!1</title><p><b>502.</b> That’s an error.</p><p>The server encountered a temporary error and could not complete your request.</p></html>",
          );
          return true;
        default:
          return false;
      }
    },
  };
}
