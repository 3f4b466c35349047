// Making a password account in a browser, the way a person does, for the tests whose subject
// is something else (reset, change of email …): they call this and get a browser signed in
// as a new account, whatever sign-up itself answers.
import type { Page } from "playwright-core";

export interface NewPasswordAccount {
  email: string;
  password: string;
  name?: string;
}

/**
 * Signs up on `appUrl`'s /sign-up with `account` and leaves `page` signed in as it. Sign-up
 * answers "Check your inbox" and signs nobody in; the password works straight away, so this
 * signs in on /sign-in (the address stays unverified: nobody opened the mail's link).
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
