"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { focusSectionHeading } from "@/components/account/section";
import { EmailField, FormField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { changePasswordAction, setPasswordAction } from "@/lib/actions/account";
import type { ChangePasswordInput, SetPasswordInput } from "@/lib/account/schemas";
import { normalizeEmail } from "@/lib/email";

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
 * "Set a password" or "Change password", under the section's "Password" heading. The
 * message lives here, outside the forms, so it survives the switch from one form to the
 * other after a password is set. It shows where the eyes are: under the button that was
 * pressed — except after a password is set, when the form is replaced by a taller one and
 * focus goes to the section's heading: then it shows under that heading.
 *
 * Passwords never go into React state (useActionForm): the inputs are uncontrolled, read
 * once on submit, and the form is reset after success; after a refusal they stay, to be
 * corrected. The schemas are not imported here (they would ship zod and the
 * common-password list to every visitor): the server validates and answers per field, in
 * the same words.
 */
export function PasswordSection({
  sectionId,
  hasPassword,
  email,
  passwordHint,
}: PasswordSectionProps) {
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [underHeading, setUnderHeading] = useState(false);
  const show = (next: Feedback, atHeading = false) => {
    setUnderHeading(atHeading);
    setFeedback(next);
  };
  return (
    <div className="max-w-md">
      <FeedbackMessage feedback={underHeading ? feedback : null} className="mb-5" />
      {hasPassword ? (
        <ChangePasswordForm email={email} passwordHint={passwordHint} onFeedback={show} />
      ) : (
        <SetPasswordForm
          email={email}
          passwordHint={passwordHint}
          onFeedback={show}
          // The refreshed page swaps this form for "Change password", focused button and all.
          onDone={() => focusSectionHeading(sectionId)}
        />
      )}
      <FeedbackMessage feedback={underHeading ? null : feedback} className="mt-5" />
    </div>
  );
}

interface FormProps {
  email: string | null;
  passwordHint: string;
  /** `atHeading`: show it under the section's heading instead of under the form. */
  onFeedback: (feedback: Feedback, atHeading?: boolean) => void;
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

function SetPasswordForm({
  email,
  passwordHint,
  onFeedback,
  onDone,
}: FormProps & { onDone: () => void }) {
  const router = useRouter();
  const form = useActionForm({
    action: setPasswordAction,
    read: (data): SetPasswordInput =>
      email
        ? { password: text(data, "password") }
        : {
            email: text(data, "email"),
            password: text(data, "password"),
          },
    fields: ["email", "password"],
    // Submitted as a form action: a submit made before the page's scripts run is replayed
    // by React, never sent by the browser with the password in the address.
    forget: ["password"],
    onMessage: (message) => onFeedback(message ? { kind: "error", message } : null),
    onSuccess(_data, input) {
      const added = email || !input.email ? null : normalizeEmail(input.email);
      const address = email ?? added;
      onFeedback(
        {
          kind: "success",
          message: added
            ? `Password set. You can now sign in with ${added} and your password. We've sent a link to that address to confirm it.`
            : address
              ? `Password set. You can now sign in with ${address} and your password.`
              : "Password set. You can now sign in with your email and password.",
        },
        true,
      );
      onDone();
      router.refresh();
    },
  });

  return (
    <form {...form.formProps} noValidate aria-label="Set a password">
      <p className="text-pretty text-muted">
        {email
          ? `Sign in with ${email} and a password, as well as your linked accounts.`
          : "Add an email address and a password to sign in without a provider."}
      </p>
      <div className="mt-5 grid gap-5">
        {email ? (
          <UsernameForManagers email={email} />
        ) : (
          <EmailField
            {...form.field("email")}
            // React resets a form action's fields after each answer; the email comes back.
            defaultValue={form.values.email ?? ""}
            label="Email"
          />
        )}
        <FormField
          {...form.field("password")}
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint={passwordHint}
        />
        <SubmitButton busy={form.busy} busyText="Setting password…">
          Set password
        </SubmitButton>
      </div>
    </form>
  );
}

function ChangePasswordForm({ email, passwordHint, onFeedback }: FormProps) {
  const router = useRouter();
  // Controlled: React resets a form action's uncontrolled fields after every answer, and a
  // refused attempt must not quietly tick the box again.
  const [signOutOthers, setSignOutOthers] = useState(true);
  const form = useActionForm({
    action: changePasswordAction,
    read: (data): ChangePasswordInput => ({
      currentPassword: text(data, "currentPassword"),
      newPassword: text(data, "newPassword"),
      signOutOtherSessions: data.get("signOutOtherSessions") === "on",
    }),
    fields: ["currentPassword", "newPassword"],
    // As above: a form action, so no early submit puts either password in the address.
    forget: ["currentPassword", "newPassword"],
    onMessage: (message) => onFeedback(message ? { kind: "error", message } : null),
    // The form is back to empty fields and the box checked again (its default).
    onSuccess(data, input) {
      setSignOutOthers(true);
      onFeedback({ kind: "success", message: changedMessage(input, data?.signedOutSessions ?? 0) });
      // The devices list and the activity log have changed too.
      router.refresh();
    },
  });

  return (
    // The section's heading already says "Password": the form is named, not titled again.
    <form {...form.formProps} noValidate aria-label="Change password">
      <div className="grid gap-5">
        <UsernameForManagers email={email} />
        <FormField
          {...form.field("currentPassword")}
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
        />
        <FormField
          {...form.field("newPassword")}
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint={passwordHint}
        />
        <SignOutOthersCheckbox checked={signOutOthers} onChange={setSignOutOthers} />
        <SubmitButton busy={form.busy} busyText="Changing password…">
          Change password
        </SubmitButton>
      </div>
    </form>
  );
}

/** "Sign out my other sessions", checked by default (a changed password usually means worry). */
function SignOutOthersCheckbox(props: { checked: boolean; onChange: (checked: boolean) => void }) {
  return (
    <div className="flex items-start gap-3">
      <input
        id="sign-out-other-sessions"
        name="signOutOtherSessions"
        type="checkbox"
        checked={props.checked}
        onChange={(event) => props.onChange(event.target.checked)}
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
