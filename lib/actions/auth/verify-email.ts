// "Confirm" on the page a verification link opens (/verify-email): uses the link up and
// marks the address verified (lib/auth/email-verification.ts). The GET that showed the
// button changed nothing; this POST is the one step that does.
import { z } from "zod";

import type { AuthActionDependencies } from "@/lib/actions/auth/shared";
import { createActionClient } from "@/lib/actions/clients";
import { verifyEmail, type DeadLink } from "@/lib/auth/email-verification";

/** What the page shows next. */
export type VerifyEmailAnswer = { status: "verified"; email: string } | { status: DeadLink };

// The token's own shape is checked by the token service (anything else is "unknown"); this
// only keeps absurd input away from it.
const verifyEmailInput = z.object({ token: z.string().max(200) });

export function createVerifyEmailActions(deps: AuthActionDependencies) {
  const actionClient = createActionClient(deps);
  return {
    verifyEmail: actionClient
      .inputSchema(verifyEmailInput)
      .action(async ({ parsedInput, ctx }): Promise<VerifyEmailAnswer> => {
        const { database, afterRecord } = deps.services();
        const result = await verifyEmail(
          database.prisma,
          { token: parsedInput.token, now: ctx.now, ...ctx.context },
          { afterRecord },
        );
        return result.status === "verified"
          ? { status: "verified", email: result.email }
          : { status: result.status };
      }),
  };
}
