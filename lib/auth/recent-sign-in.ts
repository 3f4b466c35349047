// "Sudo mode": changes that would let a thief keep an account (unlink, link, password
// set or change, revoke all) need a sign-in at most RECENT_SIGN_IN_MAX_AGE_SECONDS old.
// The JWT records when this device last proved who it is (`authTime`, seconds since the
// epoch, set by the jwt callback at sign-in and never moved by later requests).

/** True when `authTime` is at most `maxAgeSeconds` before `now` (and not in the future). */
export function isRecentSignIn(
  authTime: number | null | undefined,
  now: Date,
  maxAgeSeconds: number,
): boolean {
  if (typeof authTime !== "number" || !Number.isFinite(authTime)) return false;
  const ageSeconds = now.getTime() / 1000 - authTime;
  // A small allowance for clock skew between servers; a time far in the future is forged
  // or broken and never counts as recent.
  return ageSeconds >= -60 && ageSeconds <= maxAgeSeconds;
}

/** Where to send someone who must sign in again before `returnTo` (a same-origin path). */
export function reauthenticationPath(returnTo: string): string {
  return `/sign-in?${new URLSearchParams({ callbackUrl: returnTo, reauth: "1" }).toString()}`;
}
