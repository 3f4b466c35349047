// The account page's two-step verification: set up an authenticator app (start, then turn
// on with a current code), cancel a set-up, make new recovery codes, turn it off.
//
// Everything but cancelling needs a recent sign-in: someone holding a stolen session who
// adds their own app locks the owner out at the next sign-in, and turning it off or
// reading fresh recovery codes takes the owner's protection away. Cancelling only drops a
// key that protects nothing yet, so a session is enough (and a person sent off to confirm
// it's them can still back out).
//
// The key is never part of an answer: "start" only stores it, and the page reads it back
// and draws it on the server (lib/auth/second-factor, pendingTotpEnrolment). Recovery codes
// are the one thing answered in clear, once, by the action that makes them.
import { returnValidationErrors } from "next-safe-action";

import { AccountError, accountErrorMessages } from "@/lib/account/errors";
import { confirmTwoStepSchema } from "@/lib/account/schemas";
import { totpLabels } from "@/lib/account/two-step";
import { createActionClients, type ActionDependencies } from "@/lib/actions/clients";
import { requireCodeBudget } from "@/lib/actions/code-budget";
import {
  cancelTotpEnrolment,
  confirmTotpEnrolment,
  disableTotp,
  regenerateRecoveryCodes,
  startTotpEnrolment,
} from "@/lib/auth/second-factor";
import type { Services } from "@/lib/root";

export interface TwoStepActionDependencies extends ActionDependencies {
  /** The second factor's keys, and the limiter for the code budget. */
  services: () => Pick<
    Services,
    | "settings"
    | "logger"
    | "database"
    | "passwordGuard"
    | "afterRecord"
    | "limiter"
    | "secondFactorKeys"
  >;
}

export function createTwoStepActions(deps: TwoStepActionDependencies) {
  const { authedActionClient, recentSignInActionClient } = createActionClients(deps);

  return {
    /** "Set up authenticator app": a new pending key (replacing a pending one). */
    startTwoStep: recentSignInActionClient.action(async ({ ctx }) => {
      const { database, secondFactorKeys } = deps.services();
      const { userId } = ctx.session;
      const user = await database.prisma.user.findUnique({
        where: { id: userId },
        select: { email: true, name: true },
      });
      if (!user) throw new AccountError("not-found");
      const started = await startTotpEnrolment(database.prisma, {
        userId,
        now: ctx.now,
        keys: secondFactorKeys,
        ...totpLabels(user),
      });
      if (started.status === "already-enabled") throw new AccountError("two-step-on");
      if (started.status === "unknown-user") throw new AccountError("not-found");
      return { started: true as const };
    }),

    /** "Turn on": the first code from the app; answers the recovery codes, once. */
    confirmTwoStep: recentSignInActionClient
      .inputSchema(confirmTwoStepSchema)
      .action(async ({ parsedInput, ctx }) => {
        const { database, limiter, secondFactorKeys, afterRecord } = deps.services();
        const { userId } = ctx.session;
        // Before anything else, every well-formed code costs a try.
        await requireCodeBudget(limiter, { userId, ip: ctx.context.ip });
        const confirmed = await confirmTotpEnrolment(database.prisma, {
          userId,
          code: parsedInput.code,
          now: ctx.now,
          keys: secondFactorKeys,
          context: ctx.context,
          afterRecord,
        });
        switch (confirmed.status) {
          case "enabled":
            return { recoveryCodes: confirmed.recoveryCodes };
          case "wrong-code":
            return returnValidationErrors(confirmTwoStepSchema, {
              code: { _errors: [accountErrorMessages["wrong-totp-code"]] },
            });
          case "not-started":
            throw new AccountError("two-step-not-started");
          case "already-enabled":
            throw new AccountError("two-step-on");
        }
      }),

    /** "Cancel": drops a pending set-up; nothing pending is already what was asked for. */
    cancelTwoStep: authedActionClient.action(async ({ ctx }) => {
      const cancelled = await cancelTotpEnrolment(deps.services().database.prisma, {
        userId: ctx.session.userId,
      });
      if (cancelled.status === "already-enabled") throw new AccountError("two-step-on");
      return { cancelled: cancelled.status === "cancelled" };
    }),

    /** "New recovery codes": ten new ones; every earlier one stops working. */
    newRecoveryCodes: recentSignInActionClient.action(async ({ ctx }) => {
      const { database, secondFactorKeys, afterRecord } = deps.services();
      const regenerated = await regenerateRecoveryCodes(database.prisma, {
        userId: ctx.session.userId,
        now: ctx.now,
        keys: secondFactorKeys,
        context: ctx.context,
        afterRecord,
      });
      if (regenerated.status === "not-enabled") throw new AccountError("two-step-no-codes");
      return { recoveryCodes: regenerated.recoveryCodes };
    }),

    /** "Turn off": the app's key and every recovery code go. */
    turnOffTwoStep: recentSignInActionClient.action(async ({ ctx }) => {
      const { database, afterRecord } = deps.services();
      const disabled = await disableTotp(database.prisma, {
        userId: ctx.session.userId,
        now: ctx.now,
        context: ctx.context,
        afterRecord,
      });
      if (disabled.status === "not-enabled") throw new AccountError("two-step-off");
      return { turnedOff: true as const };
    }),
  };
}
