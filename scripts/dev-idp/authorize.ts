// The authorization endpoint and consent page, the same for every provider but for the
// details each provider's profile supplies (extra redirect parameters, the identity shown).
// As `npm run dev`'s stand-in (`standIn` set) the consent page says so in its title and lets
// the person pick or type the identity; in tests it shows the one `setIdentity` chose.
//
// Anything wrong with the request is answered with a 400 error page and never a redirect,
// as the real providers do for an unknown client or a callback URL that is not registered:
// a misconfigured app must fail loudly in a test, not look like a person who clicked Cancel.
// The fake is stricter than the real ones in two places, to pin down what Gatehouse sends:
// `state` is required, and PKCE, when used, must be S256.
//
// A provider may let the person switch off some of the requested scopes on the page
// (Telegram's "Allow … to send you messages"): each is a checkbox, checked at first, and the
// grant leaves out the scope of every box that was not sent checked — the form semantics a
// browser gives, so a test that posts the form by hand says "checked" by sending the field.
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
  /** Development stand-in: the consent page offers these identities and fields. */
  standIn?: StandInForm<I>;
  /** Requested scopes the person may refuse on the consent page, one checkbox each. */
  consentOptions?: ConsentOption[];
  /** The provider's own demands on the authorize request, checked after the common ones. */
  checkRequest?: (query: Record<string, string>) => string | null;
}

/** A scope the consent page lets the person switch off (shown only when it was requested). */
export interface ConsentOption {
  scope: string;
  /** The checkbox's form field: "1" when checked; absent when not, as a browser sends it. */
  name: string;
  label: string;
  hint?: string;
}

/** One field of a stand-in's "someone else" form. */
export interface StandInField {
  name: string;
  label: string;
  type: "text" | "email" | "tel" | "checkbox";
  value: string | boolean;
  /** A short explanation under the field (what the value changes in the app). */
  hint?: string;
}

/** How a stand-in's consent page picks the identity (scripts/dev-idp/stand-in.ts). */
export interface StandInForm<I> {
  /** Ready-made identities, one button each; `declines` lists the consent options' scopes
   *  that preset switches off (its button cannot carry a checkbox of the typed form). */
  presets: { label: string; identity: I; declines?: string[] }[];
  /** The "someone else" fields, filled in from an identity. */
  fields: (identity: I) => StandInField[];
  /** The identity the submitted fields describe, or what is wrong with them. */
  fromForm: (body: Record<string, string>) => { identity: I } | { problem: string };
  /** Which variables turn on the real provider (shown under the title). */
  realProvider: string;
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
  sendHtml(response, 200, consentPage(profile, grant, consentId, null));
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
    const chosen = profile.standIn ? standInIdentity(profile.standIn, request.body) : null;
    if (chosen && "problem" in chosen) {
      const consentId = request.body.consent ?? "";
      sendHtml(response, 400, consentPage(profile, grant, consentId, chosen.problem));
      return;
    }
    const approved: Grant<I> = {
      ...grant,
      identity: chosen ? chosen.identity : grant.identity,
      scopes: grant.scopes.filter(
        (scope) =>
          !requestedOptions(profile, grant).some(
            (option) => option.scope === scope && request.body[option.name] !== "1",
          ),
      ),
    };
    const code = profile.store.issueCode(approved, profile.newCode());
    redirect(response, withQuery(grant.redirectUri, profile.approvedParams(approved, code)));
  } else {
    redirect(response, withQuery(grant.redirectUri, profile.deniedParams(grant)));
  }
}

/** A preset's identity (`preset` is its index), or the typed fields' one. */
function standInIdentity<I>(
  form: StandInForm<I>,
  body: Record<string, string>,
): { identity: I } | { problem: string } {
  const preset = body.preset === undefined ? undefined : form.presets[Number(body.preset)];
  return preset ? { identity: structuredClone(preset.identity) } : form.fromForm(body);
}

/** The consent options whose scope the authorize request asked for. */
function requestedOptions<I>(profile: AuthorizeProfile<I>, grant: Grant<I>): ConsentOption[] {
  return (profile.consentOptions ?? []).filter((option) => grant.scopes.includes(option.scope));
}

/** A consent option as the checkbox the stand-in form renders, checked. */
const optionField = (option: ConsentOption): StandInField => ({
  name: option.name,
  label: option.label,
  type: "checkbox",
  value: true,
  ...(option.hint === undefined ? {} : { hint: option.hint }),
});

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
  return profile.checkRequest?.(query) ?? null;
}

