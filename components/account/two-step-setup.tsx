"use client";

import Link from "next/link";
import { useId, useState } from "react";

import { ActionButton } from "@/components/account/action-button";
import { FormField } from "@/components/auth/form-field";
import { SubmitButton } from "@/components/auth/submit-button";
import { text } from "@/components/forms/form-data";
import { useActionForm } from "@/components/forms/use-action-form";
import { buttonClasses } from "@/components/ui/button";
import type { ConfirmTwoStepInput } from "@/lib/account/schemas";
import type { TotpEnrolmentView } from "@/lib/account/view-models";
import { confirmTwoStepAction } from "@/lib/actions/account";

interface TwoStepSetupProps {
  /** The pending key; null while the sign-in is not recent (it is not shown then). */
  enrolment: TotpEnrolmentView | null;
  /** Where "Confirm it's you" goes: sign in again, and back here. */
  reauthPath: string;
  cancelBusy: boolean;
  /** Another change is running: Cancel waits. */
  busy: boolean;
  onCancel: () => void;
  /** "Turn on" worked: the recovery codes to show, once. */
  onEnabled: (recoveryCodes: string[]) => void;
  /**
   * "Turn on" was refused as a whole (a spent budget, a set-up cancelled or turned on in
   * another tab): the section says so, above whatever the page turns out to be now.
   */
  onRefused: (message: string | undefined) => void;
}

/**
 * A set-up waiting for its first code: the QR code (drawn on the server) and the key as
 * text, then the code from the app and "Turn on". Shown only to a recent sign-in; anyone
 * else is asked to confirm it's them first, or may cancel.
 */
export function TwoStepSetup(props: TwoStepSetupProps) {
  const { enrolment } = props;
  return (
    <div className="rounded-card border border-border px-4 py-5 sm:px-6">
      {enrolment ? (
        <ol className="grid gap-8">
          <li>
            <h3 className="text-lg font-bold text-balance">
              1. Add Gatehouse to your authenticator app
            </h3>
            <p className="mt-1 text-pretty text-muted">
              Scan the QR code with an app such as Google Authenticator, 1Password or Aegis.
            </p>
            <KeyForApp enrolment={enrolment} />
          </li>
          <li>
            <h3 className="text-lg font-bold text-balance">2. Enter the code the app shows</h3>
            <ConfirmCodeForm onEnabled={props.onEnabled} onRefused={props.onRefused} />
          </li>
        </ol>
      ) : (
        <>
          <p className="text-pretty">
            You started setting up an authenticator app. To see its key again and finish, confirm
            it&apos;s you.
          </p>
          <Link
            href={props.reauthPath}
            className={buttonClasses({ size: "md", className: "mt-4 px-5" })}
          >
            Confirm it&apos;s you
          </Link>
        </>
      )}
      <div className="mt-6 border-t border-border pt-5">
        <ActionButton
          busy={props.cancelBusy}
          aria-disabled={(props.busy && !props.cancelBusy) || undefined}
          onClick={props.onCancel}
        >
          Cancel set-up
        </ActionButton>
      </div>
    </div>
  );
}

/** The QR code, and the same key as text for people who type it. */
function KeyForApp({ enrolment }: { enrolment: TotpEnrolmentView }) {
  const keyLabelId = useId();
  const [copied, setCopied] = useState<"copied" | "failed" | null>(null);
  const copy = () => {
    navigator.clipboard.writeText(enrolment.key).then(
      () => setCopied("copied"),
      () => setCopied("failed"),
    );
  };
  return (
    <div className="mt-4 flex flex-wrap items-start gap-x-8 gap-y-5">
      <div
        role="img"
        aria-label="QR code for your authenticator app"
        // White in dark mode too: the code's own white border is the quiet zone scanners need.
        className="size-56 shrink-0 overflow-hidden rounded-control bg-white [&>svg]:block [&>svg]:size-full"
        // The server's own SVG (lib/auth/second-factor/qr-svg.ts): a <rect> and a <path>, no
        // script, style or link, so the strict CSP has nothing to allow.
        dangerouslySetInnerHTML={{ __html: enrolment.qrSvg }}
      />
      <div className="min-w-0 flex-1 basis-56">
        <p id={keyLabelId} className="font-semibold">
          Can&apos;t scan it? Enter this key instead:
        </p>
        <code
          aria-labelledby={keyLabelId}
          data-totp-key=""
          className="mt-2 block rounded-control bg-raised px-3 py-2.5 font-mono text-lg tracking-wide wrap-anywhere select-all"
        >
          {enrolment.keyGroups.join(" ")}
        </code>
        <p className="mt-2 text-sm text-pretty text-muted">
          Choose a time-based key if the app asks. Spaces do not matter.
        </p>
        <ActionButton className="mt-3" onClick={copy}>
          Copy key
        </ActionButton>
        <p aria-live="polite" className="mt-1 min-h-5 text-sm text-muted">
          {copied === "copied"
            ? "Key copied."
            : copied === "failed"
              ? "Your browser did not let us copy. Select the key and copy it yourself."
              : ""}
        </p>
      </div>
    </div>
  );
}

/** The first code from the app; a right one turns two-step verification on. */
function ConfirmCodeForm({
  onEnabled,
  onRefused,
}: Pick<TwoStepSetupProps, "onEnabled" | "onRefused">) {
  const form = useActionForm({
    action: confirmTwoStepAction,
    read: (data): ConfirmTwoStepInput => ({ code: text(data, "code") }),
    fields: ["code"],
    // A refused code is of no use again (the app shows a new one every 30 seconds): the
    // field empties after every answer, ready for the newest.
    forget: ["code"],
    // A wrong code is the field's own message; only a refusal of the whole form comes here.
    onMessage: onRefused,
    onSuccess(data) {
      if (data) onEnabled(data.recoveryCodes);
    },
  });
  return (
    <form
      {...form.formProps}
      noValidate
      aria-label="Turn on two-step verification"
      className="mt-4 grid max-w-xs gap-5"
    >
      <FormField
        {...form.field("code")}
        label="6-digit code"
        type="text"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]*"
        spellCheck={false}
        required
      />
      <SubmitButton busy={form.busy} busyText="Turning on…">
        Turn on
      </SubmitButton>
    </form>
  );
}
