import type { ReactNode } from "react";

/** A sign-in method's mark, name, detail and (optionally) when it was linked. */
export function MethodSummary({
  mark,
  name,
  detail,
  children,
}: {
  mark: ReactNode;
  name: string;
  detail: ReactNode;
  children?: ReactNode;
}) {
  return (
    <div className="flex min-w-0 flex-1 basis-56 items-start gap-3.5">
      <span className="inline-flex size-10 shrink-0 items-center justify-center rounded-control bg-raised">
        {mark}
      </span>
      <div className="min-w-0">
        {/* The spaces keep the lines apart in the text of the row (copying, tests). */}
        <p className="font-semibold">{name}</p>{" "}
        {detail ? <p className="wrap-anywhere text-muted">{detail}</p> : null}{" "}
        {children ? <p className="text-sm text-muted">{children}</p> : null}
      </div>
    </div>
  );
}

/** The mark for a password, or for a provider this site no longer knows. */
export function KeyIcon() {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="size-5 shrink-0 text-brand"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <circle cx="8" cy="15" r="4" />
      <path d="m10.85 12.15 8.15-8.15M16 7l2 2M14 9l2 2" />
    </svg>
  );
}
