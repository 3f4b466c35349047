"use client";

import { useRef, type ReactNode } from "react";

import { ActionButton } from "@/components/account/action-button";
import { InlineConfirm } from "@/components/account/inline-confirm";
import { RelativeTime } from "@/components/account/relative-time";
import { TelegramMark } from "@/components/account/telegram-mark";
import type { TelegramConnectionView } from "@/lib/account/view-models";

interface TelegramConnectionProps {
  connection: TelegramConnectionView;
  /** The "Stop alerts in that chat?" step is open. */
  confirming: boolean;
  /** Disconnecting: the confirmation stays until the refreshed page drops the row. */
  busy: boolean;
  /** "Disconnect" pressed: open the confirmation. */
  onAsk: () => void;
  onConfirm: () => void;
  onCancel: () => void;
  /** What else this chat does, below it (the sign-in approval switch). */
  children?: ReactNode;
}

/** The connected chat, with "Disconnect" and its confirmation, and what else it does. */
export function TelegramConnection({
  connection,
  confirming,
  busy,
  onAsk,
  onConfirm,
  onCancel,
  children,
}: TelegramConnectionProps) {
  const disconnectButton = useRef<HTMLButtonElement>(null);
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-3 rounded-card border border-border px-4 py-4 sm:px-5">
      <div className="flex min-w-0 flex-1 basis-56 items-start gap-3.5">
        <span className="inline-flex size-10 shrink-0 items-center justify-center rounded-control bg-raised">
          <TelegramMark />
        </span>
        <div className="min-w-0">
          <p className="font-semibold wrap-anywhere">
            {connection.username ? `Connected to @${connection.username}` : "Connected"}
          </p>{" "}
          <p className="text-sm text-muted">
            Linked <RelativeTime time={connection.linkedAt} />
          </p>
        </div>
      </div>
      {confirming ? (
        <div className="basis-full">
          <InlineConfirm
            question="Stop alerts in that chat?"
            consequence={
              connection.approveSignIns
                ? "Sign-ins will no longer be reported in Telegram, nor wait for your approval there. You can connect again at any time."
                : "Sign-ins will no longer be reported in Telegram. You can connect again at any time."
            }
            confirmLabel="Disconnect"
            busy={busy}
            onConfirm={onConfirm}
            onCancel={() => {
              onCancel();
              // After React has put the button back.
              requestAnimationFrame(() => disconnectButton.current?.focus());
            }}
          />
        </div>
      ) : (
        <ActionButton ref={disconnectButton} onClick={onAsk}>
          Disconnect<span className="sr-only"> Telegram</span>
        </ActionButton>
      )}
      {children ? <div className="basis-full border-t border-border pt-4">{children}</div> : null}
    </div>
  );
}
