// What a browser does against an Auth.js app, for the pages section and its anchor: sign in
// with a credentials provider's form post, and fetch a page with what the checks look at.
import type { AppServer } from "./app";

export interface Credentials {
  /** The provider's id: /api/auth/callback/<provider>. */
  provider: string;
  email: string;
  password: string;
}

/** "name=value" pairs of Set-Cookie lines, for a Cookie header. */
function cookiePairs(response: Response): string[] {
  return response.headers.getSetCookie().map((line) => line.split(";")[0] ?? "");
}

/**
 * Signs in over HTTP as a browser's form post does (the CSRF token from /api/auth/csrf,
 * then the POST to the provider's callback); returns the Cookie header that carries the
 * session.
 */
export async function signIn(server: AppServer, credentials: Credentials): Promise<string> {
  const csrf = await fetch(`${server.url}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookies = cookiePairs(csrf);
  const response = await fetch(`${server.url}/api/auth/callback/${credentials.provider}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      cookie: csrfCookies.join("; "),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      email: credentials.email,
      password: credentials.password,
      csrfToken,
      callbackUrl: `${server.url}/`,
    }),
  });
  await response.body?.cancel();
  const location = response.headers.get("location") ?? "";
  const sessionCookies = cookiePairs(response);
  if (response.status !== 302 || location.includes("error=") || sessionCookies.length === 0) {
    throw new Error(
      `${credentials.provider} sign-in on the ${server.label} server failed: ` +
        `HTTP ${response.status}, location "${location}"\n${server.output()}`,
    );
  }
  // Later cookies of the same name win, as in a browser's jar.
  const jar = new Map<string, string>();
  for (const pair of [...csrfCookies, ...sessionCookies]) {
    const name = pair.slice(0, pair.indexOf("="));
    jar.set(name, pair);
  }
  return [...jar.values()].join("; ");
}

/**
 * The cookies a browser would send to one site, kept as a browser keeps them while the load
 * runs: a Set-Cookie replaces its cookie, an empty or expired one removes it. The app renews
 * the session cookie every SESSION_TOUCH_INTERVAL_SECONDS (proxy.ts); a client that kept
 * sending the old one would have it renewed on every request, which no browser causes.
 */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  constructor(header: string) {
    for (const pair of header.split("; ")) this.#set(pair, false);
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  store(setCookie: readonly string[]): void {
    for (const line of setCookie) {
      const [pair = "", ...attributes] = line.split(";");
      const expired = attributes.some((attribute) => {
        const [name = "", value = ""] = attribute.trim().split("=", 2);
        if (/^max-age$/i.test(name)) return Number(value) <= 0;
        return /^expires$/i.test(name) && Date.parse(value) <= Date.now();
      });
      this.#set(pair.trim(), expired);
    }
  }

  #set(pair: string, expired: boolean): void {
    const at = pair.indexOf("=");
    if (at <= 0) return;
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (expired || value === "") this.#cookies.delete(name);
    else this.#cookies.set(name, value);
  }
}

export interface PageCheck {
  status: number;
  cacheControl: string;
  cached: boolean;
  csp: string;
  body: string;
}

export async function check(server: AppServer, path: string, cookie?: string): Promise<PageCheck> {
  const response = await fetch(`${server.url}${path}`, {
    redirect: "manual",
    headers: { accept: "text/html", ...(cookie === undefined ? {} : { cookie }) },
  });
  return {
    status: response.status,
    cacheControl: response.headers.get("cache-control") ?? "",
    // Next marks answers it served from a prerendered or cached copy.
    cached: response.headers.has("x-nextjs-cache") || response.headers.has("x-nextjs-prerender"),
    csp: response.headers.get("content-security-policy") ?? "",
    body: await response.text(),
  };
}

/** Rendered for this request: Next sends no-store for a dynamic page and marks cached ones. */
export function renderedPerRequest(page: PageCheck): boolean {
  return page.status === 200 && !page.cached && page.cacheControl.includes("no-store");
}
