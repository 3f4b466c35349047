// The next-safe-action clients every server action is built on.
//
// - `actionClient` (base, for sign-in, sign-up and sign-out too): validates input with the
//   action's zod schema and turns errors into answers. Known refusals keep their own, safe
//   message (an AccountError, or returnServerError() for the sign-in and sign-up refusals);
//   anything else is logged with the request id and answered with a generic message
//   quoting it, so the person can report it and the log has the details. Never a stack
//   trace. Next's redirects (a finished sign-in, a sign-out) pass through as redirects.
// - `authedActionClient`: loads the session and refuses to run without one (redirect to
//   sign-in). Actions read who is asking from ctx.session, never from their input.
// - `recentSignInActionClient`: also needs a sign-in from the last few minutes; otherwise
//   the person is sent through sign-in again and brought back to the account page.
//
// Built by factories so tests run actions against a real database with a fake session;
// lib/actions/account.ts and lib/actions/auth.ts wire the real ones.
import { redirect } from "next/navigation";
import { createSafeActionClient } from "next-safe-action";

import { AccountError } from "@/lib/account/errors";
import { ACCOUNT_PATH } from "@/lib/auth/config";
import { isRecentSignIn, reauthenticationPath } from "@/lib/auth/recent-sign-in";
import type { RequestContext } from "@/lib/http/request-context";
import { runInRequestScope } from "@/lib/request-scope";
import type { Services } from "@/lib/root";

/** The signed-in browser, as the action clients need it. */
export interface ActionSession {
  userId: string;
  /** The Session row's id. */
  sessionId: string;
  /** Seconds since the epoch; null when the token predates the field. */
  authTime: number | null;
}

/** What the base client needs; each group of actions adds its own. */
export interface ActionClientDependencies {
  /** Resolved on each call: nothing is read at import time (next build imports actions). */
  services: () => Pick<Services, "settings" | "logger">;
  requestContext: () => Promise<RequestContext>;
  now?: () => Date;
}

export interface ActionDependencies extends ActionClientDependencies {
  /** `afterRecord` runs in the transaction of each security event an action records (the
   *  hooks the composition root registered: Telegram alerts). */
  services: () => Pick<
    Services,
    "settings" | "logger" | "database" | "passwordGuard" | "afterRecord"
  >;
  /** The current, valid session (revocation checked), or null. */
  getSession: () => Promise<ActionSession | null>;
}

export const GENERIC_ACTION_ERROR = "Something went wrong on our side. Please try again.";

/** The base client: input validation, the request context and clock, error answers. */
export function createActionClient(deps: ActionClientDependencies) {
  const now = deps.now ?? (() => new Date());
  return createSafeActionClient({
    // { formErrors, fieldErrors: { field: [messages] } }: what a form shows next to inputs.
    defaultValidationErrorsShape: "flattened",
    async handleServerError(error) {
      if (error instanceof AccountError) return error.message;
      let requestId = "unknown";
      try {
        ({ requestId } = await deps.requestContext());
      } catch {
        // Logging must not fail because the request context could not be read.
      }
      deps.services().logger.error("server action failed", { error, requestId });
      return `${GENERIC_ACTION_ERROR} (Reference: ${requestId})`;
    },
  }).use(async ({ next }) => {
    const context = await deps.requestContext();
    // The action runs in its request's scope: what it and the services (Auth.js's callbacks
    // for a sign-in) log carries the request id without being handed it.
    return runInRequestScope(context.requestId, () => next({ ctx: { context, now: now() } }));
  });
}

/** The base client plus the two that need a signed-in (and recently signed-in) browser. */
export function createActionClients(deps: ActionDependencies) {
  const actionClient = createActionClient(deps);

  const authedActionClient = actionClient.use(async ({ next }) => {
    const session = await deps.getSession();
    // The proxy is a first line only: every action checks the session itself.
    if (!session) redirect(`/sign-in?${new URLSearchParams({ callbackUrl: ACCOUNT_PATH })}`);
    return next({ ctx: { session } });
  });

  const recentSignInActionClient = authedActionClient.use(async ({ next, ctx }) => {
    const { recentSignInMaxAgeSeconds } = deps.services().settings.auth;
    if (!isRecentSignIn(ctx.session.authTime, ctx.now, recentSignInMaxAgeSeconds)) {
      redirect(reauthenticationPath(ACCOUNT_PATH));
    }
    return next();
  });

  return { actionClient, authedActionClient, recentSignInActionClient };
}
