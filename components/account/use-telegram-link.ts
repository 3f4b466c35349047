"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useEffect, useRef, useState } from "react";

import type { Feedback } from "@/components/account/feedback";
import { actionErrorMessage } from "@/components/forms/action-failure";
import { connectTelegramAction } from "@/lib/actions/account";

/** A link on screen. An object, so every new link restarts its expiry timer. */
export interface StartLink {
  /** https://t.me/<bot>?start=<token>: the token lives here and nowhere else. */
  url: string;
}

// "focus" and "visibilitychange" both fire when someone comes back to the tab: one refresh.
const RETURN_REFRESH_GAP_MS = 2_000;

/**
 * The Telegram section's start link: asks the server for one, shows it until it expires,
 * and while it is on screen refreshes the page when the person comes back from Telegram.
 */
export function useTelegramLink({
  linkTokenTtlSeconds,
  setFeedback,
}: {
  /** How long a link works (the server's setting). */
  linkTokenTtlSeconds: number;
  setFeedback: (feedback: Feedback) => void;
}) {
  const [link, setLink] = useState<StartLink | null>(null);
  const [expired, setExpired] = useState(false);
  // Set when "Connect Telegram" is pressed: the button is replaced by the link, which takes
  // the focus instead of dropping it to the page.
  const focusLinkOnShow = useRef(false);
  // Set when "Get a new link" is pressed: the success says the old link is dead.
  const renewing = useRef(false);

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
  // A needed re-authentication is a redirect: stay busy until the next page replaces this.
  const connecting = connect.isPending || connect.hasNavigated;

  // Past its lifetime the link would only get "expired" from the bot: say so here instead.
  useEffect(() => {
    if (!link) return;
    const timer = setTimeout(() => setExpired(true), linkTokenTtlSeconds * 1_000);
    return () => clearTimeout(timer);
  }, [link, linkTokenTtlSeconds]);
  useRefreshOnReturn(link, expired);

  return {
    link,
    expired,
    connecting,
    /** Asks for a link: the first one ("Connect Telegram") or a new one. */
    requestLink: (renew: boolean) => {
      if (connecting) return;
      renewing.current = renew;
      focusLinkOnShow.current = !renew;
      setFeedback(null);
      connect.execute();
    },
    /** The chat got connected: the link is used up. */
    forget: () => {
      setLink(null);
      setExpired(false);
    },
    /** The link's ref: focuses it when it replaces the "Connect Telegram" button. */
    linkRef: (element: HTMLAnchorElement | null) => {
      if (element && focusLinkOnShow.current) {
        focusLinkOnShow.current = false;
        element.focus();
      }
    },
  };
}

/**
 * Back from Telegram (another tab, or the app on a phone): refresh, so a chat linked
 * meanwhile shows as connected without a manual reload.
 */
function useRefreshOnReturn(link: StartLink | null, expired: boolean) {
  const router = useRouter();
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
}
