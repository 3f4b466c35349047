"use client";
// The "Confirm" button on the verification link's page: the one POST that uses the link up.
// Its answer replaces the page's content (verified, or why the link is dead by now).
import { useEffect, useRef, useState, type ReactNode } from "react";

import { FormAlert } from "@/components/auth/form-alert";
import { SubmitButton } from "@/components/auth/submit-button";
import { DeadVerifyLink, EmailVerified } from "@/components/auth/verify-link-outcome";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { verifyEmailAction } from "@/lib/actions/auth";
import type { VerifyEmailAnswer } from "@/lib/actions/auth/verify-email";

interface VerifyEmailFormProps {
  token: string;
  signedIn: boolean;
  /** The page's content until the answer comes (what will be confirmed). */
  children: ReactNode;
}

export function VerifyEmailForm({ token, signedIn, children }: VerifyEmailFormProps) {
  const [answer, setAnswer] = useState<VerifyEmailAnswer | null>(null);
  const form = useActionForm({
    action: verifyEmailAction,
    read: (data) => ({ token: text(data, "token") }),
    fields: [],
    onSuccess: (data) => setAnswer(data ?? null),
  });

  if (answer) return <Answer answer={answer} signedIn={signedIn} />;
  return (
    <>
      {children}
      <form {...form.formProps} className="mt-8">
        <FormAlert message={form.message} />
        <input type="hidden" name="token" value={token} />
        <SubmitButton busy={form.busy} busyText="Confirming…">
          Confirm
        </SubmitButton>
      </form>
    </>
  );
}

/** The answer, with the caret on its heading: the content it replaced is gone. */
function Answer({ answer, signedIn }: { answer: VerifyEmailAnswer; signedIn: boolean }) {
  const region = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const heading = region.current?.querySelector("h1");
    heading?.setAttribute("tabindex", "-1");
    heading?.focus();
  }, []);
  return (
    <div ref={region} className="[&_h1]:outline-none">
      {answer.status === "verified" ? (
        <EmailVerified email={answer.email} signedIn={signedIn} />
      ) : (
        <DeadVerifyLink status={answer.status} signedIn={signedIn} />
      )}
    </div>
  );
}
