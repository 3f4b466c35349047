"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useRef, useState, type FormEvent } from "react";

import { showFormError, FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { focusSectionHeading } from "@/components/account/section";
import { FormField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { changePasswordAction, setPasswordAction } from "@/lib/actions/account";
import type { ChangePasswordInput, SetPasswordInput } from "@/lib/account/schemas";

interface PasswordSectionProps {
  /** The section this belongs to (focus returns to its heading when the form is swapped). */
  sectionId: string;
  hasPassword: boolean;
  /** The account's email; null means the set-password form asks for one. */
  email: string | null;
  /** The password rules in words, from the constants the server checks. */
  passwordHint: string;
}

/**
 * "Set a password" or "Change password". The message lives here, above the forms, so it
 * survives the switch from one form to the other after a password is set.
 *
 * Passwords never go into React state: the inputs are uncontrolled, read once on submit,
 * and the form is reset after success. The action hook's own copy of the input is dropped
 * (reset) as soon as the answer is in. The schemas are not imported here (they would ship
 * zod and the common-password list to every visitor): the server validates and answers
 * per field, in the same words.
 */
export function PasswordSection({
  sectionId,
  hasPassword,
  email,
  passwordHint,
}: PasswordSectionProps) {
  const [feedback, setFeedback] = useState<Feedback>(null);
  return (
    <div className="max-w-md">
      <FeedbackMessage feedback={feedback} className="mb-5" />
      {hasPassword ? (
        <ChangePasswordForm email={email} passwordHint={passwordHint} onFeedback={setFeedback} />
      ) : (
        <SetPasswordForm
          email={email}
          passwordHint={passwordHint}
          onFeedback={setFeedback}
          // The refreshed page swaps this form for "Change password", focused button and all.
          onDone={() => focusSectionHeading(sectionId)}
        />
      )}
    </div>
  );
}

interface FormProps {
  email: string | null;
  passwordHint: string;
  onFeedback: (feedback: Feedback) => void;
}

function text(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

/** Lets password managers file the new password under the right account. */
function UsernameForManagers({ email }: { email: string | null }) {
  if (!email) return null;
  return (
    <input
      type="email"
      name="username"
      autoComplete="username"
      value={email}
      readOnly
      hidden
      aria-hidden="true"
      tabIndex={-1}
    />
  );
}

type SetField = keyof SetPasswordInput;
const setFieldOrder: SetField[] = ["email", "password"];

function SetPasswordForm({
  email,
  passwordHint,
  onFeedback,
  onDone,
}: FormProps & { onDone: () => void }) {
  const router = useRouter();
  const formRef = useRef<HTMLFormElement>(null);
  const inputs = useRef<Partial<Record<SetField, HTMLInputElement | null>>>({});
  const [errors, setErrors] = useState<Partial<Record<SetField, string>>>({});

  const { execute, isPending, reset } = useAction(setPasswordAction, {
    onSuccess({ input }) {
      formRef.current?.reset();
      reset();
      setErrors({});
      const address = email ?? input.email?.trim();
      onFeedback({
        kind: "success",
        message: address
          ? `Password set. You can now sign in with ${address} and your password.`
          : "Password set. You can now sign in with your email and password.",
      });
      onDone();
      router.refresh();
    },
    onError({ error }) {
      reset();
      showFormError(error, {
        order: setFieldOrder,
        setErrors,
        focus: (field) => inputs.current[field]?.focus(),
        onFeedback,
      });
    },
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (isPending) return;
    const form = new FormData(event.currentTarget);
    const input: SetPasswordInput = { password: text(form, "password") };
    if (!email) input.email = text(form, "email");
    setErrors({});
    onFeedback(null);
    execute(input);
  }

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="set-password-title">
      <h3 id="set-password-title" className="text-lg font-bold">
        Set a password
      </h3>
      <p className="mt-1 text-pretty text-muted">
        {email
          ? `Sign in with ${email} and a password, as well as your linked accounts.`
          : "Add an email address and a password to sign in without a provider."}
      </p>
      <div className="mt-5 grid gap-5">
        {email ? (
          <UsernameForManagers email={email} />
        ) : (
          <FormField
            ref={(element) => {
              inputs.current.email = element;
            }}
            name="email"
            label="Email"
            type="email"
            autoComplete="email"
            inputMode="email"
            autoCapitalize="none"
            spellCheck={false}
            required
            error={errors.email}
          />
        )}
        <FormField
          ref={(element) => {
            inputs.current.password = element;
          }}
          name="password"
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint={passwordHint}
          error={errors.password}
        />
        <SubmitButton busy={isPending} busyText="Setting your password…">
          Set password
        </SubmitButton>
      </div>
    </form>
  );
}

type ChangeField = keyof ChangePasswordInput;
const changeFieldOrder: ChangeField[] = ["currentPassword", "newPassword"];

function ChangePasswordForm({ email, passwordHint, onFeedback }: FormProps) {
  const router = useRouter();
  const formRef = useRef<HTMLFormElement>(null);
  const inputs = useRef<Partial<Record<ChangeField, HTMLInputElement | null>>>({});
  const [errors, setErrors] = useState<Partial<Record<ChangeField, string>>>({});

  const { execute, isPending, reset } = useAction(changePasswordAction, {
    onSuccess({ data, input }) {
      // Back to empty fields and the box checked again (its default).
      formRef.current?.reset();
      reset();
      setErrors({});
      onFeedback({ kind: "success", message: changedMessage(input, data.signedOutSessions) });
      // The devices list and the activity log have changed too.
      router.refresh();
    },
    onError({ error }) {
      reset();
      showFormError(error, {
        order: changeFieldOrder,
        setErrors,
        focus: (field) => inputs.current[field]?.focus(),
        onFeedback,
      });
    },
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (isPending) return;
    const form = new FormData(event.currentTarget);
    setErrors({});
    onFeedback(null);
    execute({
      currentPassword: text(form, "currentPassword"),
      newPassword: text(form, "newPassword"),
      signOutOtherSessions: form.get("signOutOtherSessions") === "on",
    });
  }

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="change-password-title">
      <h3 id="change-password-title" className="text-lg font-bold">
        Change password
      </h3>
      <div className="mt-5 grid gap-5">
        <UsernameForManagers email={email} />
        <FormField
          ref={(element) => {
            inputs.current.currentPassword = element;
          }}
          name="currentPassword"
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          error={errors.currentPassword}
        />
        <FormField
          ref={(element) => {
            inputs.current.newPassword = element;
          }}
          name="newPassword"
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint={passwordHint}
          error={errors.newPassword}
        />
        <div className="flex items-start gap-3">
          <input
            id="sign-out-other-sessions"
            name="signOutOtherSessions"
            type="checkbox"
            defaultChecked
            aria-describedby="sign-out-other-sessions-hint"
            className="mt-0.5 size-5 shrink-0 cursor-pointer accent-brand"
          />
          <div className="min-w-0">
            <label htmlFor="sign-out-other-sessions" className="cursor-pointer font-semibold">
              Sign out my other sessions
            </label>
            <p id="sign-out-other-sessions-hint" className="text-sm text-pretty text-muted">
              Every other device will need the new password. This one stays signed in.
            </p>
          </div>
        </div>
        <SubmitButton busy={isPending} busyText="Changing your password…">
          Change password
        </SubmitButton>
      </div>
    </form>
  );
}

function changedMessage(input: ChangePasswordInput, signedOut: number): string {
  if (input.signOutOtherSessions === false) {
    return "Password changed. Your other devices stay signed in.";
  }
  if (signedOut === 0) return "Password changed. No other device was signed in.";
  if (signedOut === 1) return "Password changed, and 1 other device was signed out.";
  return `Password changed, and ${signedOut} other devices were signed out.`;
}
