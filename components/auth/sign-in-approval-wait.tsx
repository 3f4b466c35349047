"use client";
// The waiting page's body (/sign-in/approve): the sign-in is held until the account's
// Telegram chat answers. The page asks the server where the request stands every
// POLL_MS (GET /api/sign-in/approval; a route handler, so a poll in flight never holds up
// this page's buttons), and changes by itself:
// - approved → the session is made now (finishApprovedSignInAction, which redirects);
// - denied → refused, nothing signed in;
// - expired → no answer in time; with an authenticator app, its code may finish instead;
// - gone → ended elsewhere (cancelled, signed out everywhere, finished in another tab).
// A failed poll is tried again with a growing pause (bounded), and says so after a few. The
// server decides expiry; the countdown here is only a guide, and once it is well past zero
// with no answer from the server the page stops asking and says the request expired.
import Link from "next/link";
import { unstable_rethrow } from "next/navigation";
import { useCallback, useEffect, useRef, useState, useTransition } from "react";

import { CancelSecondFactor } from "@/components/auth/second-factor-form";
import { SignInOver } from "@/components/auth/sign-in-over";
import { Spinner } from "@/components/auth/spinner";
import {
  actionErrorMessage,
  thrownActionMessage,
  type ActionErrorResult,
} from "@/components/forms/action-failure";
import { buttonClasses } from "@/components/ui/button";
import { finishApprovedSignInAction, switchToCodeAction } from "@/lib/actions/auth";
import type { ApprovalAnswer } from "@/lib/actions/auth/sign-in-approval";
import type { ApprovalStatusBody } from "@/lib/auth/sign-in-approval-status";

/** How often the page asks while the chat has not answered. */
const POLL_MS = 2_000;
/** The longest pause between asks after failures (backoff doubles up to here). */
const MAX_PAUSE_MS = 15_000;
/** Failed asks in a row before the page says it has trouble reaching the server. */
const TROUBLE_AFTER = 3;
/** How long past the countdown's end the page keeps asking before it gives up. */
const GRACE_MS = 30_000;

type View = "waiting" | "approved" | "denied" | "expired" | "gone";

const STATUSES = new Set<string>(["waiting", "approved", "denied", "expired", "gone"]);

function parseStatus(body: unknown): View | null {
  const status = (body as Partial<ApprovalStatusBody> | null)?.status;
  return typeof status === "string" && STATUSES.has(status) ? status : null;
}

function secondsLeft(expiresAt: number): number {
  return Math.max(0, Math.ceil((expiresAt - Date.now()) / 1_000));
}

