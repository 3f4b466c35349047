"use client";

import { useState } from "react";

import { EmailChangeOutcome } from "@/components/account/email-change-outcome";
import { RevealOnMount } from "@/components/account/feedback";
import { EmailText } from "@/components/account/email-text";
import { FormAlert } from "@/components/auth/form-alert";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { describeEmailChange, type EmailChangeCopy } from "@/lib/account/email-change-copy";
import { confirmEmailChangeAction } from "@/lib/actions/email";

interface ConfirmEmailChangeProps {
  token: string;
  currentEmail: string | null;
  newEmail: string;
  signedIn: boolean;
}

/**
 * The question a valid link asks, and the button whose POST uses the link (opening the link
 * never does: mail scanners open links too). The answer replaces the question.
 */
export function ConfirmEmailChange({
  token,
  currentEmail,
  newEmail,
  signedIn,
}: ConfirmEmailChangeProps) {
  const [outcome, setOutcome] = useState<EmailChangeCopy | null>(null);
  const form = useActionForm({
    action: confirmEmailChangeAction,
    read: (data) => ({ token: text(data, "token") }),
    fields: [],
    // No router.refresh(): the page would read the link again, now used, and say so.
    onSuccess(result) {
      if (result) setOutcome(describeEmailChange(result, signedIn));
    },
  });

  if (outcome) {
    return (
      <RevealOnMount className="outline-none">
        <EmailChangeOutcome copy={outcome} />
      </RevealOnMount>
    );
  }
  return (
    <form {...form.formProps}>
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">
        Confirm your new email address
      </h1>
      <p className="mt-4 text-lg text-pretty wrap-anywhere">
        {currentEmail ? (
          <>
            Change the email of your account from{" "}
            <strong>
              <EmailText email={currentEmail} />
            </strong>{" "}
            to{" "}
            <strong>
              <EmailText email={newEmail} />
            </strong>
            ?
          </>
        ) : (
          <>
            Add{" "}
            <strong>
              <EmailText email={newEmail} />
            </strong>{" "}
            to your account as its email address?
          </>
        )}
      </p>
      <p className="mt-3 text-pretty text-muted">
        From then on, you sign in with this address and password resets go to it.
      </p>
      <input type="hidden" name="token" value={token} />
      <div className="mt-8">
        <FormAlert message={form.message} />
        <SubmitButton busy={form.busy} busyText="Changing your email…">
          {currentEmail ? "Change my email" : "Add this address"}
        </SubmitButton>
      </div>
    </form>
  );
}
