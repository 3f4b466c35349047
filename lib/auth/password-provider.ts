// The email-and-password provider: authorize() checks the password in constant time,
// behind the password guard; a device cookie the browser holds for the account gives the
// attempt its own budget (lib/security/password-guard.ts, device-cookie.ts).
import type { User } from "next-auth";
import Credentials from "next-auth/providers/credentials";

import { PASSWORD_PROVIDER_ID } from "@/lib/auth/constants";
import type { DeviceMemory } from "@/lib/auth/device-memory";
import { recordSignInFailure } from "@/lib/auth/identity";
import { verifyCredentials } from "@/lib/auth/password";
import { signInSchema } from "@/lib/auth/schemas";
import { PasswordSignInRefused, reportRefusal } from "@/lib/auth/sign-in-refusal";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import type { Logger } from "@/lib/logger";
import type { AfterRecordHook } from "@/lib/security/events";
import type { PasswordGuard } from "@/lib/security/password-guard";

export interface PasswordProviderDeps {
  prisma: PrismaClient;
  logger: Pick<Logger, "info">;
  passwordGuard: PasswordGuard;
  requestContext: () => Promise<RequestContext>;
  knownDevice: DeviceMemory["knownDevice"];
  /** Runs with each failure's event (the sign-in metrics). */
  afterRecord?: AfterRecordHook;
}

export function passwordProvider(deps: PasswordProviderDeps) {
  const { prisma, logger, passwordGuard } = deps;
  return Credentials({
    id: PASSWORD_PROVIDER_ID,
    name: "Email and password",
    credentials: { email: { type: "email" }, password: { type: "password" } },
    async authorize(raw): Promise<User | null> {
      const context = await deps.requestContext();
      const parsed = signInSchema.safeParse(raw);
      if (!parsed.success) return null;
      const { email, password } = parsed.data;
      // Limits and the throttle's delay come before the password is checked, so a refused
      // attempt costs no argon2 work (lib/security/password-guard.ts). A browser that signed
      // in to this account before has its own budget instead of the account-wide limits.
      const device = await deps.knownDevice(email);
      const admission = await passwordGuard.admit({ ip: context.ip, account: email, device });
      if (!admission.ok) {
        const { ok: _ok, ...refusal } = admission;
        logger.info("password sign-in refused", {
          reason: refusal.reason,
          // A valid device cookie came with it: its own budget was used up, or undecided.
          knownDevice: device !== null,
          retryAfterSeconds: refusal.retryAfterSeconds,
          requestId: context.requestId,
        });
        reportRefusal(refusal);
        throw new PasswordSignInRefused(refusal);
      }
      const result = await verifyCredentials({ prisma, email, password });
      if (!result.ok) {
        await passwordGuard.failed(email, admission);
        // The reason stays on the server; the person sees one message for every failure. The
        // attempt goes into the log of the account whose password was tried, whose owner
        // sees it on the account page (docs/account.md, "Failed password attempts").
        await recordSignInFailure(
          prisma,
          {
            userId: result.userId,
            method: PASSWORD_PROVIDER_ID,
            reason: "wrong email or password",
            ...context,
          },
          { afterRecord: deps.afterRecord },
        );
        return null;
      }
      await passwordGuard.succeeded(email, admission);
      // The device cookie is left by the jwt callback, for every kind of sign-in.
      return { id: result.userId };
    },
  });
}
