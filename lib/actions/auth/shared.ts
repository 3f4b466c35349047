// What the sign-in and sign-up actions share: their dependencies, the form's answer to
// refused fields, and where a finished sign-in goes.
import { z } from "zod";

import type { ActionClientDependencies } from "@/lib/actions/clients";
import { safeRedirectPath } from "@/lib/auth/redirect";
import type { Services } from "@/lib/root";

export interface SignInOptions {
  redirectTo: string;
  email?: string;
  password?: string;
  /** The second step's code and which kind it is ("totp" or "recovery"). */
  kind?: string;
  code?: string;
  /** A passkey's answer (the browser's WebAuthn response as JSON). */
  response?: string;
}

export interface AuthActionDependencies extends ActionClientDependencies {
  services: () => Pick<
    Services,
    "settings" | "logger" | "database" | "limiter" | "mail" | "afterRecord"
  >;
  /**
   * Auth.js's signIn: ends by throwing Next's redirect, or throws why it could not sign in
   * (a CredentialsSignin, or PasswordSignInRefused when the password guard said no).
   */
  signIn: (provider: string, options: SignInOptions) => Promise<unknown>;
}

/** The form's message when fields are refused; each field says why next to it. */
export const FIX_FIELDS = "Please fix the highlighted fields.";

/** Where the form was opened from; checked again here, it arrives from the browser. */
export const callbackUrlSchema = z.string().optional();

/** The same-origin path a finished sign-in goes to ("/" for anything else). */
export function redirectTarget(deps: AuthActionDependencies, callbackUrl?: string): string {
  return safeRedirectPath(callbackUrl, deps.services().settings.appUrl);
}
