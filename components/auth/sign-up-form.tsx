"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";

import { FormAlert } from "@/components/auth/form-alert";
import { EmailField, FormField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { buttonClasses } from "@/components/ui/button";
import { signUpAction } from "@/lib/actions/auth";

interface SignUpFormProps {
  /** The sign-in page, bringing the person back to where sign-up was opened from. */
  signInHref: string;
  /** The password rules in words, from the same constants the server checks. */
  passwordHint: string;
}

export function SignUpForm({ signInHref, passwordHint }: SignUpFormProps) {
  // The address the answer names; the same answer whether or not it has an account.
  const [sentTo, setSentTo] = useState<string | null>(null);
  // A refused form keeps email and name (the password is typed again) and puts the caret
  // in the first field to fix; the form's alert has already been announced.
  const form = useActionForm({
    action: signUpAction,
    read: (data) => ({
      email: text(data, "email"),
      password: text(data, "password"),
      name: text(data, "name"),
    }),
    fields: ["email", "password", "name"],
    forget: ["password"],
    onSuccess: (data) => setSentTo(data?.email ?? null),
  });

  if (sentTo !== null) return <CheckYourInbox email={sentTo} signInHref={signInHref} />;

  return (
    // noValidate: the server's messages are the ones shown, worded the same every time and
    // tied to their fields; the browser's bubbles would say something different first.
    <form {...form.formProps} noValidate>
      <FormAlert message={form.message} />
      <div className="grid gap-5">
        <EmailField {...form.field("email")} label="Email" defaultValue={form.values.email ?? ""} />
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

/**
 * What every sign-up answers, for a new address and a taken one alike. It replaces the form,
 * so the caret moves to its heading (a screen reader reads it; on a phone it is in view).
 */
function CheckYourInbox({ email, signInHref }: { email: string; signInHref: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: "nearest" });
  }, []);
  return (
    <section
      aria-labelledby="check-inbox"
      className="rounded-card border border-border px-5 py-6 sm:px-6"
    >
      <h2
        id="check-inbox"
        ref={heading}
        tabIndex={-1}
        className="text-xl font-bold tracking-tight outline-none"
      >
        Check your inbox
      </h2>
      <p className="mt-3">
        We&apos;ve sent a link to <strong className="break-all">{email}</strong> to confirm it.
      </p>
      <p className="mt-3 text-muted">
        You can sign in now; the link proves the address is yours. No mail? Check your spam folder,
        or send a new link from your account page once signed in.
      </p>
      <Link href={signInHref} className={buttonClasses({ block: true, className: "mt-6" })}>
        Sign in
      </Link>
    </section>
  );
}
