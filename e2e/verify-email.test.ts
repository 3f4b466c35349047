// Sign-up and the verification link in Chromium against `npm start`, with a real SMTP
// server in the test process (tests/support/smtp-sink.ts) as the app's SMTP_URL, on the
// embedded backend and on PostgreSQL:
// - sign up → "Check your inbox" → the mail's link → "Confirm" → the account page says the
//   address is verified; opening the link (as a mail scanner does) uses nothing up, and the
//   used link then says so;
// - signing up with an address that has an account answers word for word like a new
//   address, creates nothing, and the owner gets a mail;
// - "Email not verified — Resend" on the account page: each press mails a new link and the
//   older ones stop working; a tab left open after the address was confirmed is told there is
//   nothing to confirm;
// - SMTP down during the sign-up (PostgreSQL: the test moves the retry's time): the same
//   answer, and the mail goes out once it is back, once;
// - an expired link (PostgreSQL: the test backdates the token's row) says what to do next.
import pg from "pg";
import type { Page } from "playwright-core";
import { describe, expect, inject, test } from "vitest";

import type { SinkMail } from "@/tests/support/smtp-sink";

import { assertNoHorizontalOverflow, screenshot } from "./support/browser";
import { createPasswordAccountByRequest, signInWithPassword } from "./support/accounts";
import { mailRigForFile, uniqueEmail } from "./support/mail";
import {
  appForSuite,
  startEmbeddedApp,
  startPostgresApp,
  type AppServer,
  type ServerEnv,
} from "./support/server";

const PASSWORD = "violet tram 71 under the pier";
const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const VERIFY_SUBJECT = "Confirm your email address for Gatehouse";
const OWNER_SUBJECT = "Someone tried to create a Gatehouse account with your address";

const rig = mailRigForFile();

/** The app's mail settings: the sink, and a sweeper that runs every second. */
const mailEnv = (): ServerEnv => rig.mailEnv({ OUTBOX_SWEEP_INTERVAL_SECONDS: "1" });

/** The one link of a verification mail, checked to be the app's /verify-email. */
function verifyLink(app: AppServer, mail: SinkMail): string {
  const [link, ...others] = mail.links;
  expect(others).toEqual([]);
  expect(link).toMatch(new RegExp(`^${app.url}/verify-email\\?token=[A-Za-z0-9_-]{43}$`));
  return link ?? "";
}

/** Fills and sends the sign-up form; resolves with the answer's text once it shows. */
async function submitSignUp(page: Page, email: string, password = PASSWORD): Promise<string> {
  const main = page.getByRole("main");
  await main.getByLabel("Email", { exact: true }).fill(email);
  await main.getByLabel("Password", { exact: true }).fill(password);
  await main.getByRole("button", { name: "Create account" }).click();
  const answer = main.getByRole("region", { name: "Check your inbox" });
  await answer.waitFor();
  return answer.innerText();
}

/** The session's user, or null: nobody is signed in. */
async function sessionUser(page: Page, app: AppServer): Promise<unknown> {
  const response = await page.request.get(`${app.url}/api/auth/session`);
  const body = (await response.json()) as { user?: unknown } | null;
  return body?.user ?? null;
}

