"use client";
// "Add a passkey": startPasskeyRegistrationAction (options, and the challenge in an HttpOnly
// cookie) → the browser's startRegistration() → finishPasskeyRegistrationAction with the
// name typed. Run as a transition: an action may answer with Next's redirect (a sign-in that
// is no longer recent goes to "Confirm it's you"), which Next follows. The person closing the
// browser's dialog is no error: back to idle, nothing said.
import { browserSupportsWebAuthn, startRegistration } from "@simplewebauthn/browser";
import { unstable_rethrow } from "next/navigation";
import { useState, useTransition } from "react";

import type { Feedback } from "@/components/account/feedback";
import { alreadyHeld, ceremonyCancelled } from "@/components/auth/passkey-errors";
import { useBfcacheReset } from "@/components/auth/use-bfcache-reset";
import {
  actionErrorMessage,
  fieldErrorsOf,
  thrownActionMessage,
} from "@/components/forms/action-failure";
import {
  finishPasskeyRegistrationAction,
  startPasskeyRegistrationAction,
} from "@/lib/actions/account";

export const ADD_PASSKEY_MESSAGES = {
  unsupported: "This browser can't create passkeys. Try another browser or device.",
  alreadyHeld:
    "This device or password manager already has a passkey for your account. Use another one.",
  failed: "Your browser could not create the passkey. Please try again.",
} as const;

export function useAddPasskey({
  setFeedback,
  onAdded,
}: {
  setFeedback: (feedback: Feedback) => void;
  /** The passkey is stored: its name, for the success message. */
  onAdded: (name: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [nameError, setNameError] = useState<string | undefined>(undefined);
  const [, startTransition] = useTransition();
  useBfcacheReset(() => setBusy(false));

  function fail(message: string) {
    setBusy(false);
    setFeedback({ kind: "error", message });
  }

  function add(name: string) {
    // A second press while one runs would start a second ceremony and cancel the first.
    if (busy) return;
    setFeedback(null);
    setNameError(undefined);
    if (!browserSupportsWebAuthn()) {
      setFeedback({ kind: "error", message: ADD_PASSKEY_MESSAGES.unsupported });
      return;
    }
    setBusy(true);
    startTransition(async () => {
      try {
        const started = await startPasskeyRegistrationAction();
        const options = started?.data?.options;
        if (!options) {
          fail(actionErrorMessage(started));
          return;
        }
        let response;
        try {
          response = await startRegistration({ optionsJSON: options });
        } catch (error) {
          if (ceremonyCancelled(error)) setBusy(false);
          else
            fail(
              alreadyHeld(error) ? ADD_PASSKEY_MESSAGES.alreadyHeld : ADD_PASSKEY_MESSAGES.failed,
            );
          return;
        }
        const finished = await finishPasskeyRegistrationAction({ response, name });
        if (finished?.data) {
          setBusy(false);
          onAdded(finished.data.name);
          return;
        }
        const fieldError = fieldErrorsOf<"name">(finished ?? {}).name;
        if (fieldError) {
          setBusy(false);
          setNameError(fieldError);
          return;
        }
        fail(actionErrorMessage(finished));
      } catch (error) {
        // A redirect (to "Confirm it's you") is Next's to follow.
        unstable_rethrow(error);
        fail(thrownActionMessage(error));
      }
    });
  }

  return { busy, nameError, add };
}
