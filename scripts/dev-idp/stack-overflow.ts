// Stack Overflow's sign-in: Stack Exchange OAuth 2 (not OpenID Connect, no email).
// `<fake>/stackoverflow` stands for https://stackoverflow.com and `<fake>/stackexchange` for
// https://api.stackexchange.com.
//
// Stack Exchange's behaviour reproduced here:
// - the token comes from /oauth/access_token/json as `{access_token, expires}` — no
//   token_type, which oauth4webapi insists on — and from /oauth/access_token as
//   form-encoded text; with the `no_expiry` scope there is no `expires`;
// - client_id and client_secret are read from the form body only (Stack Exchange documents
//   no HTTP Basic), so Auth.js must use client_secret_post;
// - codes and tokens end in "))" and may hold "*" and "(" (a client must encode them);
// - /2.3/me takes the token only in `Authorization: Bearer` (a query-string access_token is
//   refused), wants the app key when a token is used, and answers gzip-compressed JSON with
//   HTML-escaped strings (`O&#39;Brien`); its errors are HTTP 400 with
//   `{error_id, error_message, error_name}`.
import type { ServerResponse } from "node:http";
import { handleAuthorize, handleConsent, type AuthorizeProfile } from "./authorize";
import { GrantStore } from "./grants";
import {
  authorizationToken,
  PIXEL_PNG,
  pkceMatches,
  randomToken,
  sendForm,
  sendGzippedJson,
  sendHtml,
  sendJson,
  sendPng,
  type ParsedRequest,
} from "./http";
import { stackOverflowStandIn } from "./stand-in";
import type { ModuleContext, ProviderModule } from "./module";
import type { StackOverflowIdentity } from "./types";

const TOKEN_LIFETIME_S = 86_400;
const QUOTA_MAX = 10_000;

/** The shape of Stack Exchange's codes and tokens: base64-ish, with "*", ending in "))". */
const stackToken = () => `${randomToken(16).replace(/-/g, "*").replace(/_/g, "(")}))`;

