"use client";

import { unstable_rethrow } from "next/navigation";
import { useState, type FormEvent } from "react";

import { ProviderMark } from "@/components/auth/provider-mark";
import { Spinner } from "@/components/auth/spinner";
import { useBfcacheReset } from "@/components/auth/use-bfcache-reset";
import { thrownActionMessage } from "@/components/forms/action-failure";
import { signInWithProviderAction } from "@/lib/actions/auth";
import type { OAuthProviderId } from "@/lib/sign-in-methods";

export interface ProviderOption {
  id: OAuthProviderId;
  name: string;
}

interface ProviderButtonsProps {
  providers: ProviderOption[];
  /** A safe same-origin path (safeRedirectPath); the action checks it again anyway. */
  callbackUrl: string;
}

/**
 * One "Continue with …" button per configured provider, each its own form posting to the
 * sign-in action (which answers with a redirect to the provider).
 *
 * Layout: a grid, one column on a phone and two from 480 px, so labels never wrap into a
 * ragged row of pills. An odd last button spans both columns to keep the block square.
 */
export function ProviderButtons({ providers, callbackUrl }: ProviderButtonsProps) {
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

  const pendingName = providers.find((provider) => provider.id === pendingId)?.name;

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

  return (
    <div>
      {/* Announced at once like an alert, but not role="alert": the sign-in page keeps one
          alert region, the password form's, so "the form's message" stays unambiguous.
          Always rendered, empty until there is something to say (see FormAlert). */}
      <div aria-live="assertive" aria-atomic="true">
        {failure ? (
          <p className="mb-5 rounded-control border border-danger/50 bg-danger/8 px-4 py-3 font-medium text-text">
            {failure}
          </p>
        ) : null}
      </div>
      <div className="grid grid-cols-1 gap-3 min-[480px]:grid-cols-2">
        {providers.map((provider) => {
          const isPending = pendingId === provider.id;
          return (
            <form
              key={provider.id}
              action={signInWith}
              onSubmit={(event) => startSignIn(event, provider.id)}
              className="min-w-0 min-[480px]:odd:last:col-span-2"
            >
              <input type="hidden" name="provider" value={provider.id} />
              <input type="hidden" name="callbackUrl" value={callbackUrl} />
              <button
                type="submit"
                // The clicked button stays enabled (and focused) and says it is busy;
                // the others are disabled so a second flow cannot start.
                disabled={pendingId !== null && !isPending}
                aria-busy={isPending}
                className="flex h-full min-h-12 w-full cursor-pointer items-center justify-center gap-2.5 rounded-control border border-border bg-raised px-3 py-2.5 text-center text-[0.9375rem] leading-snug font-semibold transition-colors hover:border-muted disabled:cursor-not-allowed disabled:opacity-55 disabled:hover:border-border aria-busy:cursor-progress"
              >
                {isPending ? <Spinner /> : <ProviderMark provider={provider.id} />}
                <span className="text-balance">
                  {/* Between 480 and 640 px two columns leave too little room for the whole
                      label, so "Continue with" is read but not shown there; the name stays
                      "Continue with GitHub" and still contains the visible "GitHub". */}
                  <span className="min-[480px]:max-sm:sr-only">Continue with </span>
                  {provider.name}
                </span>
              </button>
            </form>
          );
        })}
      </div>
      {/* Outside the buttons so their accessible names stay "Continue with …". Present from
          the first render: screen readers only announce changes to a region they know. */}
      <p aria-live="polite" className="sr-only">
        {pendingName ? `Redirecting to ${pendingName}…` : ""}
      </p>
    </div>
  );
}
