// The two next-safe-action clients every state-changing action is built on.
//
// - `actionClient` (base): validates input with the action's zod schema and turns errors
//   into answers. Known refusals (AccountError) keep their own, safe message; anything
//   else is logged with the request id and answered with a generic message quoting it,
//   so the person can report it and the log has the details. Never a stack trace.
// - `authedActionClient`: loads the session and refuses to run without one (redirect to
//   sign-in). Actions read who is asking from ctx.session, never from their input.
// - `recentSignInActionClient`: also needs a sign-in from the last few minutes; otherwise
//   the person is sent through sign-in again and brought back to the account page.
//
// Built by a factory so tests run actions against a real database with a fake session;
// lib/actions/account.ts wires the real ones.
import { redirect } from "next/navigation";
import { createSafeActionClient } from "next-safe-action";

import { AccountError } from "@/lib/account/errors";
import { ACCOUNT_PATH } from "@/lib/auth/config";
import { isRecentSignIn, reauthenticationPath } from "@/lib/auth/recent-sign-in";
import type { RequestContext } from "@/lib/http/request-context";
import type { Services } from "@/lib/root";

/** The signed-in browser, as the action clients need it. */
export interface ActionSession {
  userId: string;
  /** The Session row's id. */
  sessionId: string;
  /** Seconds since the epoch; null when the token predates the field. */
  authTime: number | null;
}

export interface ActionDependencies {
  /** Resolved on each call: nothing is read at import time (next build imports actions). */
  services: () => Pick<Services, "settings" | "logger" | "database" | "passwordGuard">;
  /** The current, valid session (revocation checked), or null. */
  getSession: () => Promise<ActionSession | null>;
  requestContext: () => Promise<RequestContext>;
  now?: () => Date;
}

export const GENERIC_ACTION_ERROR = "Something went wrong on our side. Please try again.";

export function createActionClients(deps: ActionDependencies) {
  const now = deps.now ?? (() => new Date());

  const actionClient = createSafeActionClient({
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
  }).use(async ({ next }) => next({ ctx: { context: await deps.requestContext(), now: now() } }));

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
