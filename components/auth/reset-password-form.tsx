"use client";

import Link from "next/link";
import { useRef, useState } from "react";

import { FormAlert } from "@/components/auth/form-alert";
import { FormField } from "@/components/auth/form-field";
import { ResetLinkProblem, type ResetLinkProblemKind } from "@/components/auth/reset-link-problem";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { useRevealMessage } from "@/components/forms/use-reveal-message";
import { buttonClasses } from "@/components/ui/button";
import { resetPasswordAction } from "@/lib/actions/password-reset";

type Outcome = { kind: "reset" } | { kind: "problem"; problem: ResetLinkProblemKind } | null;

interface ResetPasswordFormProps {
  /** The link's token, posted back with the new password (the POST uses it up). */
  token: string;
  /** The password rules in words, from the same constants the server checks. */
  passwordHint: string;
}

export function ResetPasswordForm({ token, passwordHint }: ResetPasswordFormProps) {
  const [outcome, setOutcome] = useState<Outcome>(null);
  const region = useRef<HTMLDivElement>(null);
  useRevealMessage(region, outcome?.kind ?? null);
  // The password is a React form action's field (`forget`): never kept, never in the address.
  const form = useActionForm({
    action: resetPasswordAction,
    read: (data) => ({ token: text(data, "token"), password: text(data, "password") }),
    fields: ["password"],
    forget: ["password"],
    onSuccess: (data) =>
      setOutcome(
        data?.reset ? { kind: "reset" } : { kind: "problem", problem: data?.problem ?? "unknown" },
      ),
  });

  return (
    <>
      <div ref={region} role="status" aria-atomic="true">
        {outcome?.kind === "reset" ? (
          <div className="rounded-control border border-success/50 bg-success/8 px-4 py-4 sm:px-5">
            <p className="font-bold">Password reset. Sign in with your new password.</p>
            <p className="mt-2">Every device that was signed in to your account is signed out.</p>
            <Link href="/sign-in" className={buttonClasses({ className: "mt-5 max-sm:w-full" })}>
              Sign in
            </Link>
          </div>
        ) : null}
      </div>
      {outcome?.kind === "problem" ? <ResetLinkProblem problem={outcome.problem} /> : null}
      {outcome === null ? (
        <form {...form.formProps} noValidate>
          <FormAlert message={form.message} />
          <input type="hidden" name="token" value={token} />
          <div className="grid gap-5">
            <FormField
              {...form.field("password")}
              label="New password"
              type="password"
              autoComplete="new-password"
              required
              hint={passwordHint}
            />
            <SubmitButton busy={form.busy} busyText="Saving password…">
              Set new password
            </SubmitButton>
          </div>
        </form>
      ) : null}
    </>
  );
}
