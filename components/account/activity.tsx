import { RelativeTime } from "@/components/account/relative-time";
import type { ActivityItem } from "@/lib/account/view-models";

/**
 * The security log as one line per event: what happened in bold, then device, IP and
 * time in muted text ("Signed in with GitHub — Chrome on Android — 203.0.113.5 — 3 minutes
 * ago"). No interaction, so a server component.
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
            <span className={`font-semibold ${item.warning ? "text-danger" : ""}`}>
              {item.title}
            </span>
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
          </p>
        </li>
      ))}
    </ol>
  );
}
