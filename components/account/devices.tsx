"use client";

import { useState } from "react";

import { DeviceRow } from "@/components/account/device-row";
import { DeviceSweepActions } from "@/components/account/device-sweep-actions";
import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { useDeviceActions } from "@/components/account/use-device-actions";
import type { DeviceView } from "@/lib/account/view-models";

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
  const [feedback, setFeedback] = useState<Feedback>(null);
  const actions = useDeviceActions({ sectionId, devices, setFeedback });
  const { busy, revokingId } = actions;
  const others = devices.filter((device) => !device.current).length;

  function revoke(id: string) {
    if (busy) return;
    setFeedback(null);
    actions.revokeOne(id);
  }

  return (
    <div>
      <FeedbackMessage feedback={feedback} className="mb-5" />

      {devices.length > 0 ? (
        <ul className="divide-y divide-border rounded-card border border-border">
          {devices.map((device) => (
            <DeviceRow
              key={device.id}
              device={device}
              revoking={revokingId === device.id}
              blocked={busy && revokingId !== device.id}
              onSignOut={() => revoke(device.id)}
            />
          ))}
        </ul>
      ) : (
        <p className="rounded-card border border-border px-4 py-4 text-muted sm:px-5">
          No device is signed in.
        </p>
      )}

      <DeviceSweepActions
        others={others}
        busy={busy}
        othersPending={actions.othersPending}
        everywhereBusy={actions.everywhereBusy}
        clearFeedback={() => setFeedback(null)}
        onSignOutOthers={actions.revokeOthers}
        onSignOutEverywhere={actions.revokeAll}
      />

      <p aria-live="polite" className="sr-only">
        {actions.busyText}
      </p>
    </div>
  );
}
