import { handlers } from "@/lib/root/auth";
import { recordCallbackFailures } from "@/lib/auth/callback-failures";
import { hasInvalidCallbackUrl } from "@/lib/auth/malformed";
import { captureRefusal } from "@/lib/auth/sign-in-refusal";
import { contextFromHeaders } from "@/lib/http/request-context";
import { requestIdFrom } from "@/lib/http/request-id";
import { jsonError, withRequestScope } from "@/lib/http/route";
import { tooManyRequests } from "@/lib/http/too-many-requests";
import { getServices } from "@/lib/root";

const deps = () => ({
  prisma: getServices().database.prisma,
  logger: getServices().logger,
  context: (request: Request) => contextFromHeaders(request.headers),
  afterRecord: getServices().afterRecord,
});

type AuthRequest = Parameters<typeof handlers.GET>[0];

/**
 * A callbackUrl (query or cookie) Auth.js would refuse gets a 400 here. Auth.js itself
 * answers it with a 500 "problem with the server configuration" for everything but its HTML
 * pages, blaming us for the client's input. Logged once, at warn (lib/auth/malformed.ts).
 */
function refuseInvalidCallbackUrl(request: AuthRequest): Response | null {
  if (!hasInvalidCallbackUrl(request)) return null;
  const requestId = requestIdFrom(request.headers);
  getServices().logger.warn("auth: malformed request refused", {
    kind: "InvalidCallbackUrl",
    requestId,
    path: request.nextUrl.pathname,
  });
  return jsonError(400, "bad_request", "The callback URL is not a valid address.", requestId);
}

// Auth.js's handlers take a NextRequest; the wrapper passes the same object through.
const getHandler = recordCallbackFailures((request) => handlers.GET(request as AuthRequest), deps);

// Both run in the request's scope, so what Auth.js's callbacks log carries the request id.
export const GET = withRequestScope(
  () => getServices().logger,
  async (request: AuthRequest): Promise<Response> =>
    refuseInvalidCallbackUrl(request) ?? getHandler(request),
);

// A password sign-in posted here directly (the sign-in form uses a server action instead)
// that the guard refuses would get Auth.js's redirect to the sign-in page; an HTTP client
// gets 429 (or 503 when the limiter could not decide) with Retry-After instead.
export const POST = withRequestScope(
  () => getServices().logger,
  async (request: AuthRequest): Promise<Response> => {
    const invalid = refuseInvalidCallbackUrl(request);
    if (invalid) return invalid;
    const { result, refusal } = await captureRefusal(() => handlers.POST(request));
    if (!refusal) return result;
    return tooManyRequests(refusal, { html: false, requestId: requestIdFrom(request.headers) });
  },
);
