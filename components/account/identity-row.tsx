"use client";

import { useId, useState, type Ref } from "react";

import { ActionButton } from "@/components/account/action-button";
import { InlineConfirm } from "@/components/account/inline-confirm";
import { KeyIcon, MethodSummary } from "@/components/account/method-summary";
import { RelativeTime } from "@/components/account/relative-time";
import { ProviderMark } from "@/components/auth/provider-mark";
import type { IdentityView } from "@/lib/account/view-models";

interface IdentityRowProps {
  identity: IdentityView;
  /** The "Unlink …?" step is open for this row. */
  confirming: boolean;
  /** Unlinking this identity. */
  busy: boolean;
  /** False for the last way in: Unlink is disabled and points at the note saying why. */
  canUnlink: boolean;
  onlyMethodNoteId: string;
  buttonRef: Ref<HTMLButtonElement>;
  onAsk: () => void;
  /** `keepAlerts`: the answer to "keep the alerts?" (Telegram whose chat gets them). */
  onConfirm: (keepAlerts: boolean) => void;
  onCancel: () => void;
}

/** A linked identity, with "Unlink" and its confirmation. */
export function IdentityRow({
  identity,
  confirming,
  busy,
  canUnlink,
  onlyMethodNoteId,
  buttonRef,
  onAsk,
  onConfirm,
  onCancel,
}: IdentityRowProps) {
  const keepId = useId();
  // Unlinking Telegram does not stop its chat's alerts unless the person says so.
  const [keepAlerts, setKeepAlerts] = useState(true);
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-3 px-4 py-4 sm:px-5">
      <MethodSummary
        mark={identity.provider ? <ProviderMark provider={identity.provider} /> : <KeyIcon />}
        name={identity.providerName}
        detail={identity.label}
      >
        Linked <RelativeTime time={identity.linkedAt} />
      </MethodSummary>
      {confirming ? (
        <div className="basis-full">
          <InlineConfirm
            question={`Unlink ${identity.providerName}?`}
            consequence="You will no longer be able to sign in with it."
            confirmLabel={
              <>
                Unlink<span className="sr-only"> {identity.providerName}</span>
              </>
            }
            busy={busy}
            onConfirm={() => onConfirm(identity.alertsChat ? keepAlerts : true)}
            onCancel={onCancel}
          >
            {identity.alertsChat ? (
              <div className="mt-3 flex items-start gap-3">
                <input
                  id={keepId}
                  type="checkbox"
                  checked={keepAlerts}
                  disabled={busy}
                  onChange={(event) => setKeepAlerts(event.target.checked)}
                  className="mt-0.5 size-5 shrink-0 cursor-pointer accent-brand"
                />
                <label htmlFor={keepId} className="cursor-pointer font-semibold text-pretty">
                  Keep sending sign-in alerts to this Telegram chat
                </label>
              </div>
            ) : null}
          </InlineConfirm>
        </div>
      ) : (
        <ActionButton
          ref={buttonRef}
          disabled={!canUnlink}
          aria-describedby={canUnlink ? undefined : onlyMethodNoteId}
          onClick={onAsk}
        >
          Unlink<span className="sr-only"> {identity.providerName}</span>
        </ActionButton>
      )}
    </li>
  );
}
