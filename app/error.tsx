"use client";

import Link from "next/link";
import { unstable_isUnrecognizedActionError } from "next/navigation";

import { STALE_PAGE_MESSAGE } from "@/lib/http/refusal-messages";
import { buttonClasses } from "@/components/ui/button";

interface ErrorPageProps {
  // Next passes whatever was thrown: an Error from a server component (message replaced by
  // a generic one in production, `digest` added), or any value from a client component.
  error: unknown;
  retry: () => void;
}

/** The server-log reference Next attaches to server-side errors, if there is one. */
function digestOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("digest" in error)) return undefined;
  return typeof error.digest === "string" ? error.digest : undefined;
}

// Never shows `error.message` or a stack: in production the server already strips them, but a
// client-side throw is passed as-is and could carry internal details. The digest is the
// reference that matches the server log line.
export default function ErrorPage({ error, retry }: ErrorPageProps) {
  // A form without its own message (the header's "Sign out") called a server action this
  // deployment does not have: the page is older than the server, and only a reload helps.
  if (unstable_isUnrecognizedActionError(error)) return <StalePage />;
  const digest = digestOf(error);
  return (
    <div
      role="alert"
      className="mx-auto flex w-full max-w-page flex-1 flex-col justify-center px-5 py-16 sm:px-8"
    >
      <h1 className="text-4xl font-black tracking-tight sm:text-5xl">Something went wrong</h1>
      <p className="mt-4 max-w-xl text-lg text-muted">
        We could not show this page. Try again in a moment; if it keeps happening, send us the
        reference below.
      </p>
      {digest ? (
        <p className="mt-4 text-sm text-muted">
          Reference: <code className="font-mono font-semibold text-text">{digest}</code>
        </p>
      ) : null}
      <div className="mt-8 flex flex-wrap gap-3">
        <button type="button" onClick={retry} className={buttonClasses()}>
          Try again
        </button>
        <Link href="/" className={buttonClasses({ variant: "secondary" })}>
          Go to the home page
        </Link>
      </div>
    </div>
  );
}

function StalePage() {
  return (
    <div
      role="alert"
      className="mx-auto flex w-full max-w-page flex-1 flex-col justify-center px-5 py-16 sm:px-8"
    >
      <h1 className="text-4xl font-black tracking-tight sm:text-5xl">This page is out of date</h1>
      <p className="mt-4 max-w-xl text-lg text-muted">{STALE_PAGE_MESSAGE}</p>
      <div className="mt-8 flex flex-wrap gap-3">
        <button type="button" onClick={() => window.location.reload()} className={buttonClasses()}>
          Reload the page
        </button>
      </div>
    </div>
  );
}
