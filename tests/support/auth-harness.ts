// The real Auth.js with our configuration, driven without Next: a browser's cookie jar and a
// signIn() that calls @auth/core's Auth() the way next-auth's signIn() does from a server
// action (raw mode, no CSRF round trip), so integration tests see exactly which cookies a
// sign-in sets and which rows it leaves.
import { Auth, raw, skipCSRFCheck } from "@auth/core";

import { createAuthConfig, type AuthDependencies, type CookieJar } from "@/lib/auth/config";
import type { DeviceCookieOptions } from "@/lib/security/device-cookie";

export interface TestBrowser {
  /** The cookies the browser holds, by name. */
  jar: Map<string, { value: string; options?: Partial<DeviceCookieOptions> }>;
  /** The jar as Next's cookies() reads and writes it. */
  cookies: CookieJar;
}

/** A browser with no cookies; a cookie set with maxAge 0 or an empty value is deleted. */
export function testBrowser(): TestBrowser {
  const jar: TestBrowser["jar"] = new Map();
  const cookies: CookieJar = {
    get: (name) => {
      const cookie = jar.get(name);
      return cookie ? { value: cookie.value } : undefined;
    },
    set: (name, value, options) => {
      if (options.maxAge === 0 || value === "") jar.delete(name);
      else jar.set(name, { value, options });
    },
  };
  return { jar, cookies };
}

/** What a sign-in ended in: Auth.js's redirect, or the error it threw (with its fields). */
export interface SignInOutcome<E> {
  redirect: string | null;
  error: (Error & E) | null;
}

/**
 * Auth.js for `client`: `signIn(provider, fields)` posts `fields` (and `callbackUrl`) to the
 * provider's callback, as next-auth's signIn(provider, { redirectTo, …fields }) does.
 */
export function authHarness<E = { code?: string }>(
  appUrl: string,
  client: TestBrowser,
  deps: Omit<AuthDependencies, "cookies">,
  { callbackUrl = "/account" }: { callbackUrl?: string } = {},
) {
  const config = createAuthConfig({ ...deps, cookies: () => Promise.resolve(client.cookies) });
  async function signIn(
    provider: string,
    fields: Record<string, string>,
  ): Promise<SignInOutcome<E>> {
    const request = new Request(`${appUrl}/api/auth/callback/${provider}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...fields, callbackUrl }),
    });
    try {
      const result = await Auth(request, { ...config, raw, skipCSRFCheck });
      for (const c of result.cookies ?? []) {
        client.cookies.set(c.name, c.value, {
          ...(c.options as DeviceCookieOptions),
          maxAge: c.options?.maxAge ?? 1,
        });
      }
      return { redirect: result.redirect ?? null, error: null };
    } catch (error) {
      return { redirect: null, error: error as Error & E };
    }
  }
  /** What GET /api/auth/session answers this browser (Auth.js's session read), or null. */
  async function session(): Promise<Record<string, unknown> | null> {
    const cookie = [...client.jar].map(([name, { value }]) => `${name}=${value}`).join("; ");
    const response = await Auth(
      new Request(`${appUrl}/api/auth/session`, { headers: { cookie } }),
      config,
    );
    return response.ok ? ((await response.json()) as Record<string, unknown> | null) : null;
  }

  return { signIn, session, config };
}
