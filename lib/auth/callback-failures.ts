// Every sign-in attempt leaves a security event, failures included. Auth.js handles a
// failed OAuth callback (provider error, bad token answer, timeout) by redirecting to the
// error page; this wrapper around the route handler sees that redirect and records it with
// the provider as the method. Policy refusals are recorded where they are decided (the
// signIn callback), so their codes are skipped here.
import { policyErrors } from "@/lib/auth/constants";
import { recordSignInFailure } from "@/lib/auth/identity";
import type { RequestContext } from "@/lib/http/request-context";
import type { Logger } from "@/lib/logger";
import type { AfterRecordHook, DbClient } from "@/lib/security/events";

const alreadyRecorded = new Set<string>(Object.values(policyErrors));

export interface CallbackFailureDeps {
  prisma: DbClient;
  logger: Logger;
  context: (request: Request) => RequestContext;
  /** Runs with each failure's event (the sign-in metrics). */
  afterRecord?: AfterRecordHook;
}

/** The provider id when `request` is an OAuth callback (`/api/auth/callback/<id>`). */
function callbackProvider(request: Request): string | null {
  const match = /\/api\/auth\/callback\/([a-z0-9-]+)$/.exec(new URL(request.url).pathname);
  return match?.[1] ?? null;
}

/** The Auth.js error code when `response` redirects to an error page. */
function failureCode(response: Response): string | null {
  const location = response.headers.get("location");
  if (!location || response.status < 300 || response.status >= 400) return null;
  const url = new URL(location, "http://placeholder");
  if (url.pathname !== "/auth/error" && url.pathname !== "/sign-in") return null;
  return url.searchParams.get("error");
}

export function recordCallbackFailures(
  handler: (request: Request) => Promise<Response>,
  deps: () => CallbackFailureDeps,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const response = await handler(request);
    const provider = callbackProvider(request);
    const code = provider ? failureCode(response) : null;
    if (provider && code && !alreadyRecorded.has(code)) {
      const { prisma, logger, context, afterRecord } = deps();
      try {
        await recordSignInFailure(
          prisma,
          { userId: null, method: provider, reason: code, ...context(request) },
          { afterRecord },
        );
      } catch (error) {
        // Losing one audit row must not turn a clean error page into a 500.
        logger.error("could not record a failed sign-in", { error, provider, code });
      }
    }
    return response;
  };
}
