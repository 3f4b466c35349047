"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";

import type { Feedback } from "@/components/account/feedback";
import { actionErrorMessage } from "@/components/forms/action-failure";
import { focusSectionHeading } from "@/components/account/section";
import type { DeviceView } from "@/lib/account/view-models";
import {
  revokeAllSessionsAction,
  revokeOtherSessionsAction,
  revokeSessionAction,
} from "@/lib/actions/account";

/**
 * The Devices section's three sign-outs (one device, all others, everywhere) and what they
 * say. Signing out this device (alone, or everywhere) ends on the sign-in page: the action
 * answers with that redirect and the browser follows it.
 */
export function useDeviceActions({
  sectionId,
  devices,
  setFeedback,
}: {
  sectionId: string;
  devices: DeviceView[];
  setFeedback: (feedback: Feedback) => void;
}) {
  const router = useRouter();
  const onError = ({ error }: { error: Parameters<typeof actionErrorMessage>[0] }) =>
    setFeedback({ kind: "error", message: actionErrorMessage(error) });

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
    onError(result) {
      onError(result);
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
    onError,
  });
  const revokeAll = useAction(revokeAllSessionsAction, { onError });

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

  return {
    /** The device whose "Sign out" is running. */
    revokingId,
    busy,
    busyText,
    othersPending: revokeOthers.isPending,
    everywhereBusy: revokeAll.isPending || revokeAll.hasNavigated,
    revokeOne: (id: string) => revokeOne.execute({ sessionId: id }),
    revokeOthers: () => revokeOthers.execute(),
    revokeAll: () => revokeAll.execute(),
  };
}
