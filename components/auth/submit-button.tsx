import type { ReactNode } from "react";

import { Spinner } from "@/components/auth/spinner";
import { buttonClasses } from "@/components/ui/button";

interface SubmitButtonProps {
  children: ReactNode;
  busy: boolean;
  /** Shown on the button and said by the live region while busy, e.g. "Signing in…". */
  busyText: string;
}

/**
 * The primary submit button of the password forms. While busy it shows a spinner and what
 * is happening ("Signing in…") instead of its label, and says so to screen readers
 * (aria-busy plus a polite live region outside the button); its accessible name stays the
 * label, so the control does not seem to change into another one. It is not `disabled`:
 * that would drop keyboard focus to the page; the form ignores a second submit instead.
 */
export function SubmitButton({ children, busy, busyText }: SubmitButtonProps) {
  return (
    <>
      <button
        type="submit"
        aria-busy={busy}
        aria-disabled={busy || undefined}
        className={buttonClasses({
          block: true,
          className: "gap-3 aria-busy:cursor-progress aria-busy:brightness-95",
        })}
      >
        {busy ? <Spinner /> : null}
        {busy ? (
          <>
            <span aria-hidden="true">{busyText}</span>
            <span className="sr-only">{children}</span>
          </>
        ) : (
          <span>{children}</span>
        )}
      </button>
      <p aria-live="polite" className="sr-only">
        {busy ? busyText : ""}
      </p>
    </>
  );
}
