"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useState, useTransition } from "react";

import type { Feedback } from "@/components/account/feedback";
import { actionErrorMessage } from "@/components/forms/action-failure";
import { focusSectionHeading } from "@/components/account/section";
import { disconnectTelegramAction } from "@/lib/actions/account";

/** Disconnecting the Telegram chat: the confirmation step, then the action. */
export function useTelegramDisconnect({
  sectionId,
  setFeedback,
}: {
  /** The section this belongs to (focus returns to its heading). */
  sectionId: string;
  setFeedback: (feedback: Feedback) => void;
}) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  // The refresh after disconnecting, tracked so the confirmation stays busy until the row
  // goes (instead of showing "Disconnect" again for a moment).
  const [refreshing, startRefresh] = useTransition();
  const disconnect = useAction(disconnectTelegramAction, {
    onSuccess() {
      setFeedback({
        kind: "success",
        message: "Telegram is disconnected. Sign-in alerts no longer go to that chat.",
      });
      // The row is about to disappear with the focus in it.
      focusSectionHeading(sectionId);
      startRefresh(() => router.refresh());
    },
    onError({ error }) {
      setConfirming(false);
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
      focusSectionHeading(sectionId);
      // "Not found" means it is gone already; a refresh shows the truth either way.
      router.refresh();
    },
  });

  return {
    confirming,
    setConfirming,
    // A needed re-authentication is a redirect: stay busy until the next page replaces this.
    disconnecting: disconnect.isPending || disconnect.hasNavigated || refreshing,
    disconnect: () => disconnect.execute(),
  };
}