function clock(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

interface SignInApprovalWaitProps {
  initialStatus: View;
  /** When the request's time is up (ms since the epoch, from the server). */
  expiresAt: number;
  /** The account has an authenticator app: its code may stand in for the chat. */
  canUseCode: boolean;
  /** "Chrome on Linux, 203.0.113.5": what the chat's message says, to match them up. */
  device: string;
  /** The bot's @username, to say where to look. */
  botUsername: string | null;
}

const headingClasses = "text-3xl font-black tracking-tight text-balance sm:text-4xl";
const linkClasses =
  "rounded-sm font-semibold text-brand underline underline-offset-4 hover:no-underline";

/** Why finishing or switching to the code did not go through, above the buttons. */
function Refusal({ message }: { message: string | null }) {
  return message ? (
    <p
      role="alert"
      className="mt-6 rounded-control border border-danger/50 bg-danger/8 px-4 py-3 font-medium"
    >
      {message}
    </p>
  ) : null;
}

export function SignInApprovalWait(props: SignInApprovalWaitProps) {
  const { expiresAt, canUseCode } = props;
  const [view, setView] = useState<View>(props.initialStatus);
  const [left, setLeft] = useState(() => secondsLeft(expiresAt));
  const [trouble, setTrouble] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, startTransition] = useTransition();
  const finishing = useRef(false);

  const answered = useCallback(
    (result: ({ data?: ApprovalAnswer } & ActionErrorResult) | undefined) => {
      if (result?.data) setView(result.data.status);
      else setMessage(actionErrorMessage(result ?? {}));
    },
    [],
  );

  // The countdown: a guide for the person; the server says when it is really over.
  useEffect(() => {
    if (view !== "waiting") return;
    const timer = setInterval(() => setLeft(secondsLeft(expiresAt)), 1_000);
    return () => clearInterval(timer);
  }, [view, expiresAt]);

  // Asking the server until the chat answers or the time is up.
  useEffect(() => {
    if (view !== "waiting") return;
    let stopped = false;
    let inFlight = false;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    async function ask() {
      if (stopped || inFlight) return;
      if (Date.now() > expiresAt + GRACE_MS) {
        setView("expired");
        return;
      }
      inFlight = true;
      try {
        const response = await fetch("/api/sign-in/approval", {
          cache: "no-store",
          headers: { accept: "application/json" },
        });
        const status = response.ok ? parseStatus(await response.json()) : null;
        if (status === null) throw new Error(`status answer ${response.status}`);
        failures = 0;
        setTrouble(false);
        if (!stopped && status !== "waiting") {
          stopped = true;
          setView(status);
        }
      } catch {
        failures += 1;
        if (failures >= TROUBLE_AFTER) setTrouble(true);
      } finally {
        inFlight = false;
      }
      if (!stopped) {
        clearTimeout(timer);
        timer = setTimeout(() => void ask(), Math.min(POLL_MS * 2 ** failures, MAX_PAUSE_MS));
      }
    }

    // Back on the tab (the person answered on their phone): ask at once.
    const onVisible = () => {
      if (document.visibilityState === "visible") void ask();
    };
    timer = setTimeout(() => void ask(), POLL_MS);
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [view, expiresAt]);

  // Approved: the session is made now, once (a second render must not ask twice).
  useEffect(() => {
    if (view !== "approved" || finishing.current) return;
    finishing.current = true;
    startTransition(async () => {
      try {
        answered(await finishApprovedSignInAction());
      } catch (error) {
        unstable_rethrow(error);
        setMessage(thrownActionMessage(error));
      }
    });
  }, [view, answered]);

  function switchToCode() {
    setMessage(null);
    startTransition(async () => {
      try {
        answered(await switchToCodeAction());
      } catch (error) {
        unstable_rethrow(error);
        setMessage(thrownActionMessage(error));
      }
    });
  }

  const codeButton = canUseCode ? (
    <button
      type="button"
      onClick={switchToCode}
      aria-busy={busy}
      className={buttonClasses({
        variant: view === "expired" ? "primary" : "secondary",
        className: "w-full sm:w-auto",
      })}
    >
      Use your authenticator app instead
    </button>
  ) : null;

  return (
    <>
      <div role="status" aria-live="polite" aria-atomic="true" className="sr-only">
        {view === "approved" ? "Approved. Signing you in." : null}
        {view === "denied" ? "This sign-in was refused." : null}
        {view === "expired" ? "The request expired without an answer." : null}
        {trouble ? "Having trouble reaching Gatehouse. Still trying." : null}
      </div>
      {view === "waiting" || view === "approved" ? (
        <>
          <h1 className={headingClasses}>Approve this sign‑in in Telegram</h1>
          <p className="mt-3 text-pretty text-muted">
            We sent a message to your Telegram chat
            {props.botUsername ? ` with @${props.botUsername}` : ""}. Tap{" "}
            <strong className="text-text">Approve</strong> there to finish signing in on this
            browser. This page updates by itself.
          </p>
          <p className="mt-6 rounded-control border border-border bg-raised px-4 py-3 text-pretty">
            <span className="block text-sm text-muted">The message is about</span>
            <span className="font-semibold">{props.device}</span>
          </p>
          <p className="mt-6 flex items-center gap-3 font-semibold" data-approval-state={view}>
            <Spinner />
            {view === "approved" ? (
              "Approved. Signing you in…"
            ) : (
              <span>
                Waiting for your answer
                <span className="font-normal text-muted">
                  {" "}
                  · <span data-countdown="">{clock(left)}</span> left
                </span>
              </span>
            )}
          </p>
          {trouble ? (
            <p className="mt-3 text-sm text-muted">
              Having trouble reaching Gatehouse. Still trying…
            </p>
          ) : null}
          <Refusal message={message} />
          <div className="mt-8 flex flex-col items-start gap-4">
            {view === "waiting" ? codeButton : null}
            <CancelSecondFactor />
          </div>
        </>
      ) : null}
      {view === "denied" ? (
        <SignInOver title="This sign‑in was refused">
          It was denied from your Telegram chat, so nothing was signed in. If that was a mistake,
          sign in again and approve it this time.
        </SignInOver>
      ) : null}
      {view === "expired" ? (
        <>
          <h1 className={headingClasses}>No answer in time</h1>
          <p className="mt-4 text-lg text-pretty">
            The request in Telegram expired, so nothing was signed in.
            {canUseCode ? " You can finish with your authenticator app instead." : ""}
          </p>
          <Refusal message={message} />
          <div className="mt-8 flex flex-col items-start gap-4">
            {codeButton}
            <Link
              href="/sign-in"
              className={
                canUseCode ? linkClasses : buttonClasses({ className: "w-full sm:w-auto" })
              }
            >
              Sign in again
            </Link>
          </div>
        </>
      ) : null}
      {view === "gone" ? (
        <SignInOver title="This sign‑in has ended">
          It was cancelled, finished in another tab, or stopped when the account signed out
          everywhere. Nothing was signed in here.
        </SignInOver>
      ) : null}
    </>
  );
}
