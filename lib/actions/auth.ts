"use server";
// Sign-in, sign-up and sign-out actions behind the forms on /sign-in, /sign-up and the
// header, wired to Auth.js and the request. The logic lives in lib/actions/auth/ (tested
// without Next's runtime).
import { cookies } from "next/headers";

import { createAuthActions } from "@/lib/actions/auth/factory";
import { requestContext } from "@/lib/http/request-context";
import { getServices } from "@/lib/root";
import { auth, signIn, signOut } from "@/lib/root/auth";

const actions = createAuthActions({
  services: getServices,
  requestContext,
  signIn,
  signOut,
  hasSession: async () => (await auth()) !== null,
  cookies,
});

export const signInWithPasswordAction = actions.signInWithPassword;
export const signInWithProviderAction = actions.signInWithProvider;
export const signUpAction = actions.signUp;
export const verifyEmailAction = actions.verifyEmail;
export const passSecondFactorAction = actions.passSecondFactor;
export const confirmWithCodeAction = actions.confirmWithCode;
export const signInWithPasskeyAction = actions.signInWithPasskey;
export const finishApprovedSignInAction = actions.finishApprovedSignIn;
export const switchToCodeAction = actions.switchToCode;
/** "Cancel" on the challenge page, a plain form action like sign-out (it ends in a redirect). */
export async function cancelSecondFactorAction(): Promise<void> {
  await actions.cancelSecondFactor();
}
/** The header's form action: a form answers nothing, so nor does this (a failure throws). */
export async function signOutAction(): Promise<void> {
  await actions.signOut();
}
