// Signing in: with email and password (the form on /sign-in), or with a provider (its
// button, which hands over to the provider's OAuth flow). Nothing here echoes a password
// back or says which half of a credential was wrong.
import { AuthError } from "next-auth";
import { redirect, unstable_rethrow } from "next/navigation";
import { returnServerError, type ValidationErrors } from "next-safe-action";
import { z } from "zod";

import {
  callbackUrlSchema,
  FIX_FIELDS,
  redirectTarget,
  type AuthActionDependencies,
} from "@/lib/actions/auth/shared";
import { createActionClient } from "@/lib/actions/clients";
import { PASSWORD_PROVIDER_ID } from "@/lib/auth/config";
import { configuredProviders } from "@/lib/auth/providers";
import { messages, signInSchema } from "@/lib/auth/schemas";
import { PasswordSignInRefused } from "@/lib/auth/sign-in-refusal";
import { refusalMessage } from "@/lib/security/password-guard";

export interface SignInActionDependencies extends AuthActionDependencies {
  /** Whether this browser's session cookie names a valid session (Auth.js auth()). */
  hasSession: () => Promise<boolean>;
  /** This request's cookies (Next's cookies()): read, and overwritten to drop one. */
  cookies: () => Promise<SessionCookieJar>;
}

export interface SessionCookieJar {
  getAll: () => { name: string }[];
  set: (
    name: string,
    value: string,
    options: { path: string; maxAge: number; secure: boolean },
  ) => unknown;
}

export const GENERIC_SIGN_IN_ERROR = "That email and password do not match an account.";

const passwordSignInInput = signInSchema.extend({ callbackUrl: callbackUrlSchema });

/** The schemas' control-character refusals, which the sign-in form shows at their field. */
const controlCharacterMessages = new Set<string>([
  messages.emailControlCharacters,
  messages.passwordNul,
]);

/**
 * A control character is about what was typed, not about any account, so it may be named
 * at its field; every other refusal keeps the one generic answer (the policy's own words
 * would tell a guesser which passwords cannot be anyone's).
 */
function signInRefusal(errors: ValidationErrors<typeof passwordSignInInput>) {
  const fieldErrors: { email?: string[]; password?: string[] } = {};
  for (const field of ["email", "password"] as const) {
    const message = errors[field]?._errors?.find((m) => controlCharacterMessages.has(m));
    if (message) fieldErrors[field] = [message];
  }
  const named = Object.keys(fieldErrors).length > 0;
  return Promise.resolve({ formErrors: [named ? FIX_FIELDS : GENERIC_SIGN_IN_ERROR], fieldErrors });
}

/** What the form says about a sign-in Auth.js refused; anything else is not a refusal. */
function refusalOf(error: unknown): string {
  // Too many attempts, or the limiter could not decide: say so, and when to come back.
  if (error instanceof PasswordSignInRefused) return refusalMessage(error.refusal, "sign you in");
  if (error instanceof AuthError && error.type === "CredentialsSignin") {
    return GENERIC_SIGN_IN_ERROR;
  }
  throw error;
}

/** A provider button posts its form as FormData: read it as the plain object below. */
const providerInput = z.preprocess(
  (value) => (value instanceof FormData ? Object.fromEntries(value) : value),
  z.object({ provider: z.string().catch(""), callbackUrl: callbackUrlSchema.catch(undefined) }),
);

/** Auth.js's session cookie, plain or __Secure- prefixed, whole or in chunks (".0", ".1"). */
const SESSION_COOKIE = /^(__Secure-)?authjs\.session-token(\.\d+)?$/;

/**
 * Drops a session cookie that no longer names a valid session (revoked, expired, from an
 * old secret). Auth.js's OAuth callback decodes that cookie without our revocation check
 * and would take its owner as the one linking, refusing a different person's sign-in.
 */
async function dropDeadSessionCookie(deps: SignInActionDependencies): Promise<void> {
  if (await deps.hasSession()) return;
  const jar = await deps.cookies();
  for (const { name } of jar.getAll()) {
    if (!SESSION_COOKIE.test(name)) continue;
    // A __Secure- cookie can only be overwritten by a Secure one, so say so explicitly.
    jar.set(name, "", { path: "/", maxAge: 0, secure: name.startsWith("__Secure-") });
  }
}

export function createSignInActions(deps: SignInActionDependencies) {
  const actionClient = createActionClient(deps);

  return {
    /** Ends in a redirect to where the form was opened from, or answers why not. */
    signInWithPassword: actionClient
      .inputSchema(passwordSignInInput, { handleValidationErrorsShape: signInRefusal })
      .action(async ({ parsedInput: { email, password, callbackUrl } }) => {
        let refusal: string;
        try {
          const redirectTo = redirectTarget(deps, callbackUrl);
          await deps.signIn(PASSWORD_PROVIDER_ID, { email, password, redirectTo });
          return;
        } catch (error) {
          // The redirect is how a sign-in succeeds: it goes through to the browser.
          unstable_rethrow(error);
          refusal = refusalOf(error);
        }
        returnServerError(refusal);
      }),

    /**
     * Hands over to the provider (a redirect). Called as a plain form action: a failure is
     * thrown (the button shows it), as Next's own failures of the call are.
     */
    signInWithProvider: actionClient.inputSchema(providerInput).action(
      async ({ parsedInput: { provider, callbackUrl } }) => {
        const known = configuredProviders(deps.services().settings.auth).some(
          (p) => p.id === provider,
        );
        // An unknown provider id is a tampered form; Auth.js would answer with a
        // configuration error, so send it to the same place with a precise code instead.
        if (!known) redirect("/auth/error?error=UnknownProvider");
        await dropDeadSessionCookie(deps);
        await deps.signIn(provider, { redirectTo: redirectTarget(deps, callbackUrl) });
      },
      { throwServerError: true },
    ),
  };
}
