// The authorization endpoint and consent page, the same for every provider but for the
// details each provider's profile supplies (extra redirect parameters, the identity shown).
//
// Anything wrong with the request is answered with a 400 error page and never a redirect,
// as the real providers do for an unknown client or a callback URL that is not registered:
// a misconfigured app must fail loudly in a test, not look like a person who clicked Cancel.
// The fake is stricter than the real ones in two places, to pin down what Gatehouse sends:
// `state` is required, and PKCE, when used, must be S256.
import type { ServerResponse } from "node:http";
import type { GrantStore, Grant } from "./grants";
import {
  escapeHtml,
  redirect,
  S256_CHALLENGE,
  sendHtml,
  withQuery,
  type ParsedRequest,
} from "./http";
import type { ClientRegistration, ProviderId } from "./types";

export interface AuthorizeProfile<I> {
  provider: ProviderId;
  /** "Google", "GitHub", "Stack Overflow": page titles say "Fake <name>". */
  displayName: string;
  appName: string;
  client: ClientRegistration | undefined;
  store: GrantStore<I>;
  /** Where the consent page posts to. */
  consentPath: string;
  currentIdentity: () => I;
  /** Label/value rows the consent page shows, so a screenshot says who will sign in. */
  describe: (identity: I) => [label: string, value: string][];
  /** Google refuses a request without `scope`; GitHub and Stack Exchange default it. */
  requireScope: boolean;
  newCode: () => string;
  /** The callback's query after "Authorize" (code and state, plus provider extras). */
  approvedParams: (grant: Grant<I>, code: string) => Record<string, string>;
  /** The callback's query after "Cancel". */
  deniedParams: (grant: Grant<I>) => Record<string, string>;
}

/** GitHub and Stack Exchange accept commas as well as spaces between scopes. */
export const parseScopes = (scope: string | undefined): string[] =>
  (scope ?? "").split(/[\s,]+/).filter(Boolean);

export function handleAuthorize<I>(
  profile: AuthorizeProfile<I>,
  request: ParsedRequest,
  response: ServerResponse,
): void {
  const problem = authorizeProblem(profile, request.query);
  if (problem) {
    sendHtml(response, 400, errorPage(profile, problem));
    return;
  }
  const query = request.query;
  const grant: Grant<I> = {
    clientId: query.client_id ?? "",
    redirectUri: query.redirect_uri ?? "",
    scopes: parseScopes(query.scope),
    state: query.state ?? "",
    codeChallenge: query.code_challenge ?? null,
    nonce: query.nonce ?? null,
    // A copy: a later setIdentity() changes the next flow, not a page already shown.
    identity: structuredClone(profile.currentIdentity()),
  };
  const consentId = profile.store.openConsent(grant);
  sendHtml(response, 200, consentPage(profile, grant, consentId));
}

export function handleConsent<I>(
  profile: AuthorizeProfile<I>,
  request: ParsedRequest,
  response: ServerResponse,
): void {
  const grant = profile.store.consent(request.body.consent ?? "");
  if (!grant) {
    sendHtml(
      response,
      400,
      errorPage(profile, "This sign-in request has expired. Go back to the app and start again."),
    );
    return;
  }
  if (request.body.decision === "allow") {
    const code = profile.store.issueCode(grant, profile.newCode());
    redirect(response, withQuery(grant.redirectUri, profile.approvedParams(grant, code)));
  } else {
    redirect(response, withQuery(grant.redirectUri, profile.deniedParams(grant)));
  }
}

function authorizeProblem<I>(
  profile: AuthorizeProfile<I>,
  query: Record<string, string>,
): string | null {
  const client = profile.client;
  if (!client || query.client_id !== client.clientId) {
    return `invalid_client: the OAuth client "${query.client_id ?? ""}" was not found.`;
  }
  if (query.redirect_uri !== client.redirectUri) {
    return `redirect_uri_mismatch: "${query.redirect_uri ?? ""}" is not the registered callback URL (${client.redirectUri}).`;
  }
  if (query.response_type !== "code") {
    return `unsupported_response_type: response_type must be "code", not "${query.response_type ?? ""}".`;
  }
  if (!query.state) {
    return 'invalid_request: state is missing (Auth.js sends it only when the provider\'s checks include "state").';
  }
  if (profile.requireScope && !query.scope) {
    return "invalid_request: Missing required parameter: scope";
  }
  const challenge = query.code_challenge;
  const method = query.code_challenge_method;
  if (challenge === undefined && method !== undefined) {
    return "invalid_request: code_challenge_method without code_challenge.";
  }
  if (challenge !== undefined && (method !== "S256" || !S256_CHALLENGE.test(challenge))) {
    return `invalid_request: PKCE must use S256 with a 43-character challenge (got method "${method ?? ""}").`;
  }
  return null;
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 2rem 1rem; background: #f6f7f9; color: #111; }
  main { max-width: 28rem; margin: 0 auto; background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 1.5rem; }
  h1 { font-size: 1.25rem; margin: 0 0 1rem; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; word-break: break-all; }
  dt { font-weight: 600; }
  dd { margin: 0; }
  .actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
  button { font: inherit; padding: .5rem 1rem; border-radius: 6px; border: 1px solid #888; background: #fff; cursor: pointer; }
  button[value="allow"] { background: #1f6feb; border-color: #1f6feb; color: #fff; }
  button:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
  .error { color: #b91c1c; }
`;

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${content}
</main>
</body>
</html>
`;
}

function consentPage<I>(profile: AuthorizeProfile<I>, grant: Grant<I>, consentId: string): string {
  const rows = profile
    .describe(grant.identity)
    .map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join("\n");
  const scopes = grant.scopes.length ? grant.scopes.join(" ") : "(none)";
  return page(
    `Fake ${profile.displayName} — authorize ${profile.appName}`,
    `<p>${escapeHtml(profile.appName)} will sign you in as:</p>
<dl>
${rows}
<dt>Scopes</dt><dd>${escapeHtml(scopes)}</dd>
</dl>
<form method="post" action="${escapeHtml(profile.consentPath)}">
<input type="hidden" name="consent" value="${escapeHtml(consentId)}">
<div class="actions">
<button type="submit" name="decision" value="allow">Authorize</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</div>
</form>`,
  );
}

function errorPage<I>(profile: AuthorizeProfile<I>, message: string): string {
  return page(
    `Fake ${profile.displayName} — error`,
    `<p class="error" role="alert">${escapeHtml(message)}</p>`,
  );
}
