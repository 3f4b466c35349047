"use client";

import { useState } from "react";

import { ActionButton } from "@/components/account/action-button";
import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { RecoveryCodes } from "@/components/account/recovery-codes";
import { TwoStepSetup } from "@/components/account/two-step-setup";
import { focusSectionHeading } from "@/components/account/section";
import { PhoneIcon, TwoStepStatus } from "@/components/account/two-step-status";
import { useTwoStepActions } from "@/components/account/use-two-step-actions";
import type { TwoStepView } from "@/lib/account/view-models";

interface TwoStepSectionProps {
  /** The section this belongs to (focus returns to its heading). */
  sectionId: string;
  view: TwoStepView;
  /** The name the authenticator app shows for this account (for the saved codes' file). */
  accountLabel: string;
  /** Where "Confirm it's you" goes: sign in again, and back to this section. */
  reauthPath: string;
}

/**
 * Two-step verification: off ("Set up authenticator app"), set-up started (the key, and
 * the first code to turn it on), or on (recovery codes left, new codes, turn off). The
 * recovery codes an action answers are kept here, in state, and shown once in place of the
 * rest until the person says they saved them; the page behind them refreshes meanwhile.
 */
export function TwoStepSection({ sectionId, view, accountLabel, reauthPath }: TwoStepSectionProps) {
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const actions = useTwoStepActions({ sectionId, setFeedback, showCodes: setCodes });

  return (
    <div>
      <FeedbackMessage feedback={feedback} className="mb-5" />

      {codes ? (
        <RecoveryCodes
          codes={codes}
          accountLabel={accountLabel}
          onDone={() => {
            setCodes(null);
            setFeedback(null);
            // The panel goes with the focus in it.
            focusSectionHeading(sectionId);
          }}
        />
      ) : view.state === "on" ? (
        <TwoStepStatus
          view={view}
          confirming={actions.confirming}
          pending={
            actions.pending === "regenerate" || actions.pending === "turn-off"
              ? actions.pending
              : null
          }
          busy={actions.busy}
          onAsk={actions.ask}
          onDismiss={actions.dismiss}
          onRegenerate={actions.regenerate}
          onTurnOff={actions.turnOff}
        />
      ) : view.state === "pending" ? (
        <TwoStepSetup
          enrolment={view.enrolment}
          reauthPath={reauthPath}
          cancelBusy={actions.pending === "cancel"}
          busy={actions.busy}
          onCancel={actions.cancel}
          onEnabled={(recoveryCodes) => {
            setFeedback({ kind: "success", message: "Two-step verification is on." });
            setCodes(recoveryCodes);
            actions.refresh();
          }}
          onRefused={(message) => {
            setFeedback(message ? { kind: "error", message } : null);
            // "Cancelled meanwhile", "already on": show the page as it is now.
            if (message) actions.refresh();
          }}
        />
      ) : (
        <div className="flex flex-wrap items-center gap-x-4 gap-y-3">
          <ActionButton busy={actions.pending === "start"} onClick={actions.start}>
            {actions.pending === "start" ? null : <PhoneIcon className="size-4" />}
            Set up authenticator app
          </ActionButton>
          <p className="min-w-0 flex-1 basis-56 text-sm text-pretty text-muted">
            Works with Google Authenticator, 1Password, Aegis and other authenticator apps.
          </p>
        </div>
      )}

      <p aria-live="polite" className="sr-only">
        {actions.busyText}
      </p>
    </div>
  );
}
