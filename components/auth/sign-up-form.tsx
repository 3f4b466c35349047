"use client";

import { useActionState, useEffect, useRef, useState, type FormEvent } from "react";

import { catchThrownAction } from "@/components/action-failure";
import { FormAlert } from "@/components/auth/form-alert";
import { FormField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { useBfcacheReset } from "@/components/auth/use-bfcache-reset";
import { signUpAction, type FormState } from "@/lib/actions/auth";

const initialState: FormState = { status: "idle" };

function text(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
}

// A call that fails before the action answers (a page older than the server, a refused
// request, offline) becomes the form's message; email and name stay, like after any answer
// (the password is never kept).
const signUp = catchThrownAction<FormState>(signUpAction, (message, formData) => ({
  status: "error",
  message,
  values: { email: text(formData, "email"), name: text(formData, "name") },
}));

type FieldName = keyof NonNullable<FormState["fieldErrors"]>;

/** The order fields appear in, which is also the order focus looks for the first error. */
const fieldOrder: FieldName[] = ["email", "password", "name"];

interface SignUpFormProps {
  callbackUrl: string;
  /** The password rules in words, from the same constants the server checks. */
  passwordHint: string;
}

export function SignUpForm({ callbackUrl, passwordHint }: SignUpFormProps) {
  const [state, formAction, isPending] = useActionState(signUp, initialState);
  // See PasswordSignInForm: masks a pending flag left over in a page restored from the
  // back/forward cache, until the next submit.
  const [restored, setRestored] = useState(false);
  useBfcacheReset(() => setRestored(true));
  const busy = isPending && !restored;

  const inputs = useRef<Partial<Record<FieldName, HTMLInputElement | null>>>({});
  const errors = state.status === "error" ? (state.fieldErrors ?? {}) : {};

  // After a refused submit, put the caret in the first field to fix; the form-level alert
  // has already been announced. Runs once per answer (each answer is a new object).
  useEffect(() => {
    if (state.status !== "error" || !state.fieldErrors) return;
    const first = fieldOrder.find((field) => state.fieldErrors?.[field]);
    if (first) inputs.current[first]?.focus();
  }, [state]);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    if (busy) {
      event.preventDefault();
      return;
    }
    setRestored(false);
  }

  return (
    // noValidate: the server's messages are the ones shown, worded the same every time and
    // tied to their fields; the browser's bubbles would say something different first.
    <form action={formAction} onSubmit={onSubmit} noValidate>
      <FormAlert message={state.status === "error" ? state.message : undefined} />
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <div className="grid gap-5">
        <FormField
          ref={(element) => {
            inputs.current.email = element;
          }}
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          inputMode="email"
          autoCapitalize="none"
          spellCheck={false}
          required
          error={errors.email}
          // React resets the form after each answer; the action returns what was typed
          // (never the password), so that is what the reset restores.
          defaultValue={state.values?.email ?? ""}
        />
        <FormField
          ref={(element) => {
            inputs.current.password = element;
          }}
          name="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          hint={passwordHint}
          error={errors.password}
        />
        <FormField
          ref={(element) => {
            inputs.current.name = element;
          }}
          name="name"
          label="Name"
          optional
          type="text"
          autoComplete="name"
          error={errors.name}
          defaultValue={state.values?.name ?? ""}
        />
        <SubmitButton busy={busy} busyText="Creating your account…">
          Create account
        </SubmitButton>
      </div>
    </form>
  );
}
