"use server";
// The forgot-password and reset-password forms' actions, wired to the request and to Next's
// after() (the reset request's lookup and mail run once the answer has gone). The logic
// lives in lib/actions/auth/password-reset.ts (tested without Next's runtime).
import { after } from "next/server";

import { createPasswordResetActions } from "@/lib/actions/auth/password-reset";
import { requestContext } from "@/lib/http/request-context";
import { getServices } from "@/lib/root";

const actions = createPasswordResetActions({
  services: getServices,
  requestContext,
  runAfter: after,
});

export const forgotPasswordAction = actions.forgotPassword;
export const resetPasswordAction = actions.resetPassword;
