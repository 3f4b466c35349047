"use client";

import { unstable_isUnrecognizedActionError } from "next/navigation";

import { STALE_PAGE_MESSAGE } from "@/lib/http/refusal-messages";

import "./globals.css";
import { buttonClasses } from "@/components/ui/button";

interface GlobalErrorProps {
  // Whatever was thrown in the root layout; see app/error.tsx for why only `digest` is read.
  error: unknown;
  retry: () => void;
}

function digestOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("digest" in error)) return undefined;
  return typeof error.digest === "string" ? error.digest : undefined;
}

// Replaces the root layout when the layout itself fails, so it brings its own <html>, <body>
// and stylesheet, and uses a plain <a> for "home": a full reload is the point after the
// app shell broke.
export default function GlobalError({ error, retry }: GlobalErrorProps) {
  const digest = digestOf(error);
  // A server action of the layout (the header's "Sign out") that this deployment does not
  // have: the page is older than the server, and only a reload helps (see app/error.tsx).
  const stale = unstable_isUnrecognizedActionError(error);
  return (
    <html lang="en">
      <body className="flex min-h-dvh flex-col">
        <title>{stale ? "Out of date · Gatehouse" : "Something went wrong · Gatehouse"}</title>
        <main className="mx-auto flex w-full max-w-page flex-1 flex-col justify-center px-5 py-16 sm:px-8">
          <div role="alert">
            <p className="text-lg font-black tracking-tight text-brand">Gatehouse</p>
            <h1 className="mt-2 text-4xl font-black tracking-tight sm:text-5xl">
              {stale ? "This page is out of date" : "Something went wrong"}
            </h1>
            <p className="mt-4 max-w-xl text-lg text-muted">
              {stale
                ? STALE_PAGE_MESSAGE
                : "The app could not start this page. Try again in a moment; if it keeps happening, send us the reference below."}
            </p>
            {digest ? (
              <p className="mt-4 text-sm text-muted">
                Reference: <code className="font-mono font-semibold text-text">{digest}</code>
              </p>
            ) : null}
          </div>
          <div className="mt-8 flex flex-wrap gap-3">
            <button
              type="button"
              onClick={stale ? () => window.location.reload() : retry}
              className={buttonClasses()}
            >
              {stale ? "Reload the page" : "Try again"}
            </button>
            {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- a full reload is wanted here */}
            <a href="/" className={buttonClasses({ variant: "secondary" })}>
              Go to the home page
            </a>
          </div>
        </main>
      </body>
    </html>
  );
}
