import type { ReactNode } from "react";

interface AccountSectionProps {
  /** The section's anchor; its heading gets `${id}-title`. */
  id: string;
  title: string;
  description?: ReactNode;
  children: ReactNode;
}

/** One titled block of the account page. */
export function AccountSection({ id, title, description, children }: AccountSectionProps) {
  return (
    <section id={id} aria-labelledby={sectionHeadingId(id)} className="scroll-mt-8">
      {/* Focusable from script only: after an action removes the row that had focus, focus
          goes back to the section instead of being lost to the page. */}
      <h2
        id={sectionHeadingId(id)}
        tabIndex={-1}
        className="rounded-sm text-2xl font-black tracking-tight text-balance"
      >
        {title}
      </h2>
      {description ? <p className="mt-2 text-pretty text-muted">{description}</p> : null}
      <div className="mt-6">{children}</div>
    </section>
  );
}

export function sectionHeadingId(id: string): string {
  return `${id}-title`;
}

/** Moves focus to a section's heading, e.g. after an action removed the focused row. */
export function focusSectionHeading(sectionId: string): void {
  document.getElementById(sectionHeadingId(sectionId))?.focus();
}
