// What the browser's WebAuthn dialog can end in, as the passkey components read it.

/**
 * The person closed the browser's dialog or picked nothing (NotAllowedError), or the
 * ceremony was cancelled for another one (AbortError: WebAuthnAbortService, when the button
 * starts while the autofill ceremony waits). Neither is an error to show: back to idle.
 */
export function ceremonyCancelled(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === "NotAllowedError" || error.name === "AbortError")
  );
}

/** The authenticator already holds one of this account's passkeys (excludeCredentials). */
export function alreadyHeld(error: unknown): boolean {
  return error instanceof Error && error.name === "InvalidStateError";
}
