import type { TimeView } from "@/lib/account/view-models";

/** A moment in words ("3 minutes ago"), with its exact value on hover and for machines. */
export function RelativeTime({ time }: { time: TimeView }) {
  return (
    <time dateTime={time.iso || undefined} title={time.absolute || undefined}>
      {time.relative}
    </time>
  );
}
