// What proxy.ts refuses before the app sees a request, as pure decisions (unit-tested in
// tests/unit/request-gate.test.ts):
//
// - Bodies over the limit (REQUEST_BODY_LIMIT_KB). A declared Content-Length is judged from
//   the header alone. A body without one (chunked transfer encoding) is counted as it
//   arrives, up to the limit: Next hands the proxy its own copy of the body (and keeps the
//   app's copy aside), so counting it here costs nothing the app needs. Either way the refusal
//   comes before Next's action handler or a route handler parses anything.
// - POSTs to pages (where Next runs server actions) from another origin. Next refuses those
//   itself, but with a 500 and an error-level log line per request; this answers 403.
//   Requests without an Origin header pass, as Next lets them: browsers always send one with
//   a POST, so only hand-made requests lack it, and those cannot carry someone else's cookies.
//   /api/* is exempt: route handlers do not run server actions, and OAuth providers that
//   answer with a form post (`response_mode=form_post`) post there from their own origin.

/** How the body of a request is checked against the limit. */
export type BodyCheck =
  /** No body can follow (GET, HEAD) and none was declared. */
  | { kind: "none" }
  /** Content-Length says how big it is: decided from the header. */
  | { kind: "declared"; bytes: number; tooLarge: boolean }
  /** No usable Content-Length (chunked): count the body as it arrives. */
  | { kind: "undeclared" };

export function bodyCheck(options: {
  method: string;
  contentLength: string | null;
  limitBytes: number;
}): BodyCheck {
  const declared = options.contentLength?.trim() ?? "";
  if (/^\d+$/.test(declared)) {
    // Number() of a huge digit string is a huge float, still "more than the limit".
    const bytes = Number(declared);
    return { kind: "declared", bytes, tooLarge: bytes > options.limitBytes };
  }
  // Next passes no body to anything for GET and HEAD.
  const method = options.method.toUpperCase();
  if (method === "GET" || method === "HEAD") return { kind: "none" };
  // Node refuses a malformed Content-Length before we run, so this is a body without one.
  return { kind: "undeclared" };
}

export type CountedBody = "within" | "too-large" | "incomplete";

/**
 * Reads `body` until its end or until it passes `limitBytes`, whichever comes first, and
 * stops reading there. "incomplete" when the stream fails (the client went away mid-body).
 */
export async function countBody(
  body: ReadableStream<Uint8Array> | null,
  limitBytes: number,
): Promise<CountedBody> {
  if (!body) return "within";
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return "within";
      total += value.byteLength;
      if (total > limitBytes) {
        // Stop reading our copy; the refusal does not need the rest.
        await reader.cancel().catch(() => undefined);
        return "too-large";
      }
    }
  } catch {
    // An aborted upload: there is nothing to hand to the app and nobody to answer at length.
    return "incomplete";
  } finally {
    reader.releaseLock();
  }
}

export function isApiPath(pathname: string): boolean {
  return pathname === "/api" || pathname.startsWith("/api/");
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Scheme, host and port of an origin, with the loopback names made one (APP_URL is
 * written with "localhost", a browser on http://127.0.0.1:3000 sends that), or null when it
 * is not an http(s) origin at all ("null" from sandboxed frames, garbage).
 */
function originKey(origin: string): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const host = LOOPBACK_HOSTS.has(url.hostname) ? "localhost" : url.hostname;
  return `${url.protocol}//${host}:${url.port}`;
}

/** True when a POST to a page comes from a page of another origin than APP_URL. */
export function isCrossOriginPagePost(options: {
  method: string;
  pathname: string;
  origin: string | null;
  appUrl: string;
}): boolean {
  if (options.method.toUpperCase() !== "POST" || isApiPath(options.pathname)) return false;
  if (options.origin === null) return false;
  return !isSameOrigin(options.origin, options.appUrl);
}

/**
 * True when an Origin header names APP_URL's origin (loopback names made one). Route
 * handlers that only the app's own pages may call check it themselves: the proxy leaves
 * /api/* alone.
 */
export function isSameOrigin(origin: string, appUrl: string): boolean {
  const own = originKey(appUrl);
  return own !== null && originKey(origin) === own;
}
