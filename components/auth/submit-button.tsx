import type { ReactNode } from "react";

import { Spinner } from "@/components/auth/spinner";
import { buttonClasses } from "@/components/ui/button";

interface SubmitButtonProps {
  children: ReactNode;
  busy: boolean;
  /** Said by the live region while busy, e.g. "Signing in…". */
  busyText: string;
}

/**
 * The primary submit button of the password forms. While busy it shows a spinner and says
 * so (aria-busy plus a polite live region outside the button, so its name stays the
 * same). It is not `disabled`: that would drop keyboard focus to the page; the form
 * ignores a second submit instead.
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
        <span>{children}</span>
      </button>
      <p aria-live="polite" className="sr-only">
        {busy ? busyText : ""}
      </p>
    </>
  );
}
