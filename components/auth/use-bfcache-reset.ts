"use client";

import { useEffect, useEffectEvent } from "react";

/**
 * Calls `reset` when the browser shows this page again from its back/forward cache.
 *
 * A provider button starts a full-page redirect to the identity provider. The browser may
 * keep this page frozen in memory exactly as it was, spinner included, and show it again
 * on "Back": React state survives, no effect re-runs, nothing re-renders. `pageshow` with
 * `persisted` is the one signal that this happened, so every pending state resets there.
 *
 * Not on `pagehide`: a state update made while the page is being hidden may never paint
 * before the browser freezes it (React renders asynchronously), and when the page is not
 * cached there is nothing to reset. Resetting on the way back in is the reliable side.
 */
export function useBfcacheReset(reset: () => void): void {
  // An effect event: the listener always calls the latest `reset` without re-subscribing
  // on every render.
  const onRestore = useEffectEvent(reset);

  useEffect(() => {
    function handlePageShow(event: PageTransitionEvent) {
      if (event.persisted) onRestore();
    }
    window.addEventListener("pageshow", handlePageShow);
    return () => window.removeEventListener("pageshow", handlePageShow);
  }, []);
}
