// Requests Auth.js refuses because the client sent something malformed, told apart from
// failures of our code or a dependency. The error log is for our faults: a stranger must
// not be able to flood it (and hide a real fault) with hand-made requests. So a refusal of
// a malformed request is logged once, at warn, with the request id and without a stack;
// everything else Auth.js reports stays at error, with the error and its cause.
//
// Auth.js 5 (@auth/core 0.41) reports through `logger.error(error)`; what is the client's
// doing, by the error's `type` (minified builds rename classes, `type` survives):
// - InvalidCallbackUrl: a callbackUrl query parameter or cookie that is not an http(s) URL;
// - UnknownAction: a path under /api/auth that is no Auth.js action, or a method other
//   than GET and POST;
// - InvalidCheck: an OAuth callback whose state, PKCE or nonce cookie is missing or does
//   not match (a forged or replayed callback, or a flow left open past the cookies' 15
//   minutes);
// - MissingCSRF: a POST without the double-submit CSRF token;
// - InvalidProvider: a callback without a provider;
// - a plain Error 'Provider with id "…" not found': a provider id that is not configured
//   (Auth.js throws no typed error for it);
// - JWTSessionError caused by the token itself (jose's ERR_JW* codes): a session cookie
//   that is forged, truncated or sealed with an old secret. When the cause is anything
//   else (the database behind our jwt callback), it is ours and stays an error.
// CredentialsSignin (a wrong password) is an everyday answer, logged where it is decided.
//
// Not classified, so still errors: OAuthCallbackError (the provider answered with an
// error; Auth.js drops its code, so a person pressing "Cancel" cannot be told apart from a
// misconfigured app), and every configuration or adapter error.
import type { Logger } from "@/lib/logger";

const MALFORMED_TYPES = new Set([
  "InvalidCallbackUrl",
  "UnknownAction",
  "InvalidCheck",
  "MissingCSRF",
  "InvalidProvider",
]);

const UNKNOWN_PROVIDER = /^Provider with id ".*" not found\./s;

export type AuthErrorVerdict =
  /** An everyday answer, logged elsewhere (a wrong password). */
  | { level: "ignore" }
  /** The client sent something malformed: `kind` names it, `detail` says what (no stack). */
  | { level: "warn"; kind: string; detail: string }
  /** Our code, our configuration or a dependency failed. */
  | { level: "error" };

function typeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("type" in error)) return undefined;
  return typeof error.type === "string" ? error.type : undefined;
}

/** Auth.js wraps a cause as `cause: { err }` (see AuthError's constructor). */
function wrappedCause(error: Error): unknown {
  const cause = error.cause;
  if (typeof cause !== "object" || cause === null || !("err" in cause)) return cause;
  return cause.err;
}

/** jose's errors carry a code: ERR_JWE_*, ERR_JWS_*, ERR_JWT_*, ERR_JWK_*. */
function isTokenError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^ERR_JW[EKST]_/.test(code)) return true;
  // Auth.js's own words for a token that decodes to nothing.
  return error.message === "Invalid JWT";
}

/** The message without Auth.js's "Read more at …" link, bounded (it may quote the input). */
function detailOf(error: Error): string {
  const message = error.message.replace(/\.? ?Read more at https:\/\/errors\.authjs\.dev\S*$/, "");
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

export function classifyAuthError(error: unknown): AuthErrorVerdict {
  if (!(error instanceof Error)) return { level: "error" };
  const type = typeOf(error);
  if (type === "CredentialsSignin") return { level: "ignore" };
  if (type !== undefined && MALFORMED_TYPES.has(type)) {
    return { level: "warn", kind: type, detail: detailOf(error) };
  }
  if (type === undefined && UNKNOWN_PROVIDER.test(error.message)) {
    return { level: "warn", kind: "UnknownProvider", detail: detailOf(error) };
  }
  if (type === "JWTSessionError" && isTokenError(wrappedCause(error))) {
    const cause = wrappedCause(error) as Error;
    return { level: "warn", kind: "UnreadableSessionCookie", detail: detailOf(cause) };
  }
  return { level: "error" };
}

export interface AuthLoggerDeps {
  logger: Logger;
  /** The request being handled; rejects outside a request (then "unknown" is logged). */
  requestId: () => Promise<string>;
}

/** The `logger` of the Auth.js configuration. */
export function createAuthLogger(deps: AuthLoggerDeps) {
  const withRequestId = (write: (requestId: string) => void) => {
    // Auth.js calls the logger synchronously; the request id is read from the request's
    // headers, which Next hands out asynchronously. The line follows a moment later.
    void deps
      .requestId()
      .catch(() => "unknown")
      .then(write);
  };
  return {
    error(error: Error) {
      const verdict = classifyAuthError(error);
      if (verdict.level === "ignore") return;
      if (verdict.level === "warn") {
        const { kind, detail } = verdict;
        withRequestId((requestId) =>
          deps.logger.warn("auth: malformed request refused", { kind, detail, requestId }),
        );
        return;
      }
      withRequestId((requestId) => deps.logger.error("auth error", { error, requestId }));
    },
    warn(code: string) {
      deps.logger.warn("auth warning", { code });
    },
    debug(message: string, metadata?: unknown) {
      deps.logger.debug(`auth: ${message}`, { metadata });
    },
  };
}

/** Auth.js's own test for a callbackUrl (assertConfig's isValidHttpUrl). */
function isValidCallbackUrl(url: string, origin: string): boolean {
  try {
    return /^https?:/.test(new URL(url, url.startsWith("/") ? origin : undefined).protocol);
  } catch {
    return false;
  }
}

/** The cookie where Auth.js keeps the callback URL (plain or __Secure- prefixed). */
const CALLBACK_URL_COOKIE = /^(__Secure-)?authjs\.callback-url$/;

/**
 * True when a request to /api/auth carries a callbackUrl Auth.js would refuse, in the query
 * or in its cookie. Auth.js answers those with a 500 ("a problem with the server
 * configuration") for everything but its HTML pages; the route answers 400 first.
 */
export function hasInvalidCallbackUrl(request: {
  url: string;
  cookies: { getAll(): { name: string; value: string }[] };
}): boolean {
  const url = new URL(request.url);
  const values = [
    ...url.searchParams.getAll("callbackUrl"),
    ...request.cookies
      .getAll()
      .filter(({ name }) => CALLBACK_URL_COOKIE.test(name))
      .map(({ value }) => value),
  ];
  return values.some((value) => value !== "" && !isValidCallbackUrl(value, url.origin));
}
