"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useState, useTransition } from "react";

import type { Feedback } from "@/components/account/feedback";
import { focusSectionHeading } from "@/components/account/section";
import { actionErrorMessage } from "@/components/forms/action-failure";
import { setSignInApprovalAction } from "@/lib/actions/account";

/**
 * The "Approve new sign-ins in Telegram" switch: one change at a time, from the press until
 * the refreshed page has arrived (a second press meanwhile is ignored), so the switch never
 * flips back for a moment before the state it leads to. A needed re-authentication is a
 * redirect: busy until "Confirm it's you" replaces this page.
 */
export function useSignInApproval({
  sectionId,
  setFeedback,
}: {
  /** The section this belongs to (focus returns to its heading when the switch may go). */
  sectionId: string;
  setFeedback: (feedback: Feedback) => void;
}) {
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [asked, setAsked] = useState<boolean | null>(null);
  const refresh = () => startRefresh(() => router.refresh());
  const change = useAction(setSignInApprovalAction, {
    onSuccess({ data }) {
      setFeedback({ kind: "success", message: data.on ? TURNED_ON : TURNED_OFF });
      // The switch stays, and so does the focus on it; the page shows the new state.
      refresh();
    },
    onError({ error }) {
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
      // "Connect Telegram first": the chat went meanwhile, and the refreshed page drops the
      // switch with the focus in it. A refresh shows the truth either way.
      focusSectionHeading(sectionId);
      refresh();
    },
  });

  const busy = change.isPending || change.hasNavigated || refreshing;
  return {
    busy,
    busyText: busy && asked !== null ? busyTexts[asked ? "on" : "off"] : "",
    set: (on: boolean) => {
      if (busy) return;
      setAsked(on);
      setFeedback(null);
      change.execute({ on });
    },
  };
}

const TURNED_ON =
  "Sign-in approval is on. A browser new to your account now waits for Approve in Telegram.";
const TURNED_OFF = "Sign-in approval is off. Signing in no longer waits for Telegram.";

const busyTexts = {
  on: "Turning on sign-in approval…",
  off: "Turning off sign-in approval…",
};
