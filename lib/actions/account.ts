"use server";
// The account page's server actions, wired to the real session, database and Auth.js.
// The logic lives in lib/actions/account/ (tested without Next's runtime).
import { cookies } from "next/headers";

import { createAccountActions } from "@/lib/actions/account/factory";
import { currentSession, signIn, signOut } from "@/lib/root/auth";
import { requestContext } from "@/lib/http/request-context";
import { getServices } from "@/lib/root";

const actions = createAccountActions({
  services: getServices,
  getSession: currentSession,
  requestContext,
  cookies,
  // Auth.js's signIn/signOut end by throwing Next's redirect; the action client lets it
  // through, and the browser follows it (to the provider, or to the sign-in page).
  startOAuth: async (provider, redirectTo) => {
    await signIn(provider, { redirectTo });
    throw new Error(`signIn(${provider}) returned instead of redirecting`);
  },
  signOut: async (redirectTo) => {
    await signOut({ redirectTo });
    throw new Error("signOut returned instead of redirecting");
  },
});

export const linkProviderAction = actions.linkProvider;
export const unlinkIdentityAction = actions.unlinkIdentity;
export const setPasswordAction = actions.setPassword;
export const changePasswordAction = actions.changePassword;
export const revokeSessionAction = actions.revokeSession;
export const revokeOtherSessionsAction = actions.revokeOtherSessions;
export const revokeAllSessionsAction = actions.revokeAllSessions;
export const connectTelegramAction = actions.connectTelegram;
export const disconnectTelegramAction = actions.disconnectTelegram;
export const setSignInApprovalAction = actions.setSignInApproval;
export const startTwoStepAction = actions.startTwoStep;
export const confirmTwoStepAction = actions.confirmTwoStep;
export const cancelTwoStepAction = actions.cancelTwoStep;
export const newRecoveryCodesAction = actions.newRecoveryCodes;
export const turnOffTwoStepAction = actions.turnOffTwoStep;
export const startPasskeyRegistrationAction = actions.startPasskeyRegistration;
export const finishPasskeyRegistrationAction = actions.finishPasskeyRegistration;
export const renamePasskeyAction = actions.renamePasskey;
export const removePasskeyAction = actions.removePasskey;
