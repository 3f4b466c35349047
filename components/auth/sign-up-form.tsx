"use client";

import { FormAlert } from "@/components/auth/form-alert";
import { FormField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { signUpAction } from "@/lib/actions/auth";

interface SignUpFormProps {
  callbackUrl: string;
  /** The password rules in words, from the same constants the server checks. */
  passwordHint: string;
}

export function SignUpForm({ callbackUrl, passwordHint }: SignUpFormProps) {
  // A refused form keeps email and name (the password is typed again) and puts the caret
  // in the first field to fix; the form's alert has already been announced.
  const form = useActionForm({
    action: signUpAction,
    read: (data) => ({
      email: text(data, "email"),
      password: text(data, "password"),
      name: text(data, "name"),
      callbackUrl: text(data, "callbackUrl"),
    }),
    fields: ["email", "password", "name"],
    forget: ["password"],
  });

  return (
    // noValidate: the server's messages are the ones shown, worded the same every time and
    // tied to their fields; the browser's bubbles would say something different first.
    <form {...form.formProps} noValidate>
      <FormAlert message={form.message} />
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <div className="grid gap-5">
        <FormField
          {...form.field("email")}
          label="Email"
          type="email"
          autoComplete="email"
          inputMode="email"
          autoCapitalize="none"
          spellCheck={false}
          required
          defaultValue={form.values.email ?? ""}
        />
        <FormField
          {...form.field("password")}
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          hint={passwordHint}
        />
        <FormField
          {...form.field("name")}
          label="Name"
          optional
          type="text"
          autoComplete="name"
          defaultValue={form.values.name ?? ""}
        />
        <SubmitButton busy={form.busy} busyText="Creating account…">
          Create account
        </SubmitButton>
      </div>
    </form>
  );
}
