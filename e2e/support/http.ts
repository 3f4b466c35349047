// Requests a script would send, without a browser: for limits and other counts that would
// take a browser many page loads to reach.
import { expect } from "vitest";

import type { AppServer } from "./server";

/** Headers from client `ip` as a trusted proxy would forward them (none for `null`). */
export function from(
  ip: string | null,
  extra: Record<string, string> = {},
): Record<string, string> {
  return ip === null ? extra : { "x-forwarded-for": ip, ...extra };
}

/**
 * A password sign-in posted straight to Auth.js's endpoint, the way a script would, with the
 * CSRF token and cookie it needs, from `ip` — and `cookies` ("name=value; …") and other
 * `headers` when given.
 */
export async function postCredentials(
  app: Pick<AppServer, "url">,
  {
    ip,
    email,
    password,
    cookies,
    headers = {},
  }: {
    ip: string | null;
    email: string;
    password: string;
    cookies?: string;
    headers?: Record<string, string>;
  },
): Promise<Response> {
  const csrf = await fetch(`${app.url}/api/auth/csrf`, { headers: from(ip) });
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookie = [...csrf.headers.getSetCookie().map((line) => line.split(";")[0]), cookies]
    .filter(Boolean)
    .join("; ");
  return fetch(`${app.url}/api/auth/callback/password`, {
    method: "POST",
    redirect: "manual",
    headers: from(ip, {
      ...headers,
      cookie,
      "content-type": "application/x-www-form-urlencoded",
    }),
    body: new URLSearchParams({ email, password, csrfToken, callbackUrl: `${app.url}/` }),
  });
}

/** Auth.js's answer to a wrong password: back to the sign-in page with CredentialsSignin. */
export function expectWrongPasswordRedirect(response: Response): void {
  expect(response.status).toBe(302);
  expect(response.headers.get("location")).toContain("error=CredentialsSignin");
  expect(response.headers.get("location")).toContain("code=credentials");
}
