// GitHub as a plain OAuth 2 provider (an "OAuth App"): `<fake>/github` stands for
// https://github.com and `<fake>/github/api` for https://api.github.com (`/api/v3` also works,
// the GitHub Enterprise layout Auth.js's `enterprise.baseUrl` option produces).
//
// GitHub's behaviour reproduced here:
// - the token endpoint answers JSON only with `Accept: application/json`, and form-encoded
//   text otherwise;
// - its errors are HTTP 200 with `error`, `error_description`, `error_uri` in the body
//   (bad_verification_code, incorrect_client_credentials, redirect_uri_mismatch), which a
//   client that trusts the status code takes for success;
// - `redirect_uri` at the token endpoint may be omitted, but must match when given;
// - granted scopes come back comma-separated, and in the API's X-OAuth-Scopes header;
// - the API wants `Authorization: Bearer|token <token>` (401 JSON otherwise) and refuses a
//   request without a User-Agent (403); /user/emails without the user:email scope is 404;
// - `/user`'s `email` is the public email only, usually null: the verified addresses are
//   in /user/emails.
// Both client_secret_basic (Auth.js's default) and client_secret_post are accepted.
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { handleAuthorize, handleConsent, type AuthorizeProfile } from "./authorize";
import { GrantStore, type Grant } from "./grants";
import {
  authorizationToken,
  clientCredentials,
  sameClient,
  PIXEL_PNG,
  pkceMatches,
  sendForm,
  sendHtml,
  sendJson,
  sendPng,
  sendText,
  type ParsedRequest,
} from "./http";
import { gitHubStandIn } from "./stand-in";
import type { ModuleContext, ProviderModule, Route } from "./module";
import type { GitHubIdentity } from "./types";

const TROUBLESHOOTING =
  "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

const TOKEN_ERRORS = {
  bad_verification_code: "The code passed is incorrect or expired.",
  incorrect_client_credentials: "The client_id and/or client_secret passed are incorrect.",
  redirect_uri_mismatch:
    "The redirect_uri MUST match the registered callback URL for this application.",
} as const;
type TokenError = keyof typeof TOKEN_ERRORS;

const EMAIL_SCOPES = ["user:email", "user"];

