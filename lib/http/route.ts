// Wraps route handlers so that nothing unexpected ever reaches the client as a raw 500 or
// a stack trace: the client gets a JSON error with a request id, the log gets the details.
// Both wrappers run the handler in the request's scope (lib/request-scope.ts), so every line
// logged while it runs — Auth.js callbacks and services included — carries the request id.
import type { Logger } from "@/lib/logger";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";
import { runInRequestScope } from "@/lib/request-scope";

export interface RouteContext {
  requestId: string;
  logger: Logger;
}

export function jsonError(
  status: number,
  error: string,
  message: string,
  requestId: string,
): Response {
  return Response.json(
    { error, message, requestId },
    { status, headers: { "cache-control": "no-store", [REQUEST_ID_HEADER]: requestId } },
  );
}

// What proxy.ts adds to every request for Next (the CSP and its nonce, the security headers):
// the same on every line, and nothing about the client.
const proxyHeaders = new Set([
  "content-security-policy",
  "x-nonce",
  "permissions-policy",
  "referrer-policy",
  "x-content-type-options",
  "x-frame-options",
  "cross-origin-opener-policy",
  "cross-origin-resource-policy",
  "strict-transport-security",
]);

/**
 * The request as a debug line shows it: method, path, query and the client's headers.
 * Secrets among them (cookies, Authorization, a code or token in the query …) are redacted
 * by the logger (lib/logger.ts, REDACTED_PATHS); the body is never read here.
 */
export function requestFields(request: Request): Record<string, unknown> {
  const url = new URL(request.url);
  const headers = [...request.headers].filter(([name]) => !proxyHeaders.has(name));
  return {
    req: {
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(headers),
    },
  };
}

/**
 * Runs a route handler in its request's scope, after a debug line describing the request.
 * For handlers that answer errors themselves (Auth.js's); others use withRouteErrors.
 */
export function withRequestScope<R extends Request, Args extends unknown[]>(
  getLogger: () => Logger,
  handler: (request: R, ...args: Args) => Promise<Response>,
): (request: R, ...args: Args) => Promise<Response> {
  return (request, ...args) =>
    runInRequestScope(requestIdFrom(request.headers), () => {
      getLogger().debug("request", requestFields(request));
      return handler(request, ...args);
    });
}

export function withRouteErrors<Args extends unknown[]>(
  getLogger: () => Logger,
  handler: (request: Request, context: RouteContext, ...args: Args) => Promise<Response>,
): (request: Request, ...args: Args) => Promise<Response> {
  return (request, ...args) => {
    const requestId = requestIdFrom(request.headers);
    return runInRequestScope(requestId, () => handle(requestId, request, ...args));
  };

  async function handle(requestId: string, request: Request, ...args: Args): Promise<Response> {
    let logger: Logger | undefined;
    try {
      logger = getLogger().child({ requestId });
      logger.debug("request", requestFields(request));
      const response = await handler(request, { requestId, logger }, ...args);
      response.headers.set(REQUEST_ID_HEADER, requestId);
      return response;
    } catch (error) {
      // Even the logger may be what failed (bad settings): fall back to the console.
      if (logger)
        logger.error("route handler failed", { error, path: new URL(request.url).pathname });
      else
        console.error(
          JSON.stringify({ level: "error", message: "route handler failed", requestId }),
        );
      return jsonError(
        500,
        "internal_error",
        "Something went wrong. Quote this reference if you contact support.",
        requestId,
      );
    }
  }
}
