// The account page's devices: sign out one, every other one, or all of them.
import { AccountError } from "@/lib/account/errors";
import { revokeSessionSchema } from "@/lib/account/schemas";
import { createActionClients, type ActionDependencies } from "@/lib/actions/clients";
import { revokeAllSessions, revokeSession } from "@/lib/auth/sessions";

export interface SessionActionDependencies extends ActionDependencies {
  /** Clears this browser's session cookie (Auth.js signOut); ends in a redirect. */
  signOut: (redirectTo: string) => Promise<never>;
}

/** Where a browser goes once its own session is revoked. */
export const SIGNED_OUT_PATH = "/sign-in";
/** …and after "Sign out everywhere": the sign-in page says that every device is out. */
export const SIGNED_OUT_EVERYWHERE_PATH = "/sign-in?signedOut=everywhere";

export function createSessionActions(deps: SessionActionDependencies) {
  const { authedActionClient, recentSignInActionClient } = createActionClients(deps);
  const prisma = () => deps.services().database.prisma;

  return {
    /** One device. Revoking this browser's own session signs it out. */
    revokeSession: authedActionClient
      .inputSchema(revokeSessionSchema)
      .action(async ({ parsedInput, ctx }) => {
        const revoked = await revokeSession(prisma(), {
          userId: ctx.session.userId,
          sessionId: parsedInput.sessionId,
          now: ctx.now,
          context: ctx.context,
          reason: "revoked from the account page",
        });
        if (!revoked) throw new AccountError("not-found");
        if (parsedInput.sessionId === ctx.session.sessionId) return deps.signOut(SIGNED_OUT_PATH);
        return { revoked: 1 };
      }),

    /** Every device but this one: what someone does when they suspect a stolen session. */
    revokeOtherSessions: authedActionClient.action(async ({ ctx }) => {
      const revoked = await revokeAllSessions(prisma(), {
        userId: ctx.session.userId,
        exceptSessionId: ctx.session.sessionId,
        now: ctx.now,
        context: ctx.context,
      });
      return { revoked };
    }),

    /** Every device including this one; ends on the sign-in page. */
    revokeAllSessions: recentSignInActionClient.action(async ({ ctx }) => {
      await revokeAllSessions(prisma(), {
        userId: ctx.session.userId,
        now: ctx.now,
        context: ctx.context,
      });
      return deps.signOut(SIGNED_OUT_EVERYWHERE_PATH);
    }),
  };
}
