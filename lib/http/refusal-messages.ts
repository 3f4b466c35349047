// What a person reads when proxy.ts refuses a request, or when a page is older than the
// server it talks to. Shared by the server (the refusal's body) and the forms, which match
// these exact strings to show them next to what was typed. No imports: browser-safe.

/** 413: the body is over REQUEST_BODY_LIMIT_KB. */
export const BODY_TOO_LARGE_MESSAGE =
  "What you sent is too large for Gatehouse. Shorten what you typed and try again.";

/** 403: a form or server action posted from a page of another site. */
export const CROSS_ORIGIN_MESSAGE =
  "This form was sent from another site, so Gatehouse refused it. Open Gatehouse directly and try again.";

/** 400: the body stopped before its end (the client went away or sent it badly). */
export const INCOMPLETE_BODY_MESSAGE = "The request did not arrive completely. Please try again.";

/**
 * A server action id the server no longer knows (Next answers 409 with
 * x-nextjs-action-not-found): the page was loaded before a deploy. Only a reload fetches
 * the new one; the form keeps what was typed so nothing is lost until then.
 */
export const STALE_PAGE_MESSAGE =
  "Gatehouse has been updated since you opened this page. Reload the page, then try again.";
