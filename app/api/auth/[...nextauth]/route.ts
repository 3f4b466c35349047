import { handlers } from "@/lib/auth";
import { recordCallbackFailures } from "@/lib/auth/callback-failures";
import { contextFromHeaders } from "@/lib/http/request-context";
import { getServices } from "@/lib/services";

const deps = () => ({
  prisma: getServices().database.prisma,
  logger: getServices().logger,
  context: (request: Request) => contextFromHeaders(request.headers),
});

// Auth.js's handlers take a NextRequest; the wrapper passes the same object through.
export const GET = recordCallbackFailures(
  (request) => handlers.GET(request as Parameters<typeof handlers.GET>[0]),
  deps,
);
export const POST = handlers.POST;
