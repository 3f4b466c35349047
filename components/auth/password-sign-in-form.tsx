"use client";

import { useActionState, useState, type FormEvent } from "react";

import { catchThrownAction } from "@/components/action-failure";
import { FormAlert } from "@/components/auth/form-alert";
import { FormField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { useBfcacheReset } from "@/components/auth/use-bfcache-reset";
import { signInWithPasswordAction, type FormState } from "@/lib/actions/auth";

const initialState: FormState = { status: "idle" };

function text(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
}

// A call that fails before the action answers (a page older than the server, a refused
// request, offline) becomes the form's message; the email stays, like after any answer.
const signIn = catchThrownAction<FormState>(signInWithPasswordAction, (message, formData) => ({
  status: "error",
  message,
  values: { email: text(formData, "email") },
}));

/** Email + password sign-in. Every failure shows the one message the action returns. */
export function PasswordSignInForm({
  callbackUrl,
  email,
}: {
  callbackUrl: string;
  /** Prefilled when a signed-in person confirms it is them (reauth). */
  email?: string;
}) {
  const [state, formAction, isPending] = useActionState(signIn, initialState);
  // React's pending flag cannot be cleared from outside; this masks it once the page is
  // shown again from the back/forward cache (see useBfcacheReset), until the next submit.
  const [restored, setRestored] = useState(false);
  useBfcacheReset(() => setRestored(true));
  const busy = isPending && !restored;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    // One attempt at a time: a double submit would count twice against the rate limit.
    if (busy) {
      event.preventDefault();
      return;
    }
    setRestored(false);
  }

  // Only a control character is named at its field; every other refusal is one message.
  const errors = state.status === "error" ? (state.fieldErrors ?? {}) : {};

  return (
    <form action={formAction} onSubmit={onSubmit}>
      <FormAlert message={state.status === "error" ? state.message : undefined} />
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <div className="grid gap-5">
        <FormField
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          inputMode="email"
          autoCapitalize="none"
          spellCheck={false}
          required
          error={errors.email}
          // After a failed attempt React resets the form to its default values; the action
          // hands back the email (never the password), so only the password must be retyped.
          defaultValue={state.values?.email ?? email ?? ""}
        />
        <FormField
          name="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          error={errors.password}
        />
        <SubmitButton busy={busy} busyText="Signing in…">
          Sign in
        </SubmitButton>
      </div>
    </form>
  );
}
