// Wraps route handlers so that nothing unexpected ever reaches the client as a raw 500 or
// a stack trace: the client gets a JSON error with a request id, the log gets the details.
import type { Logger } from "@/lib/logger";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";

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

export function withRouteErrors<Args extends unknown[]>(
  getLogger: () => Logger,
  handler: (request: Request, context: RouteContext, ...args: Args) => Promise<Response>,
): (request: Request, ...args: Args) => Promise<Response> {
  return async (request, ...args) => {
    const requestId = requestIdFrom(request.headers);
    let logger: Logger | undefined;
    try {
      logger = getLogger().child({ requestId });
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
  };
}
