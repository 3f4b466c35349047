// Password accounts for the tests whose subject is something else (reset, change of email,
// the account page …): they get a browser signed in as a new account, whatever sign-up
// itself answers.
//
// Two ways to make one. `createPasswordAccount` fills the forms on /sign-up and /sign-in, as
// a person does. `createPasswordAccountByRequest` goes through the app the way those forms'
// scripts do, without drawing them: the sign-up form's own server action, then Auth.js's
// password sign-in, both from the page's request context (its cookies, user agent and extra
// headers), then one page load — one page load where the forms cost five, which adds up over
// the dozens of accounts the e2e files make. Use it unless the forms (or a development server
// that must compile them) are what the test is about; the forms have tests of their own
// (e2e/auth-ui.test.ts, e2e/verify-email.test.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import type { APIRequestContext, Page } from "playwright-core";

export interface NewPasswordAccount {
  email: string;
  password: string;
  name?: string;
}

export interface CreateAccountOptions {
  /** The path `page` opens once signed in (default: the home page). */
  landOn?: string;
}

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The id under which the production build (`.next`) serves the server action exported as
 * `name`: what the sign-up form's script sends in its Next-Action header.
 */
function serverActionId(name: string): string {
  const path = join(root, ".next", "server", "server-reference-manifest.json");
  const manifest = JSON.parse(readFileSync(path, "utf8")) as {
    node: Record<string, { exportedName?: string }>;
  };
  const ids = Object.entries(manifest.node)
    .filter(([, action]) => action.exportedName === name)
    .map(([id]) => id);
  if (ids.length !== 1) {
    throw new Error(`expected one server action named ${name} in ${path}, found ${ids.length}`);
  }
  return ids[0] ?? "";
}

/**
 * Signs up through the sign-up form's server action, as the form's script calls it (the
 * action's input as the one argument), and checks the answer is "check your inbox".
 */
async function signUpByAction(
  request: APIRequestContext,
  appUrl: string,
  account: NewPasswordAccount,
): Promise<void> {
  const response = await request.post(`${appUrl}/sign-up`, {
    headers: {
      "next-action": serverActionId("signUpAction"),
      "content-type": "text/plain;charset=UTF-8",
      accept: "text/x-component",
      origin: appUrl,
    },
    data: JSON.stringify([
      { email: account.email, password: account.password, name: account.name ?? "" },
    ]),
  });
  const body = await response.text();
  // The answer is React's wire format; a sign-up that went through carries the address back
  // as `data.email`, a refused one `serverError` or `validationErrors` instead.
  if (
    response.status() !== 200 ||
    !body.includes(`"data":{"email":${JSON.stringify(account.email)}}`)
  ) {
    throw new Error(`sign-up of ${account.email} refused (${response.status()}):\n${body}`);
  }
}

/**
 * A password sign-in posted to Auth.js's endpoint from the page's request context, so the
 * session cookie lands in the page's browser; throws unless it signed in.
 */
export async function signInByRequest(
  request: APIRequestContext,
  appUrl: string,
  credentials: { email: string; password: string },
): Promise<void> {
  const csrf = await request.get(`${appUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const response = await request.post(`${appUrl}/api/auth/callback/password`, {
    form: { email: credentials.email, password: credentials.password, csrfToken, callbackUrl: "/" },
    headers: { origin: appUrl },
    maxRedirects: 0,
  });
  const location = response.headers().location ?? "";
  if (response.status() !== 302 || location.includes("error=")) {
    throw new Error(
      `password sign-in of ${credentials.email} failed: ${response.status()} → ${location}`,
    );
  }
}

/**
 * Makes a password account on `appUrl` and leaves `page` signed in as it, showing `landOn`.
 * Sign-up answers "Check your inbox" and signs nobody in; the password works straight away,
 * so this then signs in (the address stays unverified: nobody opened the mail's link).
 */
export async function createPasswordAccountByRequest(
  page: Page,
  appUrl: string,
  account: NewPasswordAccount,
  { landOn = "/" }: CreateAccountOptions = {},
): Promise<void> {
  await signUpByAction(page.request, appUrl, account);
  await signInByRequest(page.request, appUrl, account);
  await page.goto(`${appUrl}${landOn}`);
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
}

/**
 * The same as createPasswordAccountByRequest, on the pages: fills /sign-up, then /sign-in, and
 * leaves `page` signed in where the sign-in form sends it (the home page).
 */
export async function createPasswordAccount(
  page: Page,
  appUrl: string,
  account: NewPasswordAccount,
): Promise<void> {
  await page.goto(`${appUrl}/sign-up`);
  const main = page.getByRole("main");
  await main.getByLabel("Email", { exact: true }).fill(account.email);
  if (account.name !== undefined) await main.getByLabel("Name").fill(account.name);
  await main.getByLabel("Password", { exact: true }).fill(account.password);
  await main.getByRole("button", { name: "Create account" }).click();
  await main.getByRole("heading", { name: "Check your inbox" }).waitFor();
  await signInWithPassword(page, appUrl, account);
}

/** Signs `page` in on /sign-in with an email and password. */
export async function signInWithPassword(
  page: Page,
  appUrl: string,
  credentials: { email: string; password: string },
): Promise<void> {
  await page.goto(`${appUrl}/sign-in`);
  const main = page.getByRole("main");
  await main.getByLabel("Email", { exact: true }).fill(credentials.email);
  await main.getByLabel("Password", { exact: true }).fill(credentials.password);
  await main.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).waitFor();
}
