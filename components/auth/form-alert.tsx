"use client";

import { useRef } from "react";

import { useRevealMessage } from "@/components/forms/use-reveal-message";

/**
 * The form-level message region. The `role="alert"` container is always rendered, empty
 * until there is something to say: screen readers announce content added to a live region
 * they already know, and may miss one that appears together with its content. Empty, it
 * takes no space (keep it out of a gap-spaced grid for that reason). It sits above the
 * fields, so on a phone a new message is scrolled into view (the button is further down).
 */
export function FormAlert({ message }: { message?: string | undefined }) {
  const region = useRef<HTMLDivElement>(null);
  useRevealMessage(region, message ?? null);
  return (
    <div ref={region} role="alert" aria-atomic="true">
      {message ? (
        <p className="mb-5 rounded-control border border-danger/50 bg-danger/8 px-4 py-3 font-medium text-text">
          {message}
        </p>
      ) : null}
    </div>
  );
}
