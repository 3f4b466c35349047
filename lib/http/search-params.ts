// Query-string helpers shared by the sign-in, sign-up, error and account pages. Plain
// functions with no React in them, so in lib/ with the other request helpers: the pages
// import them, and so may any service that ever needs to.

/** What Next passes a page as `searchParams` (awaited). */
export type SearchParams = Record<string, string | string[] | undefined>;

/** The first value of a query parameter: `?a=1&a=2` gives "1", a missing one undefined. */
export function searchParam(params: SearchParams, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `path` with `callbackUrl` attached, so moving between sign-in and sign-up keeps where the
 * person was going. `callbackUrl` must already be a safe same-origin path
 * (safeRedirectPath); "/" is the default everywhere, so it is left off.
 */
export function withCallbackUrl(path: string, callbackUrl: string): string {
  if (callbackUrl === "/") return path;
  return `${path}?${new URLSearchParams({ callbackUrl }).toString()}`;
}
