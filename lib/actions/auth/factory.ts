// The sign-in, sign-up and sign-out actions, built from injected dependencies (tested
// without Next's runtime); lib/actions/auth.ts wires them to Auth.js and the request.
import {
  createSecondFactorActions,
  type SecondFactorActionDependencies,
} from "@/lib/actions/auth/second-factor";
import {
  createPasskeySignInActions,
  type PasskeySignInActionDependencies,
} from "@/lib/actions/auth/passkey";
import { createSignInActions, type SignInActionDependencies } from "@/lib/actions/auth/sign-in";
import { createSignInApprovalActions } from "@/lib/actions/auth/sign-in-approval";
import { createSignOutActions, type SignOutActionDependencies } from "@/lib/actions/auth/sign-out";
import { createSignUpActions } from "@/lib/actions/auth/sign-up";
import { createVerifyEmailActions } from "@/lib/actions/auth/verify-email";

export type AuthActionsDependencies = SignInActionDependencies &
  SignOutActionDependencies &
  SecondFactorActionDependencies &
  PasskeySignInActionDependencies;

export function createAuthActions(deps: AuthActionsDependencies) {
  return {
    ...createSignInActions(deps),
    ...createSignUpActions(deps),
    ...createSignOutActions(deps),
    ...createVerifyEmailActions(deps),
    ...createSecondFactorActions(deps),
    ...createPasskeySignInActions(deps),
    ...createSignInApprovalActions(deps),
  };
}
