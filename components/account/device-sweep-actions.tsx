"use client";

import { useRef, useState } from "react";

import { ActionButton } from "@/components/account/action-button";
import { InlineConfirm } from "@/components/account/inline-confirm";

interface DeviceSweepActionsProps {
  /** How many devices besides this one are signed in. */
  others: number;
  /** A sign-out is running: the others wait (aria-disabled, still focusable). */
  busy: boolean;
  othersPending: boolean;
  /** Signing out everywhere, until the sign-in page replaces this one. */
  everywhereBusy: boolean;
  clearFeedback: () => void;
  onSignOutOthers: () => void;
  onSignOutEverywhere: () => void;
}

/**
 * The two sweeping actions under the list: "Sign out all other devices", and "Sign out
 * everywhere" after a confirmation (it signs this device out too).
 */
export function DeviceSweepActions({
  others,
  busy,
  othersPending,
  everywhereBusy,
  clearFeedback,
  onSignOutOthers,
  onSignOutEverywhere,
}: DeviceSweepActionsProps) {
  const [confirmingEverywhere, setConfirmingEverywhere] = useState(false);
  const everywhereButton = useRef<HTMLButtonElement>(null);
  return (
    <>
      <div className="mt-6 flex flex-wrap gap-3">
        <ActionButton
          busy={othersPending}
          disabled={others === 0}
          aria-disabled={(busy && !othersPending) || undefined}
          aria-describedby={others === 0 ? "no-other-devices" : undefined}
          onClick={() => {
            if (busy) return;
            clearFeedback();
            onSignOutOthers();
          }}
        >
          Sign out all other devices
        </ActionButton>
        {confirmingEverywhere ? null : (
          <ActionButton
            ref={everywhereButton}
            tone="danger"
            aria-disabled={busy || undefined}
            onClick={() => {
              if (busy) return;
              clearFeedback();
              setConfirmingEverywhere(true);
            }}
          >
            Sign out everywhere
          </ActionButton>
        )}
      </div>
      {others === 0 ? (
        <p id="no-other-devices" className="mt-3 text-sm text-muted">
          This is the only device signed in to your account.
        </p>
      ) : null}

      {confirmingEverywhere ? (
        <div className="mt-4">
          <InlineConfirm
            question="Sign out everywhere?"
            consequence="Every device, this one included, will need to sign in again."
            confirmLabel="Sign out everywhere"
            busy={everywhereBusy}
            onConfirm={onSignOutEverywhere}
            onCancel={() => {
              setConfirmingEverywhere(false);
              requestAnimationFrame(() => everywhereButton.current?.focus());
            }}
          />
        </div>
      ) : null}
    </>
  );
}
