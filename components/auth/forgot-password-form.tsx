"use client";

import { useRef, useState } from "react";

import { FormAlert } from "@/components/auth/form-alert";
import { EmailField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { useRevealMessage } from "@/components/forms/use-reveal-message";
import { forgotPasswordAction } from "@/lib/actions/password-reset";

/**
 * The same answer for every address (the server decides nothing it could show here): the
 * words say what happens if an account uses it, never whether one does.
 */
export function forgotPasswordAnswer(email: string): string {
  return `If an account uses ${email}, we've sent a link to reset its password. If that account has a Telegram chat connected and its address is confirmed, the link went there too.`;
}

export function ForgotPasswordForm({ expiresInMinutes }: { expiresInMinutes: number }) {
  const [sentTo, setSentTo] = useState<string | null>(null);
  const region = useRef<HTMLDivElement>(null);
  useRevealMessage(region, sentTo);
  const form = useActionForm({
    action: forgotPasswordAction,
    read: (data) => ({ email: text(data, "email") }),
    fields: ["email"],
    onSuccess: (_data, input) => setSentTo(input.email.trim()),
  });

  return (
    <>
      {/* Always rendered: a live region announces what is added to it, once it exists. */}
      <div ref={region} role="status" aria-atomic="true">
        {sentTo === null ? null : (
          <div className="rounded-control border border-success/50 bg-success/8 px-4 py-4 sm:px-5">
            <p className="font-bold">Check your inbox</p>
            <p className="mt-2 break-words">{forgotPasswordAnswer(sentTo)}</p>
            <p className="mt-2 text-muted">
              The link works for {expiresInMinutes} minutes. Nothing after a few minutes? Look in
              your spam folder, or send another link.
            </p>
          </div>
        )}
      </div>
      {sentTo === null ? (
        <form {...form.formProps} noValidate>
          <FormAlert message={form.message} />
          <div className="grid gap-5">
            <EmailField {...form.field("email")} label="Email" />
            <SubmitButton busy={form.busy} busyText="Sending link…">
              Send reset link
            </SubmitButton>
          </div>
        </form>
      ) : (
        <button
          type="button"
          onClick={() => setSentTo(null)}
          className="mt-5 cursor-pointer rounded-sm font-semibold text-brand underline underline-offset-4 hover:no-underline"
        >
          Send another link
        </button>
      )}
    </>
  );
}
