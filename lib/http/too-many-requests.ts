// The answer to a request a rate limit refused: 429 with Retry-After and RateLimit-*, as
// JSON for API clients and as a small self-contained page for a browser's navigation.
// When the limiter could not decide and the limit fails closed, the answer is 503 with a
// short Retry-After instead: nothing was used up, the service is briefly unavailable.
import { plainPage } from "@/lib/http/plain-page";
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
    return new Response(plainPage("Slow down", message, requestId), { status, headers });
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
