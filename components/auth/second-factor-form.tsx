"use client";
// One code, from the authenticator app or a recovery code, in two places:
// - the challenge page (/sign-in/second-factor): finishes a held sign-in;
// - "Confirm it's you" (/sign-in?reauth=1, `callbackUrl` given): a signed-in person proves it
//   with a code instead of signing in again.
// A right code ends in the redirect to where the person was headed; a wrong one is answered
// here and the field is emptied for the next try; a sign-in that is over (expired, or five
// wrong codes) leaves only "Sign in again".
import Link from "next/link";
import { useState } from "react";

import { FormAlert } from "@/components/auth/form-alert";
import { FormField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { buttonClasses } from "@/components/ui/button";
import {
  cancelSecondFactorAction,
  confirmWithCodeAction,
  passSecondFactorAction,
} from "@/lib/actions/auth";
import type { SecondFactorAnswer } from "@/lib/actions/auth/second-factor";

interface SecondFactorFormProps {
  kind: "totp" | "recovery";
  /** Confirming it's you (signed in): where to go back to. Absent: a held sign-in. */
  callbackUrl?: string;
}

export function SecondFactorForm({ kind, callbackUrl }: SecondFactorFormProps) {
  const [answer, setAnswer] = useState<SecondFactorAnswer | null>(null);
  const form = useActionForm({
    action: (input: { kind: "totp" | "recovery"; code: string }) =>
      callbackUrl === undefined
        ? passSecondFactorAction(input)
        : confirmWithCodeAction({ ...input, callbackUrl }),
    read: (data) => ({ kind, code: text(data, "code") }),
    fields: ["code"],
    // A code is typed again after a wrong one, never kept.
    forget: ["code"],
    onSuccess: (data) => setAnswer(data ?? null),
    onMessage: (message) => {
      if (message) setAnswer(null);
    },
  });

  if (answer?.restart) {
    return (
      <div role="alert">
        <p className="rounded-control border border-danger/50 bg-danger/8 px-4 py-3 font-medium">
          {answer.message}
        </p>
        <Link href="/sign-in" className={buttonClasses({ className: "mt-6" })}>
          Sign in again
        </Link>
      </div>
    );
  }

  return (
    <form {...form.formProps}>
      <FormAlert message={form.message ?? answer?.message} />
      <div className="grid gap-5">
        {kind === "totp" ? (
          <FormField
            {...form.field("code")}
            label="Code from your app"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]*"
            maxLength={8}
            // The challenge page is only this field; on "Confirm it's you" it is one choice.
            autoFocus={callbackUrl === undefined}
            required
            className="mt-2 block min-h-12 w-full min-w-0 rounded-control border border-muted bg-surface px-3.5 py-2 font-mono text-xl tracking-[0.3em] text-text aria-invalid:border-danger aria-invalid:ring-1 aria-invalid:ring-danger"
          />
        ) : (
          <FormField
            {...form.field("code")}
            label="Recovery code"
            hint="Like 7k2mq-x9d4r. Capitals and dashes don't matter."
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={24}
            autoFocus={callbackUrl === undefined}
            required
            className="mt-2 block min-h-12 w-full min-w-0 rounded-control border border-muted bg-surface px-3.5 py-2 font-mono text-lg text-text aria-invalid:border-danger aria-invalid:ring-1 aria-invalid:ring-danger"
          />
        )}
        <SubmitButton busy={form.busy} busyText="Checking…">
          Verify
        </SubmitButton>
      </div>
    </form>
  );
}

/** "Cancel": gives the pending sign-in up (it is deleted) and goes back to the sign-in page. */
export function CancelSecondFactor() {
  return (
    <form action={cancelSecondFactorAction}>
      <button
        type="submit"
        className="cursor-pointer rounded-sm font-semibold text-muted underline underline-offset-4 hover:no-underline"
      >
        Cancel and go back to sign-in
      </button>
    </form>
  );
}
