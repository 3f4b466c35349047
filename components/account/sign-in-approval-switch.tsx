"use client";

import { useId } from "react";

import { Spinner } from "@/components/auth/spinner";

interface SignInApprovalSwitchProps {
  /** Approval is on (the page's state; it changes when the refreshed page arrives). */
  on: boolean;
  /** How long a sign-in waits for the chat's answer (SIGN_IN_APPROVAL_TTL_SECONDS). */
  ttlSeconds: number;
  /** A change is running: spinner, clicks ignored, focus kept. */
  busy: boolean;
  /** Another change of the section is running (disconnecting): the switch waits. */
  waiting?: boolean;
  onChange: (on: boolean) => void;
}

/** "2 minutes", "90 seconds": the setting as a person reads it. */
function waitText(seconds: number): string {
  if (seconds % 60 !== 0) return `${seconds} seconds`;
  const minutes = seconds / 60;
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

/**
 * "Approve new sign-ins in Telegram": a switch (a button with role="switch", named by its
 * label, described by the explanation) with "On" / "Off" beside its track. A press asks the
 * server; the switch moves when the page says it has, and meanwhile shows a spinner (its
 * section says what is happening in a live region). Busy is not `disabled`, so keyboard
 * focus stays on it.
 */
export function SignInApprovalSwitch({
  on,
  ttlSeconds,
  busy,
  waiting = false,
  onChange,
}: SignInApprovalSwitchProps) {
  const id = useId();
  const labelId = `${id}-label`;
  const hintId = `${id}-hint`;
  return (
    <div className="grid grid-cols-[minmax(0,1fr)_auto] items-center gap-x-4 gap-y-1">
      <label id={labelId} htmlFor={id} className="cursor-pointer font-semibold text-pretty">
        {/* Never broken at the hyphen ("sign-" / "ins"), which a phone's width would do. */}
        Approve new <span className="whitespace-nowrap">sign-ins</span> in Telegram
      </label>
      <button
        id={id}
        type="button"
        role="switch"
        aria-checked={on}
        aria-labelledby={labelId}
        aria-describedby={hintId}
        aria-busy={busy || undefined}
        aria-disabled={busy || waiting || undefined}
        data-approve-sign-ins={on ? "on" : "off"}
        onClick={busy || waiting ? undefined : () => onChange(!on)}
        className="inline-flex min-h-11 cursor-pointer items-center gap-2.5 self-start rounded-control py-1.5 pr-1 pl-1.5 aria-busy:cursor-progress aria-disabled:cursor-not-allowed"
      >
        <span
          aria-hidden="true"
          className={`relative inline-flex h-7 w-12 shrink-0 items-center rounded-full border-2 transition-colors ${
            on ? "border-brand bg-brand" : "border-muted bg-surface"
          }`}
        >
          <span
            className={`inline-flex size-5 items-center justify-center rounded-full transition-transform ${
              on
                ? "translate-x-[1.375rem] bg-brand-contrast text-brand"
                : "translate-x-0.5 bg-muted text-surface"
            }`}
          >
            {busy ? <Spinner className="size-4" /> : null}
          </span>
        </span>
        <span aria-hidden="true" className="w-7 text-left font-semibold">
          {on ? "On" : "Off"}
        </span>
      </button>
      <p id={hintId} className="col-span-2 text-sm text-pretty text-muted">
        When someone signs in from a browser new to your account, Gatehouse asks in this chat first.
        Approve lets them in; Deny refuses. No answer in {waitText(ttlSeconds)} and the{" "}
        <span className="whitespace-nowrap">sign-in</span> expires (an authenticator app, if you
        have one, can finish it instead). Turning this on makes every browser new once, this one
        too.
      </p>
    </div>
  );
}
