"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";

import { ActionButton } from "@/components/account/action-button";

interface InlineConfirmProps {
  /** "Unlink GitHub?" */
  question: string;
  /** What happens, in one sentence. */
  consequence: ReactNode;
  /** The confirming button's label ("Unlink", read as "Unlink GitHub"). */
  confirmLabel: ReactNode;
  onConfirm: () => void;
  onCancel: () => void;
  busy: boolean;
  /** A choice that goes with the confirmation (a checkbox), between the text and buttons. */
  children?: ReactNode;
}

/**
 * A confirmation step inside the page instead of window.confirm (which cannot be styled,
 * is blocked in some embedded browsers, and reads the same for every action). Focus moves
 * to Cancel when it opens — the safe choice for a stray second Enter — and the group is
 * named by its question, so a screen reader hears what is being confirmed. Escape cancels.
 */
export function InlineConfirm({
  question,
  consequence,
  confirmLabel,
  onConfirm,
  onCancel,
  busy,
  children,
}: InlineConfirmProps) {
  const id = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    cancelRef.current?.focus();
  }, []);

  return (
    <div
      role="group"
      aria-labelledby={`${id}-question`}
      aria-describedby={`${id}-consequence`}
      onKeyDown={(event) => {
        if (event.key === "Escape" && !busy) {
          event.stopPropagation();
          onCancel();
        }
      }}
      className="rounded-control border border-danger/50 bg-danger/8 p-4"
    >
      <p id={`${id}-question`} className="font-bold">
        {question}
      </p>
      <p id={`${id}-consequence`} className="mt-1 text-pretty">
        {consequence}
      </p>
      {children}
      <div className="mt-4 flex flex-wrap gap-3">
        <ActionButton tone="danger-solid" busy={busy} onClick={onConfirm}>
          {confirmLabel}
        </ActionButton>
        <ActionButton ref={cancelRef} onClick={onCancel} disabled={busy}>
          Cancel
        </ActionButton>
      </div>
    </div>
  );
}
