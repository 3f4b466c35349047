"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";

import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { EmailField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { buttonClasses } from "@/components/ui/button";
import type { ChangeEmailInput } from "@/lib/account/schemas";
import { changeEmailAction } from "@/lib/actions/email";

/**
 * "Change email" (or "Add email" when the account has none) under the account's address: a
 * button that opens a one-field form. Nothing changes here — the answer says a link went to
 * the new address, and the change happens when that link is opened. The message shows right
 * where the form was, which is where the eyes are.
 */
export function EmailChange({ email }: { email: string | null }) {
  const [open, setOpen] = useState(false);
  // The message regions come with the form and then stay: live regions must exist before
  // their message arrives, and empty ones on every page load would only add noise.
  const [used, setUsed] = useState(false);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const label = email ? "Change email" : "Add email";
  const close = () => {
    setOpen(false);
    // The button comes back in the form's place: focus goes there, not to the page.
    requestAnimationFrame(() => toggle.current?.focus());
  };

  return (
    <div className="mt-4">
      {open ? (
        <ChangeEmailForm
          title={label}
          hasEmail={email !== null}
          onCancel={close}
          onFeedback={setFeedback}
          onSent={close}
        />
      ) : (
        <button
          ref={toggle}
          type="button"
          onClick={() => {
            setFeedback(null);
            setUsed(true);
            setOpen(true);
          }}
          className={buttonClasses({ variant: "neutral", size: "md" })}
        >
          {label}
        </button>
      )}
      {used ? <FeedbackMessage feedback={feedback} className="mt-4" /> : null}
    </div>
  );
}

interface FormProps {
  title: string;
  hasEmail: boolean;
  onCancel: () => void;
  onFeedback: (feedback: Feedback) => void;
  onSent: () => void;
}

function ChangeEmailForm({ title, hasEmail, onCancel, onFeedback, onSent }: FormProps) {
  const router = useRouter();
  const form = useActionForm({
    action: changeEmailAction,
    read: (data): ChangeEmailInput => ({ email: text(data, "email") }),
    fields: ["email"],
    onMessage: (message) => onFeedback(message ? { kind: "error", message } : null),
    onSuccess(data, input) {
      const address = data?.email ?? input.email.trim();
      onFeedback({
        kind: "success",
        message: `We've sent a link to ${address}. Your address changes when you open it.`,
      });
      onSent();
      // The activity list shows the request.
      router.refresh();
    },
  });

  return (
    <form {...form.formProps} noValidate aria-label={title} className="grid gap-4">
      <EmailField
        {...form.field("email")}
        label={hasEmail ? "New email address" : "Email address"}
        // Opened on purpose: typing can start at once.
        autoFocus
        hint="We'll send a link to it. Nothing changes until you open that link."
      />
      <SubmitButton busy={form.busy} busyText="Sending link…">
        Send link
      </SubmitButton>
      <button
        type="button"
        onClick={onCancel}
        className={buttonClasses({ variant: "secondary", size: "md", block: true })}
      >
        Cancel
      </button>
    </form>
  );
}
