import { handlers } from "@/lib/auth";
import { recordCallbackFailures } from "@/lib/auth/callback-failures";
import { captureRefusal } from "@/lib/auth/sign-in-refusal";
import { contextFromHeaders } from "@/lib/http/request-context";
import { requestIdFrom } from "@/lib/http/request-id";
import { tooManyRequests } from "@/lib/http/too-many-requests";
import { getServices } from "@/lib/services";

const deps = () => ({
  prisma: getServices().database.prisma,
  logger: getServices().logger,
  context: (request: Request) => contextFromHeaders(request.headers),
});

type AuthRequest = Parameters<typeof handlers.GET>[0];

// Auth.js's handlers take a NextRequest; the wrapper passes the same object through.
export const GET = recordCallbackFailures((request) => handlers.GET(request as AuthRequest), deps);

// A password sign-in posted here directly (the sign-in form uses a server action instead)
// that the guard refuses would get Auth.js's redirect to the sign-in page; an HTTP client
// gets 429 (or 503 when the limiter could not decide) with Retry-After instead.
export async function POST(request: AuthRequest): Promise<Response> {
  const { result, refusal } = await captureRefusal(() => handlers.POST(request));
  if (!refusal) return result;
  return tooManyRequests(refusal, { html: false, requestId: requestIdFrom(request.headers) });
}
