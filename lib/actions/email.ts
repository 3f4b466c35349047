"use server";
// The account's address: the change-of-address actions (the account page's form and the
// confirmation link's page) and "Resend" for an unconfirmed address, wired to the real
// session and services. The logic is in lib/actions/account/email.ts.
import { createEmailActions } from "@/lib/actions/account/email";
import { requestContext } from "@/lib/http/request-context";
import { getServices } from "@/lib/root";
import { currentSession } from "@/lib/root/auth";

const actions = createEmailActions({
  services: getServices,
  getSession: currentSession,
  requestContext,
});

export const changeEmailAction = actions.changeEmail;
export const confirmEmailChangeAction = actions.confirmEmailChange;
export const resendVerificationAction = actions.resendVerification;
