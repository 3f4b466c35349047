// Whether the app's cookies carry `Secure` (and the `__Secure-`/`__Host-` prefixes): when its
// public URL is https. Auth.js decides the same for its own cookies (getSettings() gives it
// APP_URL as AUTH_URL), and every cookie of ours follows it, so the session cookie's name and
// the pending sign-in's, device's and passkey challenge's always agree.
export function usesSecureCookies(appUrl: string): boolean {
  return appUrl.startsWith("https:");
}
