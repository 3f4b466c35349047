// Sign-ins are counted where they are recorded: every verdict on a sign-in is a security
// event (lib/security/events.ts), so one afterRecord hook, registered in the composition
// root, counts them all — no sign-in path has to remember to.
//
// The hook runs inside the event's transaction, after the row is written and after the
// hooks registered before it (the Telegram alert): a write that fails before it is not
// counted. A commit that fails after it (rare: the connection dropped at that instant) is
// counted anyway; a counter that is one high then is the cheaper error.
import type { SecurityEventType } from "@/lib/generated/prisma/client";
import type { Metrics, SignInResult } from "@/lib/metrics";
import type { AfterRecordHook } from "@/lib/security/events";

/** The events that are a sign-in's verdict, and how each is counted (and traced). */
export const SIGN_IN_RESULT_OF: Partial<Record<SecurityEventType, SignInResult>> = {
  SIGN_IN: "success",
  SIGN_IN_FAILED: "failure",
  // A wrong code at the second step: whoever typed it had the first factor.
  SECOND_FACTOR_FAILED: "second_factor_failure",
  // Refused from the Telegram chat ("Deny").
  SIGN_IN_DENIED: "denied",
};

export function signInMetricsHook(metrics: Pick<Metrics, "signIn">): AfterRecordHook {
  return (_tx, event) => {
    const result = SIGN_IN_RESULT_OF[event.type];
    if (result) metrics.signIn(event.method, result);
    return Promise.resolve();
  };
}
