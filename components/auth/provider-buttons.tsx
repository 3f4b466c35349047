"use client";

import { ProviderButton } from "@/components/auth/provider-button";
import { usePasskeySignIn } from "@/components/auth/use-passkey-sign-in";
import { useProviderSignIn } from "@/components/auth/use-provider-sign-in";
import type { OAuthProviderId } from "@/lib/sign-in-methods";

export interface ProviderOption {
  id: OAuthProviderId;
  name: string;
}

interface ProviderButtonsProps {
  providers: ProviderOption[];
  /** A safe same-origin path (safeRedirectPath); the action checks it again anyway. */
  callbackUrl: string;
  /**
   * "Sign in with a passkey", a full-width row under the grid, when passkeys can work here;
   * `autofill`: the email field offers passkeys too (started on page load).
   */
  passkey?: { autofill: boolean } | null;
}

/**
 * One "Continue with …" button per configured provider, each its own form posting to the
 * sign-in action (which answers with a redirect to the provider).
 *
 * Layout: a grid, one column on a phone and two from 480 px, so labels never wrap into a
 * ragged row of pills. An odd last button spans both columns to keep the block square.
 * "Sign in with a passkey", when offered, is a full-width row below the grid.
 */
export function ProviderButtons({ providers, callbackUrl, passkey = null }: ProviderButtonsProps) {
  const { pendingId, failure, signInWith, startSignIn } = useProviderSignIn();
  const pendingName = providers.find((provider) => provider.id === pendingId)?.name;
  const withPasskey = usePasskeySignIn({
    callbackUrl,
    autofill: passkey?.autofill === true,
  });
  // Whichever flow is starting, the other buttons wait: a second one would race the first.
  const busy = pendingId !== null || withPasskey.pending;
  const message = failure ?? withPasskey.message;

  return (
    <div>
      {/* Announced at once like an alert, but not role="alert": the sign-in page keeps one
          alert region, the password form's, so "the form's message" stays unambiguous.
          Always rendered, empty until there is something to say (see FormAlert). */}
      <div aria-live="assertive" aria-atomic="true">
        {message ? (
          <p className="mb-5 rounded-control border border-danger/50 bg-danger/8 px-4 py-3 font-medium text-text">
            {message}
          </p>
        ) : null}
      </div>
      <div className="grid grid-cols-1 gap-3 min-[480px]:grid-cols-2">
        {providers.map((provider) => (
          <form
            key={provider.id}
            action={signInWith}
            onSubmit={(event) => {
              if (withPasskey.pending) event.preventDefault();
              else startSignIn(event, provider.id);
            }}
            className="min-w-0 min-[480px]:odd:last:col-span-2"
          >
            <input type="hidden" name="provider" value={provider.id} />
            <input type="hidden" name="callbackUrl" value={callbackUrl} />
            <ProviderButton
              type="submit"
              provider={provider.id}
              pending={pendingId === provider.id}
              disabled={busy && pendingId !== provider.id}
            >
              {/* Between 480 and 640 px two columns leave too little room for the whole
                  label, so "Continue with" is read but not shown there; the name stays
                  "Continue with GitHub" and still contains the visible "GitHub". */}
              <span className="min-[480px]:max-sm:sr-only">Continue with </span>
              {provider.name}
            </ProviderButton>
          </form>
        ))}
      </div>
      {/* Its own row, the grid's full width, under the providers: the grid's rows keep their
          shape (an odd last provider spans both columns), and a passkey, which is no
          provider, does not read as one of them. */}
      {passkey ? (
        <div className={providers.length > 0 ? "mt-3" : ""}>
          <ProviderButton
            type="button"
            provider="passkey"
            pending={withPasskey.pending}
            disabled={pendingId !== null}
            onClick={() => void withPasskey.signInWithButton()}
          >
            Sign in with a passkey
          </ProviderButton>
        </div>
      ) : null}
      {/* Outside the buttons so their accessible names stay "Continue with …". Present from
          the first render: screen readers only announce changes to a region they know. */}
      <p aria-live="polite" className="sr-only">
        {pendingName
          ? `Redirecting to ${pendingName}…`
          : withPasskey.pending
            ? "Waiting for your passkey…"
            : ""}
      </p>
    </div>
  );
}
