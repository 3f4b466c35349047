// The answer to a request proxy.ts refuses as malformed (lib/http/request-gate.ts), in the
// form its client can use:
//
// - "action": a server action called by the page's JavaScript (it sends `Next-Action`).
//   Next's client turns a 4xx `text/plain` answer into an Error carrying the text — the
//   content type must be exactly "text/plain" for that — and the forms show that text when
//   it is one of ours (components/forms/action-failure.ts). Anything else would surface as
//   "An unexpected response was received from the server."
// - "html": a browser navigation (a form posted before the page's scripts ran): a small
//   page with no script and no asset, like the rate limit's.
// - "json": /api/* and every other client.
import {
  BODY_TOO_LARGE_MESSAGE,
  CROSS_ORIGIN_MESSAGE,
  INCOMPLETE_BODY_MESSAGE,
} from "@/lib/http/refusal-messages";
import { plainPage } from "@/lib/http/plain-page";
import { REQUEST_ID_HEADER } from "@/lib/http/request-id";
import { isApiPath } from "@/lib/http/request-gate";

export type RefusalReason = "body-too-large" | "cross-origin" | "incomplete-body";

export type RefusalFormat = "action" | "html" | "json";

export function refusalFormat(request: { headers: Headers; url: string }): RefusalFormat {
  if (isApiPath(new URL(request.url).pathname)) return "json";
  if (request.headers.has("next-action")) return "action";
  return (request.headers.get("accept") ?? "").includes("text/html") ? "html" : "json";
}

const answers: Record<
  RefusalReason,
  { status: number; error: string; title: string; message: string }
> = {
  "body-too-large": {
    status: 413,
    error: "payload_too_large",
    title: "Too large",
    message: BODY_TOO_LARGE_MESSAGE,
  },
  "cross-origin": {
    status: 403,
    error: "cross_origin",
    title: "Refused",
    message: CROSS_ORIGIN_MESSAGE,
  },
  "incomplete-body": {
    status: 400,
    error: "bad_request",
    title: "Incomplete request",
    message: INCOMPLETE_BODY_MESSAGE,
  },
};

export function refusal(
  reason: RefusalReason,
  options: { format: RefusalFormat; requestId: string; limitBytes?: number },
): Response {
  const answer = answers[reason];
  const headers = new Headers({
    // About this request only: never cached, and the request id ties it to the log line.
    "Cache-Control": "no-store",
    [REQUEST_ID_HEADER]: options.requestId,
  });
  // The rest of an oversized body is not wanted: let the connection end after the answer.
  if (reason === "body-too-large") headers.set("Connection", "close");
  if (options.format === "action") {
    headers.set("Content-Type", "text/plain");
    return new Response(answer.message, { status: answer.status, headers });
  }
  if (options.format === "html") {
    headers.set("Content-Type", "text/html; charset=utf-8");
    return new Response(plainPage(answer.title, answer.message, options.requestId), {
      status: answer.status,
      headers,
    });
  }
  return Response.json(
    {
      error: answer.error,
      message: answer.message,
      ...(reason === "body-too-large" && options.limitBytes !== undefined
        ? { limitBytes: options.limitBytes }
        : {}),
      requestId: options.requestId,
    },
    { status: answer.status, headers },
  );
}
