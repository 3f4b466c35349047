"use client";

// What a section says after one of its actions: one success or one error at a time, in
// live regions that exist from the first render (screen readers announce changes to a
// region they already know, and may miss one that appears together with its text). A new
// message is scrolled into view (useRevealMessage); focus stays where the action put it.
//
// A client module, for the sections' client components; the account page's server
// components import only CheckIcon and RevealOnMount from here.

import { useEffect, useRef, type ReactNode } from "react";

import { useRevealMessage } from "@/components/forms/use-reveal-message";

export type Feedback = { kind: "success" | "error"; message: string } | null;

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
  const region = useRef<HTMLDivElement>(null);
  useRevealMessage(region, feedback ? `${feedback.kind}:${feedback.message}` : null);
  return (
    <div ref={region} data-feedback="">
      <div role="status" aria-atomic="true">
        {success ? (
          <p
            className={`flex items-start gap-2.5 rounded-control border border-success/50 bg-success/8 px-4 py-3 font-medium ${className}`}
          >
            <CheckIcon />
            <span className="min-w-0 wrap-anywhere">{success}</span>
          </p>
        ) : null}
      </div>
      <div role="alert" aria-atomic="true">
        {error ? (
          <p
            className={`rounded-control border border-danger/50 bg-danger/8 px-4 py-3 font-medium wrap-anywhere ${className}`}
          >
            {error}
          </p>
        ) : null}
      </div>
    </div>
  );
}

/**
 * For a message that arrives with the page (the end of a linking flow, back from the
 * provider): the page opens at its top, which on a phone is a screen or more above it. On
 * first render it takes the focus (so a screen reader reads it: a live region's content
 * that arrives with the page is not announced) and is scrolled to the middle of the view.
 */
export function RevealOnMount({ children, className }: { children: ReactNode; className: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.focus({ preventScroll: true });
    box.current?.scrollIntoView({ block: "center" });
  }, []);
  return (
    <div ref={box} tabIndex={-1} className={className}>
      {children}
    </div>
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
