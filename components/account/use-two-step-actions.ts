"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useState, useTransition } from "react";

import type { Feedback } from "@/components/account/feedback";
import { focusSectionHeading } from "@/components/account/section";
import { actionErrorMessage } from "@/components/forms/action-failure";
import {
  cancelTwoStepAction,
  newRecoveryCodesAction,
  startTwoStepAction,
  turnOffTwoStepAction,
} from "@/lib/actions/account";

/** The section's buttons (the code form has its own, useActionForm). */
export type TwoStepChange = "start" | "cancel" | "regenerate" | "turn-off";

/**
 * The two-step section's buttons: start, cancel, new recovery codes, turn off. One change
 * at a time, from the press until the refreshed page has arrived: a second press meanwhile
 * (a double click, another button) is ignored, so nothing is started twice, and a button
 * never shows again for a moment before the state it leads to. A needed re-authentication
 * is a redirect: busy until the sign-in page replaces this one.
 */
export function useTwoStepActions({
  sectionId,
  setFeedback,
  showCodes,
}: {
  sectionId: string;
  setFeedback: (feedback: Feedback) => void;
  /** New recovery codes to show, once. */
  showCodes: (codes: string[]) => void;
}) {
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [last, setLast] = useState<TwoStepChange | null>(null);
  const [confirming, setConfirming] = useState<"regenerate" | "turn-off" | null>(null);

  const refresh = () => startRefresh(() => router.refresh());
  const settle = (feedback: Feedback) => {
    setFeedback(feedback);
    // The pressed button is about to go, or to be replaced: focus must not fall to the page.
    focusSectionHeading(sectionId);
    refresh();
  };
  const onError = ({ error }: { error: Parameters<typeof actionErrorMessage>[0] }) => {
    setConfirming(null);
    // "Already off", "cancelled meanwhile": a refresh shows the truth either way.
    settle({ kind: "error", message: actionErrorMessage(error) });
  };

  const start = useAction(startTwoStepAction, { onSuccess: () => settle(null), onError });
  const cancel = useAction(cancelTwoStepAction, {
    onSuccess: () =>
      settle({ kind: "success", message: "Set-up cancelled. Two-step verification stays off." }),
    onError,
  });
  const regenerate = useAction(newRecoveryCodesAction, {
    onSuccess({ data }) {
      setConfirming(null);
      setFeedback({
        kind: "success",
        message: "Here are your new recovery codes. The old ones no longer work.",
      });
      showCodes(data.recoveryCodes);
      refresh();
    },
    onError,
  });
  const turnOff = useAction(turnOffTwoStepAction, {
    onSuccess: () =>
      settle({
        kind: "success",
        message:
          "Two-step verification is off. Signing in no longer asks for a code, and your recovery codes no longer work.",
      }),
    onError,
  });

  const running = [start, cancel, regenerate, turnOff].some(
    (action) => action.isPending || action.hasNavigated,
  );
  const busy = running || refreshing;
  const run = (change: TwoStepChange, execute: () => void) => {
    if (busy) return;
    setLast(change);
    setFeedback(null);
    execute();
  };

  const pending = busy ? last : null;
  return {
    /** Which change is running (until its page has arrived); null when none. */
    pending,
    busy,
    busyText: busyTexts[pending ?? "none"],
    confirming,
    ask: (which: "regenerate" | "turn-off") => {
      if (busy) return;
      setFeedback(null);
      setConfirming(which);
    },
    dismiss: () => setConfirming(null),
    start: () => run("start", () => start.execute()),
    cancel: () => run("cancel", () => cancel.execute()),
    regenerate: () => run("regenerate", () => regenerate.execute()),
    turnOff: () => run("turn-off", () => turnOff.execute()),
    /** After "Turn on" (the code form's own action): show the page as it now is. */
    refresh,
  };
}

const busyTexts: Record<TwoStepChange | "none", string> = {
  start: "Setting up…",
  cancel: "Cancelling set-up…",
  regenerate: "Making new recovery codes…",
  "turn-off": "Turning off two-step verification…",
  none: "",
};
