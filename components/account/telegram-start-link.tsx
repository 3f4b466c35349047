"use client";

import { useId } from "react";

import { ActionButton } from "@/components/account/action-button";
import { buttonClasses } from "@/components/ui/button";

interface TelegramStartLinkProps {
  /** https://t.me/<bot>?start=<token>: the token lives here and nowhere else. */
  url: string;
  /** Past its lifetime: only "Get a new link" is offered. */
  expired: boolean;
  /** The bot people talk to, without the "@". */
  botUsername: string;
  /** How long a link works (the server's setting). */
  linkTokenTtlSeconds: number;
  /** A new link is being made. */
  busy: boolean;
  /** Focuses the link when it replaces the "Connect Telegram" button. */
  linkRef: (element: HTMLAnchorElement | null) => void;
  onRenew: () => void;
}

/**
 * The start link on screen: what to do with it, "Open Telegram" (the token is only in its
 * href) and "Get a new link". Once expired, only the latter is left.
 */
export function TelegramStartLink({
  url,
  expired,
  botUsername,
  linkTokenTtlSeconds,
  busy,
  linkRef,
  onRenew,
}: TelegramStartLinkProps) {
  const instructionId = useId();
  const minutes = Math.max(1, Math.floor(linkTokenTtlSeconds / 60));
  return (
    <div className="rounded-card border border-border px-4 py-4 sm:px-5">
      {expired ? (
        <p id={instructionId} className="text-pretty">
          This link has expired. Get a new one to connect.
        </p>
      ) : (
        <p id={instructionId} className="text-pretty">
          Press Start in the chat with{" "}
          <span className="font-semibold wrap-anywhere">@{botUsername}</span>. This link works once,
          for {minutes} {minutes === 1 ? "minute" : "minutes"}.
        </p>
      )}
      <div className="mt-4 flex flex-wrap gap-3">
        {expired ? null : (
          <a
            ref={linkRef}
            href={url}
            target="_blank"
            // No window.opener for t.me, and no Referer: the account page is nobody's business.
            rel="noopener noreferrer"
            aria-describedby={instructionId}
            className={buttonClasses({
              size: "md",
              className:
                "shrink-0 gap-2 border border-brand py-2 text-center leading-tight whitespace-nowrap",
            })}
          >
            Open Telegram<span className="sr-only"> (opens in a new tab)</span>
            <ExternalIcon />
          </a>
        )}
        <ActionButton busy={busy} onClick={onRenew}>
          Get a new link
        </ActionButton>
      </div>
    </div>
  );
}

function ExternalIcon() {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="size-4 shrink-0"
      fill="none"
      stroke="currentColor"
      strokeWidth="2.5"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" />
    </svg>
  );
}
