// The answer to a request a rate limit refused: 429 with Retry-After and RateLimit-*, as
// JSON for API clients and as a small self-contained page for a browser's navigation.
// When the limiter could not decide and the limit fails closed, the answer is 503 with a
// short Retry-After instead: nothing was used up, the service is briefly unavailable.
import { REQUEST_ID_HEADER } from "@/lib/http/request-id";
import { waitInWords } from "@/lib/security/password-guard";

export interface LimitedAnswer {
  reason: "limited" | "unavailable";
  retryAfterSeconds: number;
  /** From rateLimitHeaders(): Retry-After and RateLimit-*. */
  headers: Record<string, string>;
}

/** JSON unless the client is a browser navigating to a page (not an API route). */
export function wantsHtml(request: { headers: Headers; nextUrl?: URL; url: string }): boolean {
  const path = (request.nextUrl ?? new URL(request.url)).pathname;
  if (path === "/api" || path.startsWith("/api/")) return false;
  return (request.headers.get("accept") ?? "").includes("text/html");
}

export function limitedMessage({ reason, retryAfterSeconds }: LimitedAnswer): string {
  if (reason === "unavailable") return "This is briefly unavailable. Please try again shortly.";
  return `Too many requests. Please wait ${waitInWords(retryAfterSeconds)} and try again.`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A page with no script and no asset but the icon (exempt from the limit, and asked for
 * anyway): the refused browser should not come back for CSS and fonts, each another request
 * against the same limit. The inline style is allowed by the CSP's style-src.
 */
function page(message: string, requestId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><link rel="icon" href="/icon.svg"><title>Slow down — Gatehouse</title>
<style>
:root{color-scheme:light dark;font-family:system-ui,sans-serif}
body{margin:0;min-height:100vh;display:grid;place-items:center;padding:1.25rem;box-sizing:border-box}
main{max-width:32rem}h1{font-size:2rem;margin:0 0 .75rem}p{font-size:1.125rem;line-height:1.5}
a{font-weight:700}small{opacity:.7}
</style></head>
<body><main><h1>Slow down</h1><p>${escapeHtml(message)}</p>
<p><a href="/">Go to the home page</a></p>
<p><small>Reference: ${escapeHtml(requestId)}</small></p></main></body></html>`;
}

export function tooManyRequests(
  answer: LimitedAnswer,
  { html, requestId }: { html: boolean; requestId: string },
): Response {
  const message = limitedMessage(answer);
  const status = answer.reason === "unavailable" ? 503 : 429;
  const headers = new Headers(answer.headers);
  headers.set("Retry-After", String(Math.max(1, answer.retryAfterSeconds)));
  // Never cache a refusal: it is about this client, now.
  headers.set("Cache-Control", "no-store");
  headers.set(REQUEST_ID_HEADER, requestId);
  if (html) {
    headers.set("Content-Type", "text/html; charset=utf-8");
    return new Response(page(message, requestId), { status, headers });
  }
  return Response.json(
    {
      error: answer.reason === "unavailable" ? "unavailable" : "rate_limited",
      message,
      retryAfterSeconds: answer.retryAfterSeconds,
      requestId,
    },
    { status, headers },
  );
}