function suite(name: string, start: () => Promise<AppServer>, withDatabase = false) {
  describe(`sign-up and verification (${name})`, () => {
    const app = appForSuite(start);
    const open = rig.opener(app);

    test("sign up → mail → open the link → Confirm → the account shows the address verified", async () => {
      const email = uniqueEmail("verify");
      const signUp = await open("/sign-up", { viewport: "phone" });
      try {
        const answer = await submitSignUp(signUp.page, email);
        expect(answer).toContain(`We've sent a link to ${email} to confirm it.`);
        expect(await sessionUser(signUp.page, app())).toBeNull();
        expect(signUp.consoleErrors).toEqual([]);
      } finally {
        await signUp.close();
      }
      const mail = await rig.mailTo(email, VERIFY_SUBJECT);
      const link = verifyLink(app(), mail);
      expect(mail.text).toContain("This link works once and for 24 hours.");

      // A mail scanner opens the link first: that uses nothing up.
      const scanner = await fetch(link);
      expect(scanner.status).toBe(200);
      await scanner.body?.cancel();

      // Opened once per size (and so twice more), each saved in both colour schemes: the scheme
      // is switched on the open page, which spares a page load per screenshot.
      for (const viewport of ["phone", "desktop"] as const) {
        const preview = await open(link, { viewport });
        try {
          const main = preview.page.getByRole("main");
          await main.getByRole("heading", { name: "Confirm your email address" }).waitFor();
          const today = new Intl.DateTimeFormat("en-GB", {
            day: "numeric",
            month: "long",
            year: "numeric",
            timeZone: "UTC",
          }).format(new Date());
          expect(await main.innerText()).toContain(
            `Confirm ${email} for the Gatehouse account created on ${today}.`,
          );
          for (const colorScheme of ["light", "dark"] as const) {
            await preview.page.emulateMedia({ colorScheme });
            await assertNoHorizontalOverflow(preview.page);
            await screenshot(
              preview.page,
              `verify-email-confirm-${name}-${viewport}-${colorScheme}`,
            );
          }
        } finally {
          await preview.close();
        }
      }

      // Signed in, the person confirms; the account page then says so.
      const opened = await open("/", { viewport: "phone" });
      try {
        const { page } = opened;
        await signInWithPassword(page, app().url, { email, password: PASSWORD });
        await page.goto(`${app().url}/account`);
        await page.getByText("Email not verified").waitFor();
        await page.goto(link);
        const main = page.getByRole("main");
        await main.getByRole("button", { name: "Confirm" }).click();
        await main.getByRole("heading", { name: "Email verified" }).waitFor();
        expect(await main.innerText()).toContain(`${email} is confirmed as yours.`);
        await assertNoHorizontalOverflow(page);
        await screenshot(page, `verify-email-verified-${name}-phone-light`);
        await main.getByRole("link", { name: "Go to your account" }).click();
        await page.waitForURL(`${app().url}/account`);
        await page
          .getByRole("paragraph")
          .filter({ hasText: /^Email verified$/ })
          .waitFor();
        expect(await page.getByText("Email not verified").count()).toBe(0);
        // …and its activity lists the confirmation.
        await page.locator("#activity").getByText("Email verified").waitFor();

        // The link did its work: opening it again says so, and what next.
        await page.goto(link);
        await main.getByRole("heading", { name: "This link was already used" }).waitFor();
        expect(await main.getByRole("button", { name: "Confirm" }).count()).toBe(0);
        await main.getByRole("link", { name: "Go to your account" }).waitFor();
        await screenshot(page, `verify-email-used-${name}-phone-light`);
        expect(opened.consoleErrors).toEqual([]);
      } finally {
        await opened.close();
      }
    });

    test("Email not verified — Resend: a new link each time, only the newest works, an old tab is told", async () => {
      const email = uniqueEmail("resend");
      /** The verification mail to `email` carrying none of the links seen so far. */
      const seen: string[] = [];
      const nextLink = async (): Promise<string> => {
        const mail = await rig
          .smtp()
          .waitForMail(
            (m) =>
              m.to.includes(email) &&
              m.subject === VERIFY_SUBJECT &&
              !m.links.some((link) => seen.includes(link)),
            30_000,
          );
        const link = verifyLink(app(), mail);
        seen.push(link);
        return link;
      };
      const phone = await open("about:blank", { viewport: "phone" });
      const desktop = await open("/", { viewport: "desktop", colorScheme: "dark" });
      try {
        await createPasswordAccountByRequest(phone.page, app().url, { email, password: PASSWORD });
        const signUpLink = await nextLink();
        await signInWithPassword(desktop.page, app().url, { email, password: PASSWORD });

        const resend = async ({ page }: { page: Page }, viewport: string) => {
          await page.goto(`${app().url}/account`);
          await page.getByText("Email not verified").waitFor();
          await page.getByRole("button", { name: "Resend link" }).click();
          await page
            .getByRole("status")
            .filter({ hasText: `We've sent a new link to ${email}.` })
            .waitFor();
          await assertNoHorizontalOverflow(page);
          await screenshot(page, `account-resend-${name}-${viewport}`);
          return nextLink();
        };
        const phoneLink = await resend(phone, "phone-light");
        const desktopLink = await resend(desktop, "desktop-dark");

        // Each new link replaced the ones before it.
        for (const dead of [signUpLink, phoneLink]) {
          await phone.page.goto(dead);
          await phone.page
            .getByRole("main")
            .getByRole("heading", { name: "This link doesn't work" })
            .waitFor();
        }
        await phone.page.goto(desktopLink);
        const main = phone.page.getByRole("main");
        await main.getByRole("button", { name: "Confirm" }).click();
        await main.getByRole("heading", { name: "Email verified" }).waitFor();

        // The desktop tab still shows the button from before: pressing it sends nothing and
        // the page catches up.
        await desktop.page.getByRole("button", { name: "Resend link" }).click();
        await desktop.page
          .getByRole("paragraph")
          .filter({ hasText: /^Email verified$/ })
          .waitFor();
        expect(await desktop.page.getByRole("button", { name: "Resend link" }).count()).toBe(0);
        expect(phone.consoleErrors).toEqual([]);
        expect(desktop.consoleErrors).toEqual([]);
      } finally {
        await phone.close();
        await desktop.close();
      }
    }, 120_000);

    test("a taken address gets the same answer as a new one, nothing is created, and its owner is told", async () => {
      const owner = uniqueEmail("owner");
      const setup = await open("about:blank");
      try {
        await createPasswordAccountByRequest(setup.page, app().url, {
          email: owner,
          password: PASSWORD,
        });
      } finally {
        await setup.close();
      }
      const fresh = uniqueEmail("fresh");
      const answers: string[] = [];
      for (const [email, password] of [
        [fresh, PASSWORD],
        [owner, "somebody else's passphrase 5"],
      ] as const) {
        const opened = await open("/sign-up", { viewport: "phone" });
        try {
          const answer = await submitSignUp(opened.page, email, password);
          answers.push(answer.replace(email, "<address>"));
          expect(await sessionUser(opened.page, app())).toBeNull();
          await screenshot(
            opened.page,
            `sign-up-answer-${email === owner ? "taken" : "new"}-${name}`,
          );
        } finally {
          await opened.close();
        }
      }
      expect(answers[1]).toBe(answers[0]);

      const notice = await rig.mailTo(owner, OWNER_SUBJECT);
      expect(notice.links).toEqual([`${app().url}/sign-in`, `${app().url}/forgot-password`]);
      expect(notice.text).toContain("No new account was created and nothing was changed.");
      // No second account, no new password: the typed one is refused, the owner's works.
      const check = await open("/sign-in");
      try {
        const main = check.page.getByRole("main");
        await main.getByLabel("Email", { exact: true }).fill(owner);
        await main.getByLabel("Password", { exact: true }).fill("somebody else's passphrase 5");
        await main.getByRole("button", { name: "Sign in", exact: true }).click();
        await main.getByRole("alert").filter({ hasText: /\S/ }).waitFor();
        expect(await sessionUser(check.page, app())).toBeNull();
        await signInWithPassword(check.page, app().url, { email: owner, password: PASSWORD });
      } finally {
        await check.close();
      }
    });

    // The outbox row is the database's: PostgreSQL only. The retry's timing itself is
    // tests/integration/mail-outbox.test.ts's, on both backends with an injected clock.
    if (withDatabase) {
      test("SMTP down during the sign-up: the same answer, and the mail goes out once it is back", async () => {
        const databaseUrl = app().databaseUrl;
        if (!databaseUrl) throw new Error("the app has no PostgreSQL database");
        const email = uniqueEmail("smtp-down");
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          // The address's mail rows: the one verification mail, once the sign-up is in.
          const mailRow = `"channel" = 'EMAIL' AND "userId" = (SELECT id FROM "User" WHERE email = $1)`;
          const outboxRows = async () =>
            (
              await client.query<{ status: string; attempts: number }>(
                `SELECT status, attempts FROM "NotificationOutbox" WHERE ${mailRow}`,
                [email],
              )
            ).rows;
          await rig.smtp().stop();
          try {
            const opened = await open("/sign-up");
            try {
              expect(await submitSignUp(opened.page, email)).toContain(
                `We've sent a link to ${email} to confirm it.`,
              );
            } finally {
              await opened.close();
            }
            // SMTP comes back only once the first delivery has failed, so that what this
            // test sees is a retry and not a first attempt that was merely late.
            await expect
              .poll(() => outboxRows(), { timeout: 30_000, interval: 250 })
              .toEqual([{ status: "PENDING", attempts: 1 }]);
          } finally {
            await rig.smtp().restart();
          }
          expect(rig.smtp().mails.filter((mail) => mail.to.includes(email))).toEqual([]);
          // The retry is due about 30 s later (with jitter); the test makes it due now, and the
          // sweeper (every second here) sends it.
          const moved = await client.query(
            `UPDATE "NotificationOutbox" SET "nextAttemptAt" = '2000-01-01' WHERE ${mailRow}`,
            [email],
          );
          expect(moved.rowCount).toBe(1);
          verifyLink(app(), await rig.mailTo(email, VERIFY_SUBJECT));
          await expect.poll(() => outboxRows()).toEqual([{ status: "SENT", attempts: 2 }]);
          expect(rig.smtp().mails.filter((mail) => mail.to.includes(email))).toHaveLength(1);
        } finally {
          await client.end();
        }
      });
    }
    // Backdating the token needs the database: PostgreSQL only.
    if (withDatabase) {
      test("an expired link says so and how to get a new one", async () => {
        const databaseUrl = app().databaseUrl;
        if (!databaseUrl) throw new Error("the app has no PostgreSQL database");
        const email = uniqueEmail("expired");
        const opened = await open("/sign-up", { viewport: "phone" });
        try {
          const { page } = opened;
          await submitSignUp(page, email);
          const link = verifyLink(app(), await rig.mailTo(email, VERIFY_SUBJECT));
          // Its lifetime is hours (EMAIL_VERIFY_TTL_HOURS); the test moves its end into the past.
          const client = new pg.Client({ connectionString: databaseUrl });
          await client.connect();
          try {
            const updated = await client.query(
              `UPDATE "EmailToken"
               SET "createdAt" = "createdAt" - interval '2 days',
                   "expiresAt" = "createdAt" - interval '1 day'
           WHERE "userId" = (SELECT id FROM "User" WHERE email = $1) AND kind = 'VERIFY_EMAIL'`,
              [email],
            );
            expect(updated.rowCount).toBe(1);
          } finally {
            await client.end();
          }
          await page.goto(link);
          const main = page.getByRole("main");
          await main.getByRole("heading", { name: "This link has expired" }).waitFor();
          expect(await main.getByRole("button", { name: "Confirm" }).count()).toBe(0);
          await main.getByRole("link", { name: "Sign in", exact: true }).click();
          await page.waitForURL(`${app().url}/sign-in?callbackUrl=%2Faccount`);
          await page.goBack();
          await assertNoHorizontalOverflow(page);
          await screenshot(page, "verify-email-expired-postgres-phone-light");
          expect(opened.consoleErrors).toEqual([]);
        } finally {
          await opened.close();
        }
      });
    }
  });
}

suite("embedded", () => startEmbeddedApp(mailEnv()));

describe.runIf(databaseUrl !== null && redisUrl !== null)("on PostgreSQL", () => {
  suite(
    "postgres",
    () => {
      if (!databaseUrl || !redisUrl) throw new Error("no test servers");
      return startPostgresApp({ databaseUrl, redisUrl }, mailEnv());
    },
    true,
  );
});
