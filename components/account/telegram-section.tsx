"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useEffect, useId, useRef, useState, useTransition } from "react";

import { ActionButton } from "@/components/account/action-button";
import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { InlineConfirm } from "@/components/account/inline-confirm";
import { RelativeTime } from "@/components/account/relative-time";
import { focusSectionHeading } from "@/components/account/section";
import type { TelegramConnectionView } from "@/components/account/view-models";
import { actionErrorMessage } from "@/components/forms/action-failure";
import { connectTelegramAction, disconnectTelegramAction } from "@/lib/actions/account";
import { buttonClasses } from "@/components/ui/button";

interface TelegramSectionProps {
  /** The section this belongs to (focus returns to its heading). */
  sectionId: string;
  /** The bot people talk to, without the "@". */
  botUsername: string;
  /** How long a link works (the server's setting). */
  linkTokenTtlSeconds: number;
  /** The chat that gets the alerts; null when none is connected. */
  connection: TelegramConnectionView | null;
}

/** A link on screen. An object, so every new link restarts its expiry timer. */
interface StartLink {
  /** https://t.me/<bot>?start=<token>: the token lives here and nowhere else. */
  url: string;
}

// "focus" and "visibilitychange" both fire when someone comes back to the tab: one refresh.
const RETURN_REFRESH_GAP_MS = 2_000;

/**
 * Connect a Telegram chat for sign-in alerts, or disconnect it.
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
  connection,
}: TelegramSectionProps) {
  const router = useRouter();
  const instructionId = useId();
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [link, setLink] = useState<StartLink | null>(null);
  const [expired, setExpired] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const disconnectButton = useRef<HTMLButtonElement>(null);
  // Set when "Connect Telegram" is pressed: the button is replaced by the link, which takes
  // the focus instead of dropping it to the page.
  const focusLinkOnShow = useRef(false);
  // Set when "Get a new link" is pressed: the success says the old link is dead.
  const renewing = useRef(false);
  const minutes = Math.max(1, Math.floor(linkTokenTtlSeconds / 60));

  // Connected elsewhere (the chat's /start, seen on refresh): the link is used up.
  const connected = connection !== null;
  const [wasConnected, setWasConnected] = useState(connected);
  if (connected !== wasConnected) {
    setWasConnected(connected);
    // Disconnected: the confirmation stayed (busy) until the refreshed page arrived.
    setConfirming(false);
    if (connected) {
      setLink(null);
      setExpired(false);
      setFeedback({
        kind: "success",
        message: "Telegram is connected. Sign-in alerts will arrive in that chat.",
      });
    }
  }

  const connect = useAction(connectTelegramAction, {
    onSuccess({ data }) {
      setLink({ url: data.url });
      // The hook's own copy of the link is not needed once it is in state.
      connect.reset();
      setExpired(false);
      if (renewing.current) {
        setFeedback({
          kind: "success",
          message: "Here is a new link. The previous one no longer works.",
        });
      }
    },
    onError({ error }) {
      focusLinkOnShow.current = false;
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
    },
  });
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

  // A needed re-authentication is a redirect: stay busy until the next page replaces this.
  const connecting = connect.isPending || connect.hasNavigated;
  const disconnecting = disconnect.isPending || disconnect.hasNavigated || refreshing;

  // Past its lifetime the link would only get "expired" from the bot: say so here instead.
  useEffect(() => {
    if (!link) return;
    const timer = setTimeout(() => setExpired(true), linkTokenTtlSeconds * 1_000);
    return () => clearTimeout(timer);
  }, [link, linkTokenTtlSeconds]);

  // Back from Telegram (another tab, or the app on a phone): refresh, so a chat linked
  // meanwhile shows as connected without a manual reload.
  useEffect(() => {
    if (!link || expired) return;
    let lastRefresh = 0;
    function onReturn() {
      if (document.visibilityState !== "visible") return;
      const now = Date.now();
      if (now - lastRefresh < RETURN_REFRESH_GAP_MS) return;
      lastRefresh = now;
      router.refresh();
    }
    document.addEventListener("visibilitychange", onReturn);
    window.addEventListener("focus", onReturn);
    return () => {
      document.removeEventListener("visibilitychange", onReturn);
      window.removeEventListener("focus", onReturn);
    };
  }, [link, expired, router]);

  function requestLink(renew: boolean) {
    if (connecting) return;
    renewing.current = renew;
    focusLinkOnShow.current = !renew;
    setFeedback(null);
    connect.execute();
  }

  const busyText = connecting ? "Making a link…" : disconnecting ? "Disconnecting Telegram…" : "";

  return (
    <div>
      <FeedbackMessage feedback={feedback} className="mb-5" />

      {connection ? (
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
                consequence="Sign-ins will no longer be reported in Telegram. You can connect again at any time."
                confirmLabel="Disconnect"
                busy={disconnecting}
                onConfirm={() => disconnect.execute()}
                onCancel={() => {
                  setConfirming(false);
                  // After React has put the button back.
                  requestAnimationFrame(() => disconnectButton.current?.focus());
                }}
              />
            </div>
          ) : (
            <ActionButton
              ref={disconnectButton}
              onClick={() => {
                setFeedback(null);
                setConfirming(true);
              }}
            >
              Disconnect<span className="sr-only"> Telegram</span>
            </ActionButton>
          )}
        </div>
      ) : link ? (
        <div className="rounded-card border border-border px-4 py-4 sm:px-5">
          {expired ? (
            <p id={instructionId} className="text-pretty">
              This link has expired. Get a new one to connect.
            </p>
          ) : (
            <p id={instructionId} className="text-pretty">
              Press Start in the chat with{" "}
              <span className="font-semibold wrap-anywhere">@{botUsername}</span>. This link works
              once, for {minutes} {minutes === 1 ? "minute" : "minutes"}.
            </p>
          )}
          <div className="mt-4 flex flex-wrap gap-3">
            {expired ? null : (
              <a
                ref={(element) => {
                  if (element && focusLinkOnShow.current) {
                    focusLinkOnShow.current = false;
                    element.focus();
                  }
                }}
                href={link.url}
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
            <ActionButton busy={connecting} onClick={() => requestLink(true)}>
              Get a new link
            </ActionButton>
          </div>
        </div>
      ) : (
        <ActionButton busy={connecting} onClick={() => requestLink(false)}>
          {connecting ? null : <TelegramMark />}
          Connect Telegram
        </ActionButton>
      )}

      <p aria-live="polite" className="sr-only">
        {busyText}
      </p>
    </div>
  );
}

/** Telegram's paper plane on its blue disc (decorative: the text names Telegram). */
function TelegramMark() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" className="size-5 shrink-0">
      <circle cx="12" cy="12" r="12" fill="#229ED9" />
      <path
        fill="#fff"
        d="M5.43 11.87c3.5-1.52 5.83-2.53 7-3.02 3.33-1.38 4.02-1.62 4.47-1.63.1 0 .32.02.47.14.12.1.15.23.17.33.02.09.04.3.02.47-.18 1.9-.96 6.5-1.36 8.63-.17.9-.5 1.2-.82 1.23-.7.06-1.22-.46-1.9-.9-1.06-.7-1.65-1.13-2.68-1.8-1.18-.78-.41-1.21.26-1.91.18-.18 3.25-2.98 3.3-3.23.01-.03.02-.15-.05-.21-.07-.06-.17-.04-.25-.02-.1.02-1.8 1.14-5.06 3.35-.48.33-.91.49-1.3.48-.43-.01-1.25-.24-1.87-.44-.75-.25-1.35-.37-1.3-.79.03-.22.33-.44.9-.66z"
      />
    </svg>
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
