/**
 * The passkey mark: a person and a key, as the FIDO Alliance's passkey icon pictures it
 * (drawn here, inline, so it needs no image request and follows the colour scheme).
 * Decorative: the button or row it sits in names the passkey in words.
 */
export function PasskeyMark({ className = "size-5" }: { className?: string }) {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className={`shrink-0 ${className}`}
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <circle cx="9" cy="7" r="4" />
      <path d="M2 21v-1a6 6 0 0 1 6-6h3" />
      <circle cx="18" cy="11" r="3" />
      <path d="M18 14v7M18 18h2M18 21h1.5" />
    </svg>
  );
}
