"use client";

import { unstable_rethrow } from "next/navigation";
import { useState, type FormEvent } from "react";

import { thrownActionMessage } from "@/components/forms/action-failure";
import { useBfcacheReset } from "@/components/auth/use-bfcache-reset";
import { signInWithProviderAction } from "@/lib/actions/auth";
import type { OAuthProviderId } from "@/lib/sign-in-methods";

/** Starting a sign-in with a provider: which one is starting, and what failed. */
export function useProviderSignIn() {
  // Which provider's sign-in is starting. Local state, not the action's pending flag:
  // the action ends in a full-page redirect, so only this component knows to show it,
  // and only it can clear it when the page comes back from the back/forward cache.
  const [pendingId, setPendingId] = useState<OAuthProviderId | null>(null);
  useBfcacheReset(() => setPendingId(null));
  // Said when the call failed before the action could answer (a page older than the server,
  // offline): the buttons come back instead of the page turning into an error page.
  const [failure, setFailure] = useState<string | undefined>(undefined);

  async function signInWith(formData: FormData) {
    try {
      await signInWithProviderAction(formData);
    } catch (error) {
      // The redirect to the provider is how this action succeeds: let Next follow it.
      unstable_rethrow(error);
      setPendingId(null);
      setFailure(thrownActionMessage(error));
    }
  }

  function startSignIn(event: FormEvent<HTMLFormElement>, id: OAuthProviderId) {
    // A second click (or Enter) while a redirect is starting would start a second OAuth
    // flow whose state cookie replaces the first one's, failing whichever returns first.
    if (pendingId !== null) {
      event.preventDefault();
      return;
    }
    setFailure(undefined);
    setPendingId(id);
  }

  return { pendingId, failure, signInWith, startSignIn };
}
