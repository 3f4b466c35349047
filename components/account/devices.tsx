"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useRef, useState } from "react";

import { ActionButton } from "@/components/account/action-button";
import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { InlineConfirm } from "@/components/account/inline-confirm";
import { RelativeTime } from "@/components/account/relative-time";
import { focusSectionHeading } from "@/components/account/section";
import type { DeviceView } from "@/components/account/view-models";
import { actionErrorMessage } from "@/components/forms/action-failure";
import {
  revokeAllSessionsAction,
  revokeOtherSessionsAction,
  revokeSessionAction,
} from "@/lib/actions/account";

interface DevicesProps {
  sectionId: string;
  /** The current device first. */
  devices: DeviceView[];
}

/**
 * Every signed-in device, each with its own "Sign out", then the two sweeping actions.
 * Signing out this device (alone, or everywhere) ends on the sign-in page: the action
 * answers with that redirect and the browser follows it.
 */
export function Devices({ sectionId, devices }: DevicesProps) {
  const router = useRouter();
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [confirmingEverywhere, setConfirmingEverywhere] = useState(false);
  const everywhereButton = useRef<HTMLButtonElement>(null);
  const others = devices.filter((device) => !device.current).length;

  const revokeOne = useAction(revokeSessionAction, {
    onSuccess({ input }) {
      const device = devices.find((candidate) => candidate.id === input.sessionId);
      setFeedback({
        kind: "success",
        message: `Signed out ${device ? device.device : "that device"}. It will need to sign in again.`,
      });
      focusSectionHeading(sectionId);
      router.refresh();
    },
    onError({ error }) {
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
      router.refresh();
    },
  });
  const revokeOthers = useAction(revokeOtherSessionsAction, {
    onSuccess({ data }) {
      setFeedback({
        kind: "success",
        message:
          data.revoked === 0
            ? "No other device was signed in."
            : `Signed out ${data.revoked} other ${data.revoked === 1 ? "device" : "devices"}.`,
      });
      focusSectionHeading(sectionId);
      router.refresh();
    },
    onError({ error }) {
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
    },
  });
  const revokeAll = useAction(revokeAllSessionsAction, {
    onError({ error }) {
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
    },
  });

  // One change at a time: they all touch the same rows. A redirect keeps the flag on
  // until the next page replaces this one.
  const revokingId =
    revokeOne.isPending || revokeOne.hasNavigated ? revokeOne.input?.sessionId : undefined;
  const busy =
    revokingId !== undefined ||
    revokeOthers.isPending ||
    revokeAll.isPending ||
    revokeAll.hasNavigated;
  const busyText = revokeAll.isPending
    ? "Signing out everywhere…"
    : revokeOthers.isPending
      ? "Signing out all other devices…"
      : revokingId
        ? "Signing out…"
        : "";

  function revoke(id: string) {
    if (busy) return;
    setFeedback(null);
    revokeOne.execute({ sessionId: id });
  }

  return (
    <div>
      <FeedbackMessage feedback={feedback} className="mb-5" />

      {devices.length > 0 ? (
        <ul className="divide-y divide-border rounded-card border border-border">
          {devices.map((device) => (
            <li
              key={device.id}
              className="flex flex-wrap items-center gap-x-4 gap-y-3 px-4 py-4 sm:px-5"
            >
              <div className="min-w-0 flex-1 basis-64">
                <p className="flex flex-wrap items-center gap-x-2.5 gap-y-1">
                  <span className="font-semibold wrap-anywhere">{device.device}</span>
                  {device.current ? (
                    <span className="inline-flex items-center rounded-full bg-brand/12 px-2.5 py-0.5 text-sm font-bold text-brand">
                      This device
                    </span>
                  ) : null}
                </p>
                <p className="wrap-anywhere text-muted">
                  {device.method ? `Signed in with ${device.method}` : "Signed in"}
                  {device.ip ? (
                    <>
                      {/* The dot stays with the words before it when the line breaks. */}
                      <span aria-hidden="true">{"\u00a0·"}</span>
                      <span className="sr-only">, from</span>{" "}
                      <span className="tabular-nums">{device.ip}</span>
                    </>
                  ) : null}
                </p>
                <p className="text-sm text-muted">
                  Signed in <RelativeTime time={device.signedIn} />
                  <span aria-hidden="true">{"\u00a0·"}</span>
                  <span className="sr-only">,</span> last seen{" "}
                  <RelativeTime time={device.lastSeen} />
                </p>
              </div>
              <ActionButton
                busy={revokingId === device.id}
                aria-disabled={(busy && revokingId !== device.id) || undefined}
                onClick={() => revoke(device.id)}
              >
                {device.current ? (
                  "Sign out this device"
                ) : (
                  <>
                    Sign out<span className="sr-only"> {device.device}</span>
                  </>
                )}
              </ActionButton>
            </li>
          ))}
        </ul>
      ) : (
        <p className="rounded-card border border-border px-4 py-4 text-muted sm:px-5">
          No device is signed in.
        </p>
      )}

      <div className="mt-6 flex flex-wrap gap-3">
        <ActionButton
          busy={revokeOthers.isPending}
          disabled={others === 0}
          aria-disabled={(busy && !revokeOthers.isPending) || undefined}
          aria-describedby={others === 0 ? "no-other-devices" : undefined}
          onClick={() => {
            if (busy) return;
            setFeedback(null);
            revokeOthers.execute();
          }}
        >
          Sign out all other devices
        </ActionButton>
        {confirmingEverywhere ? null : (
          <ActionButton
            ref={everywhereButton}
            tone="danger"
            aria-disabled={busy || undefined}
            onClick={() => {
              if (busy) return;
              setFeedback(null);
              setConfirmingEverywhere(true);
            }}
          >
            Sign out everywhere
          </ActionButton>
        )}
      </div>
      {others === 0 ? (
        <p id="no-other-devices" className="mt-3 text-sm text-muted">
          This is the only device signed in to your account.
        </p>
      ) : null}

      {confirmingEverywhere ? (
        <div className="mt-4">
          <InlineConfirm
            question="Sign out everywhere?"
            consequence="Every device, this one included, will need to sign in again."
            confirmLabel="Sign out everywhere"
            busy={revokeAll.isPending || revokeAll.hasNavigated}
            onConfirm={() => revokeAll.execute()}
            onCancel={() => {
              setConfirmingEverywhere(false);
              requestAnimationFrame(() => everywhereButton.current?.focus());
            }}
          />
        </div>
      ) : null}

      <p aria-live="polite" className="sr-only">
        {busyText}
      </p>
    </div>
  );
}
