"use client";

// What a section says after one of its actions: one success or one error at a time, in
// live regions that exist from the first render (screen readers announce changes to a
// region they already know, and may miss one that appears together with its text).
//
// A client module: the error helpers use Next's client-only action errors. The account
// page's server components import only CheckIcon from here, which renders fine as a client
// component.
import { thrownActionMessage } from "@/components/action-failure";

export type Feedback = { kind: "success" | "error"; message: string } | null;

/** What the server actions answer when they refuse (next-safe-action, flattened errors). */
interface ActionErrorResult {
  serverError?: string;
  validationErrors?: {
    formErrors: string[];
    fieldErrors: Partial<Record<string, string[] | undefined>>;
  };
  thrownError?: Error;
}

/** One sentence for a refused or failed action; never the thrown error's own text. */
export function actionErrorMessage(error: ActionErrorResult): string {
  if (error.serverError) return error.serverError;
  const validation = error.validationErrors;
  const firstFieldError = Object.values(validation?.fieldErrors ?? {}).find(
    (messages) => messages && messages.length > 0,
  )?.[0];
  const message = validation?.formErrors[0] ?? firstFieldError;
  if (message) return message;
  // A thrown error is a call that never reached the action (offline, refused in front of
  // it, a page older than the server): the action itself answers every error with a message.
  return thrownActionMessage(error.thrownError);
}

/** The first message of each field, as the forms show them. */
export function fieldErrorsOf<Field extends string>(
  error: ActionErrorResult,
): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  for (const [field, messages] of Object.entries(error.validationErrors?.fieldErrors ?? {})) {
    const first = messages?.[0];
    if (first) out[field as Field] = first;
  }
  return out;
}

/**
 * Shows a refused form action: field errors next to their fields (focusing the first, in
 * the form's order), anything else as the section's message.
 */
export function showFormError<Field extends string>(
  error: ActionErrorResult,
  form: {
    order: readonly Field[];
    setErrors: (errors: Partial<Record<Field, string>>) => void;
    focus: (field: Field) => void;
    onFeedback: (feedback: Feedback) => void;
  },
): void {
  const fieldErrors = fieldErrorsOf<Field>(error);
  form.setErrors(fieldErrors);
  const first = form.order.find((field) => fieldErrors[field]);
  if (first) {
    form.onFeedback(null);
    form.focus(first);
  } else {
    form.onFeedback({ kind: "error", message: actionErrorMessage(error) });
  }
}

/**
 * The section's message. Success in a polite status region, errors in an alert region;
 * both always rendered, empty (and taking no space) until there is something to say.
 */
export function FeedbackMessage({
  feedback,
  className = "",
}: {
  feedback: Feedback;
  className?: string;
}) {
  const success = feedback?.kind === "success" ? feedback.message : null;
  const error = feedback?.kind === "error" ? feedback.message : null;
  return (
    <>
      <div role="status" aria-atomic="true">
        {success ? (
          <p
            className={`flex items-start gap-2.5 rounded-control border border-success/50 bg-success/8 px-4 py-3 font-medium ${className}`}
          >
            <CheckIcon />
            <span className="min-w-0">{success}</span>
          </p>
        ) : null}
      </div>
      <div role="alert" aria-atomic="true">
        {error ? (
          <p
            className={`rounded-control border border-danger/50 bg-danger/8 px-4 py-3 font-medium ${className}`}
          >
            {error}
          </p>
        ) : null}
      </div>
    </>
  );
}

export function CheckIcon({ className = "mt-0.5 size-5 text-success" }: { className?: string }) {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className={`shrink-0 ${className}`}
      fill="none"
      stroke="currentColor"
      strokeWidth="2.5"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="m5 12.5 4.5 4.5L19 7.5" />
    </svg>
  );
}