export function createGitHub(context: ModuleContext<"github">): ProviderModule {
  const web = `${context.baseUrl}/github`;
  const client = context.client;
  const store = new GrantStore<GitHubIdentity>(context.now);

  const profile: AuthorizeProfile<GitHubIdentity> = {
    provider: "github",
    displayName: "GitHub",
    appName: context.appName,
    client,
    store,
    consentPath: "/github/consent",
    currentIdentity: context.currentIdentity,
    standIn: context.standIn ? gitHubStandIn : undefined,
    describe: (identity) => [
      ["Login", identity.login],
      ["Name", identity.name ?? "(none)"],
      [
        "Emails",
        identity.emails
          .map((e) => `${e.email}${e.primary ? " primary" : ""}${e.verified ? " verified" : ""}`)
          .join(", ") || "(none)",
      ],
    ],
    requireScope: false,
    newCode: () => randomBytes(10).toString("hex"),
    approvedParams: (grant, code) => ({ code, state: grant.state }),
    deniedParams: (grant) => ({
      error: "access_denied",
      error_description: "The user has denied your application access.",
      error_uri:
        "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied",
      state: grant.state,
    }),
  };

  /** JSON only when asked for; GitHub's default answer is form-encoded. */
  function answerToken(
    request: ParsedRequest,
    response: ServerResponse,
    fields: Record<string, string>,
  ): void {
    if (request.headers.accept?.includes("application/json")) sendJson(response, 200, fields);
    else sendForm(response, 200, fields);
  }

  function refuseToken(request: ParsedRequest, response: ServerResponse, error: TokenError): void {
    // HTTP 200, as GitHub does: only the body says it failed.
    answerToken(request, response, {
      error,
      error_description: TOKEN_ERRORS[error],
      error_uri: `${TROUBLESHOOTING}/#${error.replace(/_/g, "-")}`,
    });
  }

  function token(request: ParsedRequest, response: ServerResponse): void {
    const body = request.body;
    const credentials = clientCredentials(request);
    if (!client || !sameClient(credentials, client)) {
      refuseToken(request, response, "incorrect_client_credentials");
      return;
    }
    const redemption = store.peekCode(body.code ?? "");
    if (!redemption.ok) {
      refuseToken(request, response, "bad_verification_code");
      return;
    }
    const grant = redemption.grant;
    if (body.redirect_uri !== undefined && body.redirect_uri !== grant.redirectUri) {
      refuseToken(request, response, "redirect_uri_mismatch");
      return;
    }
    // GitHub's wording for a PKCE failure is not documented; it refuses the code, so say that.
    if (
      grant.codeChallenge !== null &&
      !pkceMatches(body.code_verifier ?? "", grant.codeChallenge)
    ) {
      refuseToken(request, response, "bad_verification_code");
      return;
    }
    store.spendCode(body.code ?? "");
    // OAuth App tokens do not expire.
    const accessToken = store.issueToken(grant, `gho_${randomBytes(18).toString("hex")}`, null);
    answerToken(request, response, {
      access_token: accessToken,
      token_type: "bearer",
      scope: grant.scopes.join(","),
    });
  }

  /** The grant behind the request's token, or null once a refusal has been sent. */
  function authenticate(
    request: ParsedRequest,
    response: ServerResponse,
  ): Grant<GitHubIdentity> | null {
    if (!request.headers["user-agent"]) {
      sendText(
        response,
        403,
        "Request forbidden by administrative rules. Please make sure your request has a User-Agent header.",
      );
      return null;
    }
    const accessToken = authorizationToken(request.headers, ["bearer", "token"]);
    const grant = accessToken === null ? null : store.token(accessToken);
    if (!grant) {
      sendJson(response, 401, {
        message: accessToken === null ? "Requires authentication" : "Bad credentials",
        documentation_url: "https://docs.github.com/rest",
        status: "401",
      });
      return null;
    }
    return grant;
  }

  const scopeHeaders = (grant: Grant<GitHubIdentity>, accepted: string) => ({
    "x-oauth-scopes": grant.scopes.join(", "),
    "x-accepted-oauth-scopes": accepted,
  });

  function user(request: ParsedRequest, response: ServerResponse): void {
    const grant = authenticate(request, response);
    if (!grant) return;
    const identity = grant.identity;
    sendJson(
      response,
      200,
      {
        login: identity.login,
        id: identity.id,
        node_id: Buffer.from(`04:User${identity.id}`).toString("base64"),
        avatar_url: identity.avatar_url ?? `${web}/avatar?u=${identity.id}`,
        html_url: `https://github.com/${identity.login}`,
        type: "User",
        site_admin: false,
        name: identity.name,
        company: null,
        blog: "",
        location: null,
        email: identity.email ?? null,
        bio: null,
        public_repos: 0,
        followers: 0,
        following: 0,
        created_at: "2012-01-01T00:00:00Z",
        updated_at: "2024-01-01T00:00:00Z",
      },
      scopeHeaders(grant, ""),
    );
  }

  function emails(request: ParsedRequest, response: ServerResponse): void {
    const grant = authenticate(request, response);
    if (!grant) return;
    const headers = scopeHeaders(grant, "user, user:email");
    if (!grant.scopes.some((scope) => EMAIL_SCOPES.includes(scope))) {
      // GitHub hides what a token may not see: 404, not 403.
      sendJson(
        response,
        404,
        {
          message: "Not Found",
          documentation_url:
            "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user",
          status: "404",
        },
        headers,
      );
      return;
    }
    sendJson(
      response,
      200,
      grant.identity.emails.map((e) => ({
        email: e.email,
        primary: e.primary,
        verified: e.verified,
        visibility: e.visibility ?? (e.primary ? "private" : null),
      })),
      headers,
    );
  }

  const apiRoutes = ["/github/api", "/github/api/v3"].flatMap((prefix): Route[] => [
    {
      provider: "github",
      endpoint: "user",
      path: `${prefix}/user`,
      methods: ["GET"],
      handle: user,
    },
    {
      provider: "github",
      endpoint: "emails",
      path: `${prefix}/user/emails`,
      methods: ["GET"],
      handle: emails,
    },
  ]);

  return {
    routes: [
      {
        provider: "github",
        endpoint: "authorize",
        path: "/github/login/oauth/authorize",
        methods: ["GET"],
        handle: (request, response) => handleAuthorize(profile, request, response),
      },
      {
        provider: "github",
        endpoint: "consent",
        path: "/github/consent",
        methods: ["POST"],
        handle: (request, response) => handleConsent(profile, request, response),
      },
      {
        provider: "github",
        endpoint: "token",
        path: "/github/login/oauth/access_token",
        methods: ["POST"],
        handle: token,
      },
      ...apiRoutes,
      {
        provider: "github",
        endpoint: "avatar",
        path: "/github/avatar",
        methods: ["GET"],
        handle: (_request, response) => sendPng(response, PIXEL_PNG),
      },
    ],
    answerFailure(kind, request, response) {
      switch (kind) {
        case "token-error":
          refuseToken(request, response, "bad_verification_code");
          return true;
        case "html":
          // GitHub's overload page.
          sendHtml(
            response,
            200,
            "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Unicorn! · GitHub</title><p>No server is currently available to service your request.</p></html>",
          );
          return true;
        default:
          return false;
      }
    },
  };
}
