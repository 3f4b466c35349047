/**
 * A small busy indicator. Decorative: whoever shows it also says what is happening in
 * words (a live region), so screen readers hear the state, not an unlabelled image.
 * `data-spinner` lets tests find it without depending on its markup.
 */
export function Spinner({ className = "size-5" }: { className?: string }) {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      data-spinner=""
      className={`shrink-0 animate-spin ${className}`}
      fill="none"
    >
      <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity="0.25" strokeWidth="3" />
      <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}
