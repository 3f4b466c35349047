"use client";

import { useRef } from "react";

import { ActionButton } from "@/components/account/action-button";
import { InlineConfirm } from "@/components/account/inline-confirm";
import { MethodSummary } from "@/components/account/method-summary";
import type { TwoStepView } from "@/lib/account/view-models";

/** Few enough that the person should make new ones before they run out. */
const LOW_ON_CODES = 3;

interface TwoStepStatusProps {
  view: Extract<TwoStepView, { state: "on" }>;
  confirming: "regenerate" | "turn-off" | null;
  pending: "regenerate" | "turn-off" | null;
  /** Another change is running: these buttons wait. */
  busy: boolean;
  onAsk: (which: "regenerate" | "turn-off") => void;
  onDismiss: () => void;
  onRegenerate: () => void;
  onTurnOff: () => void;
}

/**
 * Two-step verification is on: since when, how many recovery codes are left, and "New
 * recovery codes" and "Turn off", each after a confirmation (the first makes the old codes
 * useless, the second takes the protection away).
 */
export function TwoStepStatus({
  view,
  confirming,
  pending,
  busy,
  onAsk,
  onDismiss,
  onRegenerate,
  onTurnOff,
}: TwoStepStatusProps) {
  const regenerateButton = useRef<HTMLButtonElement>(null);
  const turnOffButton = useRef<HTMLButtonElement>(null);
  const { recoveryCodesLeft: left, recoveryCodeCount: total } = view;
  const low = left <= LOW_ON_CODES;
  const back = (button: typeof regenerateButton) => {
    onDismiss();
    // After React has put the button back.
    requestAnimationFrame(() => button.current?.focus());
  };

  return (
    <div className="rounded-card border border-border px-4 py-4 sm:px-5">
      <MethodSummary mark={<PhoneIcon />} name="Authenticator app" detail={null}>
        On since{" "}
        <time dateTime={view.since.iso || undefined} title={view.since.absolute || undefined}>
          {view.sinceDate}
        </time>
      </MethodSummary>

      <div
        data-recovery-codes-left={left}
        className={`mt-4 rounded-control px-4 py-3 ${low ? "border border-danger/50 bg-danger/8" : "bg-raised"}`}
      >
        <p className={low ? "font-bold" : "font-semibold"}>
          {left} of {total} recovery codes left
        </p>
        {left === 0 ? (
          <p className="mt-1 text-sm text-pretty">
            You have used them all. Make new ones now, or losing your phone would lock you out.
          </p>
        ) : low ? (
          <p className="mt-1 text-sm text-pretty">
            You are running low. Make new ones before they run out.
          </p>
        ) : (
          <p className="mt-1 text-sm text-pretty text-muted">
            Each one signs you in once if you lose your phone.
          </p>
        )}
      </div>

      {confirming === "regenerate" ? (
        <div className="mt-4">
          <InlineConfirm
            question="Make new recovery codes?"
            consequence="Your current recovery codes will stop working, used or not. You will see the new ones once."
            confirmLabel="Make new codes"
            busy={pending === "regenerate"}
            onConfirm={onRegenerate}
            onCancel={() => back(regenerateButton)}
          />
        </div>
      ) : confirming === "turn-off" ? (
        <div className="mt-4">
          <InlineConfirm
            question="Turn off two-step verification?"
            consequence="Signing in will no longer ask for a code from your app, and your recovery codes will stop working."
            confirmLabel="Turn off"
            busy={pending === "turn-off"}
            onConfirm={onTurnOff}
            onCancel={() => back(turnOffButton)}
          />
        </div>
      ) : (
        <div className="mt-4 flex flex-wrap gap-3">
          <ActionButton
            ref={regenerateButton}
            aria-disabled={busy || undefined}
            onClick={() => onAsk("regenerate")}
          >
            New recovery codes
          </ActionButton>
          <ActionButton
            ref={turnOffButton}
            tone="danger"
            aria-disabled={busy || undefined}
            onClick={() => onAsk("turn-off")}
          >
            Turn off<span className="sr-only"> two-step verification</span>
          </ActionButton>
        </div>
      )}
    </div>
  );
}

/** The mark for an authenticator app: a phone. */
export function PhoneIcon({ className = "size-5 text-brand" }: { className?: string }) {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className={`shrink-0 ${className}`}
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <rect x="6" y="2.5" width="12" height="19" rx="2.5" />
      <path d="M11 18.5h2" />
    </svg>
  );
}
