// The account page's passkeys: add one (two calls around the browser's ceremony), rename
// one, remove one. Adding and removing need a recent sign-in, like every change to how the
// account signs in; renaming is a label and needs only the session. Another user's passkey
// id answers exactly like an unknown one ("not found"), and nothing changes.
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { returnValidationErrors } from "next-safe-action";
import { z } from "zod";

import { AccountError, accountErrorMessages } from "@/lib/account/errors";
import {
  finishPasskeyRegistrationSchema,
  removePasskeySchema,
  renamePasskeySchema,
} from "@/lib/account/schemas";
import { createActionClients, type ActionDependencies } from "@/lib/actions/clients";
import type { CookieJar } from "@/lib/auth/dependencies";
import {
  clearPasskeyChallengeCookie,
  parsePasskeyResponse,
  passkeyChallengeId,
  passkeyRelyingParty,
  setPasskeyChallengeCookie,
} from "@/lib/auth/passkey-ceremony";
import {
  finishPasskeyRegistration,
  removePasskey,
  renamePasskey,
  startPasskeyRegistration,
} from "@/lib/auth/passkeys";
import { usesSecureCookies } from "@/lib/http/cookies";

export interface PasskeyActionDependencies extends ActionDependencies {
  /** This request's cookies (Next's cookies()): the registration's challenge is kept there. */
  cookies: () => Promise<CookieJar>;
}

export function createPasskeyActions(deps: PasskeyActionDependencies) {
  const { authedActionClient, recentSignInActionClient } = createActionClients(deps);
  const secure = () => usesSecureCookies(deps.services().settings.appUrl);
  const rpOrRefuse = () => {
    const rp = passkeyRelyingParty(deps.services().settings.appUrl);
    if (!rp) throw new AccountError("passkeys-unavailable");
    return rp;
  };

  return {
    /** "Add a passkey": the options for startRegistration(), the challenge in a cookie. */
    startPasskeyRegistration: recentSignInActionClient.action(
      async ({ ctx }): Promise<{ options: PublicKeyCredentialCreationOptionsJSON }> => {
        const rp = rpOrRefuse();
        const { settings, database } = deps.services();
        const ttlSeconds = settings.auth.passkeyChallengeTtlSeconds;
        const started = await startPasskeyRegistration(database.prisma, {
          userId: ctx.session.userId,
          rp,
          now: ctx.now,
          ttlSeconds,
        });
        if (started.status === "too-many") throw new AccountError("too-many-passkeys");
        if (started.status === "unknown-user") throw new AccountError("not-found");
        await setPasskeyChallengeCookie(deps.cookies, {
          ceremony: "register",
          secure: secure(),
          challengeId: started.challengeId,
          ttlSeconds,
        });
        return { options: started.options };
      },
    ),

    /** The authenticator's answer: stored as a passkey of this account (PASSKEY_ADDED). */
    finishPasskeyRegistration: recentSignInActionClient
      .inputSchema(finishPasskeyRegistrationSchema)
      .action(async ({ parsedInput: { response, name }, ctx }) => {
        const rp = rpOrRefuse();
        const { database, afterRecord } = deps.services();
        const result = await finishPasskeyRegistration(database.prisma, {
          userId: ctx.session.userId,
          challengeId: await passkeyChallengeId(deps.cookies, "register", secure()),
          response: parsePasskeyResponse(response),
          name,
          rp,
          now: ctx.now,
          context: ctx.context,
          afterRecord,
        });
        // A refused name leaves the challenge for the corrected one (the same answer again).
        if (result.status === "invalid-name") {
          returnValidationErrors(z.object({ name: z.string() }), {
            name: { _errors: [accountErrorMessages["invalid-passkey-name"]] },
          });
        }
        await clearPasskeyChallengeCookie(deps.cookies, "register", secure());
        switch (result.status) {
          case "added":
            return { name: result.passkey.name };
          case "already-registered":
            throw new AccountError("passkey-already-registered");
          case "too-many":
            throw new AccountError("too-many-passkeys");
          case "not-verified":
            deps.services().logger.info("passkey registration refused", {
              status: result.status,
              reason: result.reason,
              requestId: ctx.context.requestId,
            });
            throw new AccountError("passkey-not-added");
          default:
            deps.services().logger.info("passkey registration refused", {
              status: result.status,
              requestId: ctx.context.requestId,
            });
            throw new AccountError("passkey-not-added");
        }
      }),

    renamePasskey: authedActionClient
      .inputSchema(renamePasskeySchema)
      .action(async ({ parsedInput: { passkeyId, name }, ctx }) => {
        const result = await renamePasskey(deps.services().database.prisma, {
          userId: ctx.session.userId,
          passkeyId,
          name,
        });
        if (result.status === "invalid-name") {
          returnValidationErrors(renamePasskeySchema, {
            name: { _errors: [accountErrorMessages["invalid-passkey-name"]] },
          });
        }
        if (result.status === "not-found") throw new AccountError("not-found");
        return { name: result.passkey.name };
      }),

    removePasskey: recentSignInActionClient
      .inputSchema(removePasskeySchema)
      .action(async ({ parsedInput: { passkeyId }, ctx }) => {
        const result = await removePasskey(deps.services().database.prisma, {
          userId: ctx.session.userId,
          passkeyId,
          now: ctx.now,
          context: ctx.context,
          afterRecord: deps.services().afterRecord,
        });
        if (result.status === "not-found") throw new AccountError("not-found");
        if (result.status === "last-sign-in-method") {
          throw new AccountError("last-sign-in-method");
        }
        return { removed: true };
      }),
  };
}
