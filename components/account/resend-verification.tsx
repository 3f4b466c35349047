"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useState } from "react";

import { ActionButton } from "@/components/account/action-button";
import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { actionErrorMessage } from "@/components/forms/action-failure";
import { resendVerificationAction } from "@/lib/actions/email";

/**
 * "Email not verified — Resend": mails a fresh confirmation link to the account's address
 * (older links stop working). The answer shows under the button; a press while one is
 * under way is ignored, and the mail budget answers a press too many.
 */
export function ResendVerification() {
  const router = useRouter();
  const [feedback, setFeedback] = useState<Feedback>(null);
  // The message regions come with the first press and then stay: live regions must exist
  // before their message arrives, and empty ones in the page's header on every load would
  // come first among the page's alerts.
  const [used, setUsed] = useState(false);
  const resend = useAction(resendVerificationAction, {
    onSuccess({ data }) {
      if (data?.sent) {
        setFeedback({
          kind: "success",
          message: `We've sent a new link to ${data.email}. Open it to confirm your address; earlier links no longer work.`,
        });
        return;
      }
      // Confirmed (or changed) in another tab meanwhile: the page shows how things are.
      setFeedback({ kind: "success", message: "There is nothing to confirm any more." });
      router.refresh();
    },
    onError({ error }) {
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
    },
  });

  return (
    <div className="mt-3">
      <ActionButton
        busy={resend.isPending || resend.hasNavigated}
        onClick={() => {
          setFeedback(null);
          setUsed(true);
          resend.execute();
        }}
      >
        {resend.isPending ? "Sending link…" : "Resend link"}
      </ActionButton>
      {used ? <FeedbackMessage feedback={feedback} className="mt-3" /> : null}
    </div>
  );
}
