"use client";
// Signing in with a passkey on /sign-in: the button's ceremony (a modal browser dialog), and
// the email field's autofill (conditional mediation), started on page load where the browser
// offers it. Both go: POST /api/passkeys/sign-in-options (the options, the challenge
// cookie) → startAuthentication (the browser and the authenticator) →
// signInWithPasskeyAction, which ends in a redirect (signed in, or the second step) or says
// why not.
//
// - The options come from a route handler through fetch, not from a server action: Next
//   runs a page's actions one at a time, and the autofill start, sent as the page loads,
//   would hold a provider button's action behind it (lib/auth/passkey-sign-in-options.ts).
// - One ceremony at a time: the library's WebAuthnAbortService cancels the waiting autofill
//   ceremony when the button starts its own (and on unmount). A cancelled ceremony, like the
//   person closing the dialog, is no error: back to idle, and autofill is offered again.
// - Nothing is logged to the console when the browser has no passkey support or no autofill.
// - The spinner resets when the page comes back from the back/forward cache.
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  WebAuthnAbortService,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";
import { unstable_rethrow } from "next/navigation";
import { useEffect, useRef, useState, useTransition } from "react";

import { ceremonyCancelled } from "@/components/auth/passkey-errors";
import { useBfcacheReset } from "@/components/auth/use-bfcache-reset";
import {
  actionErrorMessage,
  CONNECTION_ERROR,
  thrownActionMessage,
} from "@/components/forms/action-failure";
import { signInWithPasskeyAction } from "@/lib/actions/auth";

/** app/api/passkeys/sign-in-options/route.ts */
const OPTIONS_PATH = "/api/passkeys/sign-in-options";

export const PASSKEY_UNSUPPORTED = "This browser can't use passkeys. Sign in another way.";
export const PASSKEY_FAILED =
  "That passkey could not sign you in. Try again, or use another way to sign in.";

export function usePasskeySignIn({
  callbackUrl,
  autofill,
}: {
  callbackUrl: string;
  /** The email field is marked for passkey autofill: offer passkeys there. */
  autofill: boolean;
}) {
  const [pending, setPending] = useState(false);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [, startTransition] = useTransition();
  // Bumped to start the autofill ceremony again (after a cancelled or failed one).
  const [autofillRound, setAutofillRound] = useState(0);
  // The autofill ceremony is the one waiting in the browser (not the button's): only then
  // may the button, or the effect's clean-up, cancel it.
  const autofillWaiting = useRef(false);
  useBfcacheReset(() => {
    setPending(false);
    setAutofillRound((round) => round + 1);
  });

  /** Hands the browser's answer to the server; ends in its redirect, or a message. */
  function finish(response: AuthenticationResponseJSON) {
    setPending(true);
    // A transition: the redirect the action answers with is Next's to follow. Only this
    // short call runs in one; the waiting autofill ceremony must not, or it would hold every
    // other transition of the page (the password form's) until it ends.
    startTransition(async () => {
      try {
        const result = await signInWithPasskeyAction({ response, callbackUrl });
        setPending(false);
        // Not signed in: say why; autofill is offered again as `pending` drops.
        setMessage(result?.data?.message ?? actionErrorMessage(result));
      } catch (error) {
        unstable_rethrow(error);
        setPending(false);
        setMessage(thrownActionMessage(error));
      }
    });
  }

  /** One ceremony: null when it was cancelled or failed (and said so). */
  async function ceremony(
    isAutofill: boolean,
    stillWanted: () => boolean,
  ): Promise<AuthenticationResponseJSON | null> {
    const answer = await requestOptions(isAutofill);
    if (!answer.ok) {
      // The page-load ceremony stays quiet: the person asked for nothing yet.
      if (!isAutofill) setMessage(answer.message);
      return null;
    }
    if (!stillWanted()) return null;
    if (isAutofill) autofillWaiting.current = true;
    try {
      return await startAuthentication({
        optionsJSON: answer.options,
        useBrowserAutofill: isAutofill,
      });
    } catch (error) {
      if (!isAutofill && !ceremonyCancelled(error)) setMessage(PASSKEY_FAILED);
      return null;
    } finally {
      if (isAutofill) autofillWaiting.current = false;
    }
  }

  // Autofill: on page load, and again after each ceremony that did not sign in.
  useEffect(() => {
    if (!autofill || pending) return;
    let wanted = true;
    void (async () => {
      // False where unsupported: nothing starts, nothing is logged.
      if (!(await browserSupportsWebAuthnAutofill()) || !wanted) return;
      const response = await ceremony(true, () => wanted);
      if (response && wanted) finish(response);
    })();
    return () => {
      wanted = false;
      if (autofillWaiting.current) WebAuthnAbortService.cancelCeremony();
    };
    // ceremony and finish read only state setters and props captured per round.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [autofill, autofillRound, pending]);

  /** "Sign in with a passkey" pressed. A second press while one runs does nothing. */
  async function signInWithButton() {
    if (pending) return;
    setMessage(undefined);
    if (!browserSupportsWebAuthn()) {
      setMessage(PASSKEY_UNSUPPORTED);
      return;
    }
    // The waiting autofill ceremony ends here, before the button's own starts.
    if (autofillWaiting.current) WebAuthnAbortService.cancelCeremony();
    setPending(true);
    const response = await ceremony(false, () => true);
    if (response) {
      finish(response);
      return;
    }
    setPending(false);
  }

  return { pending, message, signInWithButton };
}

type OptionsAnswer =
  { ok: true; options: PublicKeyCredentialRequestOptionsJSON } | { ok: false; message: string };

/** The ceremony's options from the server, or the sentence to show instead. */
async function requestOptions(autofill: boolean): Promise<OptionsAnswer> {
  let response: Response;
  try {
    response = await fetch(OPTIONS_PATH, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ autofill }),
      cache: "no-store",
    });
  } catch {
    return { ok: false, message: CONNECTION_ERROR };
  }
  const json = (await response.json().catch(() => null)) as {
    ok?: unknown;
    options?: unknown;
    message?: unknown;
  } | null;
  if (response.ok && json?.ok === true && typeof json.options === "object" && json.options) {
    return { ok: true, options: json.options as PublicKeyCredentialRequestOptionsJSON };
  }
  // Every refusal carries its sentence; anything else (a proxy's error page) gets the
  // general one.
  return {
    ok: false,
    message: typeof json?.message === "string" ? json.message : CONNECTION_ERROR,
  };
}
