import { ActionButton } from "@/components/account/action-button";
import { RelativeTime } from "@/components/account/relative-time";
import type { DeviceView } from "@/lib/account/view-models";

interface DeviceRowProps {
  device: DeviceView;
  /** This device's "Sign out" is running. */
  revoking: boolean;
  /** Another sign-out is running: this one waits (aria-disabled, still focusable). */
  blocked: boolean;
  onSignOut: () => void;
}

/** One signed-in device: what it is, how and where from, when; and its "Sign out". */
export function DeviceRow({ device, revoking, blocked, onSignOut }: DeviceRowProps) {
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-3 px-4 py-4 sm:px-5">
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
          <span className="sr-only">,</span> last seen <RelativeTime time={device.lastSeen} />
        </p>
      </div>
      <ActionButton busy={revoking} aria-disabled={blocked || undefined} onClick={onSignOut}>
        {device.current ? (
          "Sign out this device"
        ) : (
          <>
            Sign out<span className="sr-only"> {device.device}</span>
          </>
        )}
      </ActionButton>
    </li>
  );
}
