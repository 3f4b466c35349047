"use client";

import { useEffect, useId, useRef, useState } from "react";

import { ActionButton } from "@/components/account/action-button";
import { buttonClasses } from "@/components/ui/button";

interface RecoveryCodesProps {
  /** The ten codes in clear: the action's answer, held in this component's state only. */
  codes: string[];
  /** Whose codes they are (the label the authenticator app shows), for the saved file. */
  accountLabel: string;
  /** "I have saved them": the codes go, and are never shown again. */
  onDone: () => void;
}

const FILE_NAME = "gatehouse-recovery-codes.txt";

/**
 * Recovery codes, shown once: after turning two-step verification on, or making new codes.
 * Nothing here is stored: the codes live in React state until "I have saved them" (or the
 * page is left), and the server keeps only their hashes. The panel takes the focus when it
 * appears, so a screen reader starts at its title, not at the button that went away.
 */
export function RecoveryCodes({ codes, accountLabel, onDone }: RecoveryCodesProps) {
  const titleId = useId();
  const title = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState<"copied" | "failed" | null>(null);

  useEffect(() => {
    title.current?.focus();
  }, []);

  const copy = () => {
    navigator.clipboard.writeText(codes.join("\n")).then(
      () => setCopied("copied"),
      () => setCopied("failed"),
    );
  };

  return (
    <section
      aria-labelledby={titleId}
      className="rounded-card border-2 border-brand px-4 py-5 sm:px-6"
    >
      <h3
        ref={title}
        id={titleId}
        tabIndex={-1}
        className="rounded-sm text-lg font-bold text-balance"
      >
        Save your recovery codes
      </h3>
      <p className="mt-2 text-pretty">
        If you lose your phone, each code lets you sign in once instead of a code from the app. Keep
        them somewhere safe, such as your password manager.{" "}
        <strong>They will not be shown again.</strong>
      </p>
      <ol
        aria-label="Recovery codes"
        className="mt-5 grid w-fit max-w-full grid-cols-2 gap-x-8 gap-y-2 rounded-control bg-raised px-4 py-4 font-mono text-base tracking-wide sm:px-6 sm:text-lg"
      >
        {codes.map((code) => (
          <li key={code} className="whitespace-nowrap select-all">
            {code}
          </li>
        ))}
      </ol>
      <div className="mt-5 flex flex-wrap gap-3">
        <ActionButton onClick={copy}>Copy all</ActionButton>
        <ActionButton onClick={() => downloadCodes(codes, accountLabel)}>
          Download .txt
        </ActionButton>
      </div>
      <p aria-live="polite" className="mt-2 min-h-6 text-sm text-muted">
        {copied === "copied"
          ? "Copied. Paste them somewhere safe."
          : copied === "failed"
            ? "Your browser did not let us copy. Select the codes and copy them yourself."
            : ""}
      </p>
      <button
        type="button"
        onClick={onDone}
        className={buttonClasses({ size: "md", className: "mt-3 px-5" })}
      >
        I have saved them
      </button>
    </section>
  );
}

/**
 * Saves the codes as a text file made in the browser, so they are not sent anywhere again.
 * A download through a Blob URL is no fetch or navigation the CSP restricts (its `blob:`
 * entries are for images and workers); e2e/two-step-account.test.ts downloads one.
 */
function downloadCodes(codes: string[], accountLabel: string): void {
  const made = new Date().toISOString().slice(0, 10);
  const text = [
    `Gatehouse recovery codes for ${accountLabel}`,
    `Made on ${made}. Each code works once. Making new codes stops these from working.`,
    "",
    ...codes,
    "",
  ].join("\n");
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = FILE_NAME;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked once the download has had time to start (at once, some browsers cancel it).
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
