import { RelativeTime } from "@/components/account/relative-time";
import type {
  ActivityEventItem,
  ActivityItem,
  FailedAttemptsItem,
} from "@/lib/account/view-models";

/**
 * The security log as one line per event: what happened in bold, then device, IP and
 * time in muted text ("Signed in with GitHub — Chrome on Android — 203.0.113.5 — 3 minutes
 * ago"). Consecutive failed password attempts are one line ("12 failed password attempts
 * from 3 addresses, the last one 5 minutes ago"). No interaction, so a server component.
 */
export function Activity({ items }: { items: ActivityItem[] }) {
  if (items.length === 0) {
    return (
      <p className="rounded-card border border-border px-4 py-4 text-pretty text-muted sm:px-5">
        Nothing yet. Sign-ins, password changes and linked accounts will be listed here.
      </p>
    );
  }
  return (
    <ol className="divide-y divide-border rounded-card border border-border">
      {items.map((item) => (
        <li key={item.id} className="px-4 py-3 sm:px-5">
          <p className="wrap-anywhere">
            {item.kind === "event" ? <EventLine item={item} /> : <FailedAttemptsLine item={item} />}
          </p>
        </li>
      ))}
    </ol>
  );
}

function EventLine({ item }: { item: ActivityEventItem }) {
  return (
    <>
      <span className={`font-semibold ${item.warning ? "text-danger" : ""}`}>{item.title}</span>
      {/* Each dash stays with the words before it when the line breaks. */}
      <span className="text-muted">
        {item.device ? (
          <>
            {"\u00a0— "}
            {item.device}
          </>
        ) : null}
        {item.ip ? (
          <>
            {"\u00a0— "}
            {item.ip}
          </>
        ) : null}
        {"\u00a0— "}
        <RelativeTime time={item.when} />
      </span>
    </>
  );
}

function FailedAttemptsLine({ item }: { item: FailedAttemptsItem }) {
  return (
    <>
      <span className="font-semibold text-danger">{item.title}</span>
      <span className="text-muted">
        {item.sources ? ` ${item.sources}` : null}, the last one <RelativeTime time={item.when} />
      </span>
    </>
  );
}
