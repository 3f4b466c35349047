/**
 * The form-level message region. The `role="alert"` container is always rendered, empty
 * until there is something to say: screen readers announce content added to a live region
 * they already know, and may miss one that appears together with its content. Empty, it
 * takes no space (keep it out of a gap-spaced grid for that reason).
 */
export function FormAlert({ message }: { message?: string | undefined }) {
  return (
    <div role="alert" aria-atomic="true">
      {message ? (
        <p className="mb-5 rounded-control border border-danger/50 bg-danger/8 px-4 py-3 font-medium text-text">
          {message}
        </p>
      ) : null}
    </div>
  );
}
