// Forgot password in Chromium against `npm start` (the production build) and a real SMTP
// server in this process (tests/support/smtp-sink.ts), on both backends: the link on
// /sign-in, the same answer for every address, the mail and its link, a new password that
// signs out a browser that was signed in elsewhere, and links that are used or expired.
// Screenshots at 360 and 1280 px, light and dark.
import pg from "pg";
import type { Page } from "playwright-core";
import { describe, expect, inject, test } from "vitest";

import type { SinkMail } from "@/tests/support/smtp-sink";

import {
  assertNoHorizontalOverflow,
  screenshot,
  viewportPlacement,
  type ColorScheme,
  type ViewportName,
} from "./support/browser";
import { createPasswordAccountByRequest, signInWithPassword } from "./support/accounts";
import { linkIn, mailRigForFile, uniqueEmail } from "./support/mail";
import { appForSuite, startEmbeddedApp, startPostgresApp, type ServerEnv } from "./support/server";

const PASSWORD = "violet tram 71 under the pier";
const NEW_PASSWORD = "amber kite 42 over the dunes";
const ANSWER = /^If an account uses .+, we've sent a link to reset its password\./;
const RESET_SUBJECT = "Reset your Gatehouse password";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");

const rig = mailRigForFile();

/** The app's mail goes to the sink; the mail limits are the product's, but not this suite's subject. */
function env(): ServerEnv {
  return rig.mailEnv({
    RATE_LIMIT_MAIL_ADDRESS: "10000/15m",
    RATE_LIMIT_MAIL_IP: "10000/15m",
  });
}

const backends = [
  { name: "embedded", available: true, start: () => startEmbeddedApp(env()) },
  {
    name: "postgres",
    available: databaseUrl !== null && redisUrl !== null,
    start: () =>
      startPostgresApp({ databaseUrl: databaseUrl ?? "", redisUrl: redisUrl ?? "" }, env()),
  },
];

