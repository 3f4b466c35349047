"use client";

import Link from "next/link";

import { FormAlert } from "@/components/auth/form-alert";
import { EmailField, FormField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { signInWithPasswordAction } from "@/lib/actions/auth";

/** Email + password sign-in. Every failure shows the one message the action returns. */
export function PasswordSignInForm({
  callbackUrl,
  email,
  showForgotPassword = false,
  passkeyAutofill = false,
}: {
  callbackUrl: string;
  /** Prefilled when a signed-in person confirms it is them (reauth). */
  email?: string;
  /** A "Forgot password?" link under the password (not when confirming it's you). */
  showForgotPassword?: boolean;
  /** The email field offers the site's passkeys in the browser's autofill too. */
  passkeyAutofill?: boolean;
}) {
  // Only a control character is named at its field; every other refusal is one message.
  // After a failed attempt the email stays and the password must be typed again.
  const form = useActionForm({
    action: signInWithPasswordAction,
    read: (data) => ({
      email: text(data, "email"),
      password: text(data, "password"),
      callbackUrl: text(data, "callbackUrl"),
    }),
    fields: ["email", "password"],
    forget: ["password"],
  });

  return (
    <form {...form.formProps}>
      <FormAlert message={form.message} />
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <div className="grid gap-5">
        <EmailField
          {...form.field("email")}
          label="Email"
          // "webauthn" last: where the browser supports it, the suggestions under the field
          // list this site's passkeys (the ceremony is started by the passkey button's hook).
          autoComplete={passkeyAutofill ? "username webauthn" : "email"}
          defaultValue={form.values.email ?? email ?? ""}
        />
        <FormField
          {...form.field("password")}
          label="Password"
          type="password"
          autoComplete="current-password"
          required
        />
        {showForgotPassword ? (
          <p className="-mt-2">
            <Link
              href="/forgot-password"
              className="rounded-sm font-semibold text-brand underline underline-offset-4 hover:no-underline"
            >
              Forgot password?
            </Link>
          </p>
        ) : null}
        <SubmitButton busy={form.busy} busyText="Signing in…">
          Sign in
        </SubmitButton>
      </div>
    </form>
  );
}