const STYLE = `
  :root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --text: #111; --muted: #555; --line: #ccc; --brand: #1f6feb; }
  @media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #9da7b3; --line: #3d444d; --brand: #4493f8; } }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 2rem 1rem; background: var(--bg); color: var(--text); }
  main { max-width: 28rem; margin: 0 auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1.5rem; }
  h1 { font-size: 1.25rem; margin: 0 0 1rem; }
  h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; word-break: break-all; }
  dt { font-weight: 600; }
  dd { margin: 0; }
  .actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
  button { font: inherit; padding: .5rem 1rem; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--text); cursor: pointer; }
  button[value="allow"], button.primary { background: var(--brand); border-color: var(--brand); color: #fff; }
  button:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
  .error { color: #b91c1c; }
  @media (prefers-color-scheme: dark) { .error { color: #ff7b72; } }
  .badge { display: inline-block; margin: 0 0 .5rem; padding: .125rem .5rem; border-radius: 999px; background: #f59e0b; color: #111; font-weight: 700; font-size: .875rem; }
  .muted, small { color: var(--muted); }
  .presets { display: grid; gap: .5rem; }
  .preset { width: 100%; text-align: left; overflow-wrap: anywhere; }
  .field { display: grid; gap: .25rem; margin-top: .75rem; }
  .field input { font: inherit; padding: .5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--text); min-width: 0; }
  .check { display: grid; grid-template-columns: auto 1fr; gap: 0 .5rem; align-items: center; margin-top: .75rem; }
  .check small { grid-column: 2; }
  .check input { width: 1.125rem; height: 1.125rem; margin: 0; }
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

function consentPage<I>(
  profile: AuthorizeProfile<I>,
  grant: Grant<I>,
  consentId: string,
  problem: string | null,
): string {
  if (profile.standIn) return standInPage(profile, profile.standIn, grant, consentId, problem);
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
${requestedOptions(profile, grant).map(optionField).map(standInField).join("\n")}
<div class="actions">
<button type="submit" name="decision" value="allow">Authorize</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</div>
</form>`,
  );
}

function standInField(field: StandInField): string {
  const id = `field-${field.name}`;
  const hint = field.hint ? `<small id="${id}-hint">${escapeHtml(field.hint)}</small>` : "";
  const described = field.hint ? ` aria-describedby="${id}-hint"` : "";
  if (field.type === "checkbox") {
    const checked = field.value === true ? " checked" : "";
    return `<div class="check"><input type="checkbox" id="${id}" name="${field.name}" value="1"${checked}${described}>
<label for="${id}">${escapeHtml(field.label)}</label>${hint}</div>`;
  }
  return `<div class="field"><label for="${id}">${escapeHtml(field.label)}</label>
<input type="${field.type}" id="${id}" name="${field.name}" value="${escapeHtml(String(field.value))}"${described}>${hint}</div>`;
}

/**
 * `npm run dev`'s consent page: unmistakably not the provider, and a choice of who signs in
 * (ready-made identities, or any name, email and verified flag: enough to try the
 * same-email policy). One form per choice, so every button is a plain submit.
 */
function standInPage<I>(
  profile: AuthorizeProfile<I>,
  form: StandInForm<I>,
  grant: Grant<I>,
  consentId: string,
  problem: string | null,
): string {
  const hidden = (decision: string) =>
    `<input type="hidden" name="consent" value="${escapeHtml(consentId)}"><input type="hidden" name="decision" value="${decision}">`;
  const action = escapeHtml(profile.consentPath);
  const options = requestedOptions(profile, grant);
  const presets = form.presets
    .map((preset, index) => {
      const allowed = options
        .filter((option) => !preset.declines?.includes(option.scope))
        .map((option) => `<input type="hidden" name="${escapeHtml(option.name)}" value="1">`)
        .join("");
      return `<form method="post" action="${action}">${hidden("allow")}<input type="hidden" name="preset" value="${index}">${allowed}<button type="submit" class="preset">${escapeHtml(preset.label)}</button></form>`;
    })
    .join("\n");
  const alert = problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : "";
  return page(
    `Development stand-in for ${profile.displayName}`,
    `<p class="badge">Not the real ${escapeHtml(profile.displayName)}</p>
<p>${escapeHtml(`npm run dev started this page so that signing in with ${profile.displayName} can be tried with nothing registered. Pick or type the identity ${profile.appName} receives.`)}</p>
<p class="muted">${escapeHtml(form.realProvider)}</p>
${alert}
<h2>Pick an identity</h2>
<div class="presets">
${presets}
</div>
<h2>Or type one</h2>
<form method="post" action="${action}">${hidden("allow")}
${[...form.fields(grant.identity), ...options.map(optionField)].map(standInField).join("\n")}
<div class="actions"><button type="submit" class="primary">Continue as this identity</button></div>
</form>
<form method="post" action="${action}">${hidden("deny")}
<div class="actions"><button type="submit">Cancel</button></div>
</form>`,
  );
}

function errorPage<I>(profile: AuthorizeProfile<I>, message: string): string {
  return page(
    `Fake ${profile.displayName} — error`,
    `<p class="error" role="alert">${escapeHtml(message)}</p>`,
  );
}