/** The API HTML-escapes user-supplied strings; non-ASCII becomes numeric entities. */
const NAMED_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
};
const htmlEscaped = (text: string): string =>
  text.replace(
    /[&<>"']|[\u{80}-\u{10ffff}]/gu,
    (char) => NAMED_ENTITIES[char] ?? `&#${char.codePointAt(0) ?? 0};`,
  );

export function createStackOverflow(context: ModuleContext<"stackoverflow">): ProviderModule {
  const web = `${context.baseUrl}/stackoverflow`;
  const client = context.client;
  const store = new GrantStore<StackOverflowIdentity>(context.now);
  let quotaRemaining = QUOTA_MAX;

  const profile: AuthorizeProfile<StackOverflowIdentity> = {
    provider: "stackoverflow",
    displayName: "Stack Overflow",
    appName: context.appName,
    client,
    store,
    consentPath: "/stackoverflow/consent",
    currentIdentity: context.currentIdentity,
    standIn: context.standIn ? stackOverflowStandIn : undefined,
    describe: (identity) => [
      ["Display name", identity.display_name],
      ["User id", String(identity.user_id)],
    ],
    requireScope: false,
    newCode: stackToken,
    approvedParams: (grant, code) => ({ code, state: grant.state }),
    deniedParams: (grant) => ({
      error: "access_denied",
      error_description: "user denied access",
      state: grant.state,
    }),
  };

  function token(format: "json" | "form") {
    return (request: ParsedRequest, response: ServerResponse): void => {
      const refuse = (message: string) => {
        if (format === "json") {
          sendJson(response, 400, { error: { type: "invalid_request", message } });
        } else {
          sendForm(response, 400, { error: "invalid_request", error_description: message });
        }
      };
      const body = request.body;
      if (!body.client_id || !body.client_secret) {
        refuse("client_id and client_secret are required in the request body");
        return;
      }
      if (body.client_id !== client?.clientId) {
        refuse("client_id is not valid");
        return;
      }
      if (body.client_secret !== client.clientSecret) {
        refuse("client_secret is not valid");
        return;
      }
      const redemption = store.peekCode(body.code ?? "");
      if (!redemption.ok) {
        refuse(
          {
            unknown: "code is not valid",
            used: "code has already been used",
            expired: "code has expired",
          }[redemption.reason],
        );
        return;
      }
      const grant = redemption.grant;
      if (body.redirect_uri !== grant.redirectUri) {
        refuse("redirect_uri does not match the one used to request the code");
        return;
      }
      if (
        grant.codeChallenge !== null &&
        !pkceMatches(body.code_verifier ?? "", grant.codeChallenge)
      ) {
        refuse("code_verifier does not match code_challenge");
        return;
      }
      store.spendCode(body.code ?? "");
      const expiring = !grant.scopes.includes("no_expiry");
      const accessToken = store.issueToken(
        grant,
        stackToken(),
        expiring ? TOKEN_LIFETIME_S * 1000 : null,
      );
      const fields = {
        access_token: accessToken,
        ...(expiring ? { expires: String(TOKEN_LIFETIME_S) } : {}),
      };
      if (format === "form") sendForm(response, 200, fields);
      else sendJson(response, 200, expiring ? { ...fields, expires: TOKEN_LIFETIME_S } : fields);
    };
  }

  function apiError(response: ServerResponse, id: number, name: string, message: string): void {
    sendGzippedJson(response, 400, { error_id: id, error_message: message, error_name: name });
  }

  function me(request: ParsedRequest, response: ServerResponse): void {
    const { query } = request;
    if (query.access_token !== undefined) {
      apiError(
        response,
        400,
        "bad_parameter",
        "access_token is not accepted in the query string; send it in an Authorization: Bearer header",
      );
      return;
    }
    const accessToken = authorizationToken(request.headers, ["bearer"]);
    if (accessToken === null) {
      apiError(response, 401, "access_token_required", "This method requires an access_token");
      return;
    }
    if (!query.key) {
      apiError(response, 405, "key_required", "key is required when an access_token is used");
      return;
    }
    if (query.key !== client?.key) {
      apiError(response, 400, "bad_parameter", "key");
      return;
    }
    if (!query.site) {
      apiError(response, 400, "bad_parameter", "site is required");
      return;
    }
    if (query.site !== "stackoverflow" && query.site !== "stackoverflow.com") {
      apiError(response, 400, "bad_parameter", "No site found for name `" + query.site + "`");
      return;
    }
    const grant = store.token(accessToken);
    if (!grant) {
      apiError(response, 402, "invalid_access_token", "access_token is not valid");
      return;
    }
    const identity = grant.identity;
    quotaRemaining = Math.max(0, quotaRemaining - 1);
    const slug = identity.display_name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    sendGzippedJson(response, 200, {
      items: [
        {
          badge_counts: { bronze: 0, silver: 0, gold: 0 },
          account_id: identity.user_id + 1_000_000,
          is_employee: false,
          last_access_date: Math.floor(context.now() / 1000),
          reputation: 1,
          creation_date: 1_325_376_000,
          user_type: "registered",
          user_id: identity.user_id,
          link: `https://stackoverflow.com/users/${identity.user_id}/${slug}`,
          profile_image: identity.profile_image ?? `${web}/avatar?u=${identity.user_id}`,
          display_name: htmlEscaped(identity.display_name),
        },
      ],
      has_more: false,
      quota_max: QUOTA_MAX,
      quota_remaining: quotaRemaining,
    });
  }

  return {
    routes: [
      {
        provider: "stackoverflow",
        endpoint: "authorize",
        path: "/stackoverflow/oauth",
        methods: ["GET"],
        handle: (request, response) => handleAuthorize(profile, request, response),
      },
      {
        provider: "stackoverflow",
        endpoint: "consent",
        path: "/stackoverflow/consent",
        methods: ["POST"],
        handle: (request, response) => handleConsent(profile, request, response),
      },
      {
        provider: "stackoverflow",
        endpoint: "token",
        path: "/stackoverflow/oauth/access_token/json",
        methods: ["POST"],
        handle: token("json"),
      },
      {
        provider: "stackoverflow",
        endpoint: "token",
        path: "/stackoverflow/oauth/access_token",
        methods: ["POST"],
        handle: token("form"),
      },
      {
        provider: "stackoverflow",
        endpoint: "me",
        path: "/stackexchange/2.3/me",
        methods: ["GET"],
        handle: me,
      },
      {
        provider: "stackoverflow",
        endpoint: "avatar",
        path: "/stackoverflow/avatar",
        methods: ["GET"],
        handle: (_request, response) => sendPng(response, PIXEL_PNG),
      },
    ],
    answerFailure(kind, _request, response) {
      switch (kind) {
        case "used-code":
          sendJson(response, 400, {
            error: { type: "invalid_request", message: "code has already been used" },
          });
          return true;
        case "used-code-api-shape":
          sendJson(response, 400, {
            error_id: 400,
            error_message: "code has already been used",
            error_name: "bad_parameter",
          });
          return true;
        case "form-error":
          sendForm(response, 400, {
            error: "invalid_request",
            error_description: "code has expired",
          });
          return true;
        case "html":
          // The page Stack Overflow serves during maintenance or an outage.
          sendHtml(
            response,
            200,
            "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Stack Overflow - Site Maintenance</title><p>Stack Overflow is currently offline for maintenance.</p></html>",
          );
          return true;
        case "me-error":
          apiError(
            response,
            502,
            "throttle_violation",
            "too many requests from this IP, more requests available in 3600 seconds",
          );
          return true;
        default:
          return false;
      }
    },
  };
}