describe.each(backends)("forgot password on $name", (backend) => {
  describe.runIf(backend.available)("forgot → mail → new password", () => {
    const app = appForSuite(backend.start);
    const open = rig.opener(app);

    /** Fills the forgot-password form on `page` and waits for the answer. */
    async function askForLink(page: Page, email: string): Promise<string> {
      const main = page.getByRole("main");
      await main.getByLabel("Email", { exact: true }).fill(email);
      await main.getByRole("button", { name: "Send reset link" }).click();
      const answer = main.getByRole("status").filter({ hasText: "Check your inbox" });
      await answer.waitFor();
      await expect.poll(() => viewportPlacement(answer)).toBe("visible");
      return (await answer.innerText()).replace(/^Check your inbox\s*/, "");
    }

    /** The reset mail to `email`, within 10 s (the sink's own default wait). */
    function resetMail(email: string): Promise<SinkMail> {
      return rig.mailTo(email, RESET_SUBJECT, 10_000);
    }

    function linkOf(mail: SinkMail): string {
      return linkIn(mail, `${app().url}/reset-password?token=`);
    }

    test("the link signs every browser out and the new password signs in; a second use says it was used", async () => {
      const email = uniqueEmail("forgot");
      const signedIn = await open("about:blank");
      const other = await open("/sign-in", { viewport: "phone" });
      try {
        await createPasswordAccountByRequest(signedIn.page, app().url, {
          email,
          password: PASSWORD,
        });

        // From the sign-in page's link, in another browser, on a phone.
        const { page } = other;
        await page.getByRole("main").getByRole("link", { name: "Forgot password?" }).click();
        await page.waitForURL(`${app().url}/forgot-password`);
        const answer = await askForLink(page, email);
        expect(answer).toMatch(ANSWER);
        expect(answer).toContain(email);
        await screenshot(page, `forgot-password-sent-360-light-${backend.name}`);

        const mail = await resetMail(email);
        const link = linkOf(mail);
        expect(mail.text).toContain("works once and for 30 minutes");

        await page.goto(link);
        const main = page.getByRole("main");
        await main.getByRole("heading", { name: "Choose a new password" }).waitFor();
        await main.getByLabel("New password").fill(NEW_PASSWORD);
        await main.getByRole("button", { name: "Set new password" }).click();
        const done = main.getByText("Password reset. Sign in with your new password.");
        await done.waitFor();
        await expect.poll(() => viewportPlacement(done)).toBe("visible");
        // The password never travelled in the address.
        expect(page.url()).toBe(link);
        await screenshot(page, `reset-password-done-360-light-${backend.name}`);

        // The browser that was signed in is signed out on its next request.
        await signedIn.page.goto(`${app().url}/account`);
        await signedIn.page.waitForURL((url) => url.pathname === "/sign-in");
        await signedIn.page.getByRole("heading", { name: "Sign in to Gatehouse" }).waitFor();
        const session = await signedIn.page.request.get(`${app().url}/api/auth/session`);
        expect(await session.json()).toBeNull();

        // The old password no longer works; the new one does.
        await page.goto(`${app().url}/sign-in`);
        await main.getByLabel("Email", { exact: true }).fill(email);
        await main.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await main.getByRole("button", { name: "Sign in", exact: true }).click();
        await main.getByText("That email and password do not match an account.").waitFor();
        await signInWithPassword(page, app().url, { email, password: NEW_PASSWORD });

        // The same link again: used, with the next step.
        await page.goto(link);
        await main.getByRole("heading", { name: "This link has already been used" }).waitFor();
        await main.getByRole("link", { name: "Request a new link" }).waitFor();
        await assertNoHorizontalOverflow(page);
        await screenshot(page, `reset-password-used-360-light-${backend.name}`);
      } finally {
        await signedIn.close();
        await other.close();
      }
    });

    test("an address nobody uses gets the same answer, and no mail", async () => {
      const stranger = uniqueEmail("nobody");
      const member = uniqueEmail("member");
      const opened = await open("/forgot-password");
      try {
        const setUp = await open("about:blank");
        await createPasswordAccountByRequest(setUp.page, app().url, {
          email: member,
          password: PASSWORD,
        });
        await setUp.close();

        const toStranger = await askForLink(opened.page, stranger);
        await opened.page.getByRole("button", { name: "Send another link" }).click();
        const toMember = await askForLink(opened.page, member);
        expect(toStranger.replace(stranger, "ADDRESS")).toBe(toMember.replace(member, "ADDRESS"));

        // The member's mail arrives; nothing was ever sent to the stranger's address.
        await resetMail(member);
        expect(rig.smtp().mails.filter((m) => m.to.includes(stranger))).toEqual([]);
      } finally {
        await opened.close();
      }
    });

    test("a link that is not one lands on a page with the next step", async () => {
      const opened = await open(`/reset-password?token=${"x".repeat(43)}`);
      try {
        const main = opened.page.getByRole("main");
        await main.getByRole("heading", { name: "This link doesn't work" }).waitFor();
        await main.getByRole("link", { name: "Request a new link" }).click();
        await opened.page.waitForURL(`${app().url}/forgot-password`);
      } finally {
        await opened.close();
      }
    });

    if (backend.name === "postgres")
      test("an expired link says so and leads to a new one", async () => {
        const email = uniqueEmail("expired");
        const opened = await open("about:blank");
        try {
          await createPasswordAccountByRequest(
            opened.page,
            app().url,
            { email, password: PASSWORD },
            { landOn: "/forgot-password" },
          );
          await askForLink(opened.page, email);
          const link = linkOf(await resetMail(email));
          // Its lifetime over: moved into the past rather than waited out.
          const client = new pg.Client({ connectionString: app().databaseUrl });
          await client.connect();
          try {
            const { rowCount } = await client.query(
              `UPDATE "EmailToken" SET "createdAt" = now() - interval '2 hours',
                 "expiresAt" = now() - interval '1 hour'
               WHERE "email" = $1 AND "kind" = 'RESET_PASSWORD' AND "usedAt" IS NULL`,
              [email],
            );
            expect(rowCount).toBe(1);
          } finally {
            await client.end();
          }
          await opened.page.goto(link);
          const main = opened.page.getByRole("main");
          await main.getByRole("heading", { name: "This link has expired" }).waitFor();
          await screenshot(opened.page, "reset-password-expired-1280-light");
          await main.getByRole("link", { name: "Request a new link" }).click();
          await opened.page.waitForURL(`${app().url}/forgot-password`);
        } finally {
          await opened.close();
        }
      });

    if (backend.name === "embedded")
      describe("at 360 and 1280 px, light and dark", () => {
        const member = uniqueEmail("looks");

        // Once per size; each page is saved in both colour schemes, switched on the open page
        // (Tailwind's dark variant follows prefers-color-scheme), which spares a whole flow
        // per scheme.
        test.each<ViewportName>(["phone", "desktop"])(
          "the forms and their answers on %s, light and dark",
          async (viewport) => {
            const width = viewport === "phone" ? 360 : 1280;
            /** Saves the whole page as it is now, in light and dark. */
            const shoot = async (page: Page, what: string) => {
              for (const colorScheme of ["light", "dark"] as ColorScheme[]) {
                await page.emulateMedia({ colorScheme });
                await assertNoHorizontalOverflow(page);
                await screenshot(page, `${what}-${width}-${colorScheme}`);
              }
            };
            if (viewport === "phone") {
              const setUp = await open("about:blank");
              await createPasswordAccountByRequest(setUp.page, app().url, {
                email: member,
                password: PASSWORD,
              });
              await setUp.close();
            }
            const signIn = await open("/sign-in", { viewport });
            try {
              await signIn.page.getByRole("link", { name: "Forgot password?" }).waitFor();
              await shoot(signIn.page, "sign-in-forgot-link");
            } finally {
              await signIn.close();
            }
            const opened = await open("/forgot-password", { viewport });
            try {
              const { page } = opened;
              await shoot(page, "forgot-password");
              rig.smtp().clear();
              await askForLink(page, member);
              await shoot(page, "forgot-password-sent");

              await page.goto(linkOf(await resetMail(member)));
              await page.getByRole("button", { name: "Set new password" }).waitFor();
              await shoot(page, "reset-password");
              // Refused at its field, the link still usable.
              await page.getByLabel("New password").fill("password");
              await page.getByRole("button", { name: "Set new password" }).click();
              await page
                .getByText("This password is too common. Pick something less guessable.")
                .waitFor();
              await shoot(page, "reset-password-refused");

              await page.goto(`${app().url}/reset-password?token=nope`);
              await page.getByRole("heading", { name: "This link doesn't work" }).waitFor();
              await shoot(page, "reset-password-unknown");
              expect(opened.consoleErrors).toEqual([]);
            } finally {
              await opened.close();
            }
          },
        );
      });
  });
});
