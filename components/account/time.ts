// Server side only (the page): turns a Date into a TimeView against the page's `now`.
import { relativeTime } from "@/lib/security/presenter";

import type { TimeView } from "@/components/account/view-models";

// UTC, said so: the server does not know the reader's time zone, and a tooltip that names
// its zone is never wrong, while a guessed local time would be, for half the world.
const absoluteFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

/** `at` in words relative to `now`, with its exact value for `<time>`. */
export function timeView(at: Date, now: Date): TimeView {
  const valid = !Number.isNaN(at.getTime());
  return {
    iso: valid ? at.toISOString() : "",
    relative: relativeTime(at, now),
    absolute: valid ? `${absoluteFormat.format(at)} UTC` : "",
  };
}
