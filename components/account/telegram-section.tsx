"use client";

import { useState } from "react";

import { ActionButton } from "@/components/account/action-button";
import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { TelegramConnection } from "@/components/account/telegram-connection";
import { SignInApprovalSwitch } from "@/components/account/sign-in-approval-switch";
import { TelegramMark } from "@/components/account/telegram-mark";
import { TelegramStartLink } from "@/components/account/telegram-start-link";
import { useSignInApproval } from "@/components/account/use-sign-in-approval";
import { useTelegramDisconnect } from "@/components/account/use-telegram-disconnect";
import { useTelegramLink } from "@/components/account/use-telegram-link";
import type { TelegramConnectionView } from "@/lib/account/view-models";

interface TelegramSectionProps {
  /** The section this belongs to (focus returns to its heading). */
  sectionId: string;
  /** The bot people talk to, without the "@". */
  botUsername: string;
  /** How long a link works (the server's setting). */
  linkTokenTtlSeconds: number;
  /** How long a sign-in waits for the chat's answer (SIGN_IN_APPROVAL_TTL_SECONDS). */
  approvalTtlSeconds: number;
  /** The chat that gets the alerts; null when none is connected. */
  connection: TelegramConnectionView | null;
}

/**
 * Connect a Telegram chat for sign-in alerts, or disconnect it; once connected, approve
 * new sign-ins in that chat (a switch).
 *
 * Connecting is a link: the server makes a single-use token and the page shows
 * `t.me/<bot>?start=<token>`; pressing Start in that chat links it (the bot's side). The
 * token exists only in the link's href — never in the page's URL, text or logs. While a
 * link is on screen, coming back to the page refreshes it, so the section shows
 * "Connected" as soon as the person returns from Telegram.
 */
export function TelegramSection({
  sectionId,
  botUsername,
  linkTokenTtlSeconds,
  approvalTtlSeconds,
  connection,
}: TelegramSectionProps) {
  const [feedback, setFeedback] = useState<Feedback>(null);
  const start = useTelegramLink({ linkTokenTtlSeconds, setFeedback });
  const stop = useTelegramDisconnect({ sectionId, setFeedback });
  const approval = useSignInApproval({ sectionId, setFeedback });

  // Connected elsewhere (the chat's /start, seen on refresh): the link is used up.
  const connected = connection !== null;
  const [wasConnected, setWasConnected] = useState(connected);
  if (connected !== wasConnected) {
    setWasConnected(connected);
    // Disconnected: the confirmation stayed (busy) until the refreshed page arrived.
    stop.setConfirming(false);
    if (connected) {
      start.forget();
      setFeedback({
        kind: "success",
        message: "Telegram is connected. Sign-in alerts will arrive in that chat.",
      });
    }
  }

  const busyText = start.connecting
    ? "Making a link…"
    : stop.disconnecting
      ? "Disconnecting Telegram…"
      : approval.busyText;

  return (
    <div>
      <FeedbackMessage feedback={feedback} className="mb-5" />

      {connection ? (
        <TelegramConnection
          connection={connection}
          confirming={stop.confirming}
          busy={stop.disconnecting}
          onAsk={() => {
            setFeedback(null);
            stop.setConfirming(true);
          }}
          onConfirm={stop.disconnect}
          onCancel={() => stop.setConfirming(false)}
        >
          <SignInApprovalSwitch
            on={connection.approveSignIns}
            ttlSeconds={approvalTtlSeconds}
            busy={approval.busy}
            waiting={stop.disconnecting}
            onChange={approval.set}
          />
        </TelegramConnection>
      ) : start.link ? (
        <TelegramStartLink
          url={start.link.url}
          expired={start.expired}
          botUsername={botUsername}
          linkTokenTtlSeconds={linkTokenTtlSeconds}
          busy={start.connecting}
          linkRef={start.linkRef}
          onRenew={() => start.requestLink(true)}
        />
      ) : (
        <ActionButton busy={start.connecting} onClick={() => start.requestLink(false)}>
          {start.connecting ? null : <TelegramMark />}
          Connect Telegram
        </ActionButton>
      )}

      <p aria-live="polite" className="sr-only">
        {busyText}
      </p>
    </div>
  );
}
