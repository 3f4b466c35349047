// Changing the account's email (lib/account/email-change.ts through the actions of
// lib/actions/account/email.ts), on PostgreSQL and PGlite with the real next-safe-action
// clients, a real limiter (memory backend), the real outbox writer and link sealer, and an
// injected clock: the request queues a confirmation to the new address and a notice to the
// old one; the confirmation moves the address, verified, and kills the old address's links;
// a verified holder refuses it, an unverified one loses the address; used, expired, unknown
// links and another signed-in account change nothing.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { ADDRESS_TAKEN_DETAIL } from "@/lib/account/email-change";
import { accountErrorMessages } from "@/lib/account/errors";
import type { ActionSession } from "@/lib/actions/clients";
import { issueEmailToken } from "@/lib/auth/email-tokens";
import { createSession } from "@/lib/auth/sessions";
import { parseSettings, type RateLimitRule, type Settings } from "@/lib/env";
import type { RequestContext } from "@/lib/http/request-context";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { emailActionsFor, testMail } from "@/tests/support/mail";

const backends = databaseBackends(inject("databaseUrl"));

const settings: Settings = parseSettings({}, { devSecret: () => "e".repeat(43) });
const APP = settings.appUrl;
const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const context: RequestContext = { ip: "203.0.113.9", userAgent: "Firefox/141", requestId: "r-1" };
const REAUTH_URL = "/sign-in?callbackUrl=%2Faccount&reauth=1";

/** What the action answered, or the URL of the Next redirect it threw. */
async function outcome<T>(action: Promise<T>): Promise<T | { redirect: string }> {
  try {
    return await action;
  } catch (error) {
    const digest = (error as { digest?: unknown } | null)?.digest;
    if (typeof digest !== "string" || !digest.startsWith("NEXT_REDIRECT;")) throw error;
    return { redirect: digest.split(";")[2] ?? "" };
  }
}

describe.each(backends)("changing the email on $name", (backend) => {
  describe.runIf(backend.available)("request and confirm", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const { mail, mailsOf: queuedMails } = testMail(settings);
    const unique = (label: string) => `${label}-${randomBytes(4).toString("hex")}@example.com`;

    function harness(session: ActionSession | null, mailAddress?: RateLimitRule, now = T) {
      return emailActionsFor({ settings, database: db, mail, session, context, now, mailAddress });
    }

    async function newUser(email: string | null, verified = true) {
      return prisma().user.create({
        data: { email, emailVerified: email && verified ? at(-3_600) : null, name: "Grace" },
      });
    }

    async function signedIn(userId: string, signedInAt = at(-60)): Promise<ActionSession> {
      const { sessionId } = await createSession(prisma(), {
        userId,
        method: "password",
        ip: null,
        userAgent: null,
        maxAgeSeconds: 86_400,
        now: signedInAt,
      });
      return { userId, sessionId, authTime: signedInAt.getTime() / 1000 };
    }

    const mailsOf = (userId: string) => queuedMails(prisma(), userId);

    /** Asks for the change as a signed-in user; returns the confirmation link's token. */
    async function requestChange(userId: string, newEmail: string): Promise<string> {
      const result = await harness(await signedIn(userId)).changeEmail({ email: newEmail });
      expect(result.data).toEqual({ email: newEmail.trim().toLowerCase() });
      const confirm = (await mailsOf(userId)).findLast((m) => m.kind === "CHANGE_EMAIL_CONFIRM");
      const link = new URL(confirm?.link ?? "");
      return link.searchParams.get("token") ?? "";
    }

    const eventsOf = (userId: string) =>
      prisma().securityEvent.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });

    it("asking queues a link to the new address and a notice to the old one, changes nothing yet", async () => {
      const oldEmail = unique("old");
      const user = await newUser(oldEmail);
      const newEmail = unique("new");
      await requestChange(user.id, `  ${newEmail.toUpperCase()} `);

      const mails = await mailsOf(user.id);
      expect(mails.map((m) => [m.kind, m.to])).toEqual([
        ["CHANGE_EMAIL_CONFIRM", newEmail],
        ["CHANGE_EMAIL_NOTICE", oldEmail],
      ]);
      expect(mails[0]?.data).toEqual({ newEmail, expiresInMinutes: 24 * 60 });
      expect(mails[0]?.link).toMatch(
        new RegExp(`^${APP}/confirm-email-change\\?token=[A-Za-z0-9_-]{43}$`),
      );
      // The old inbox sees where the account is going only partly.
      const notice = mails[1]?.data as { newEmail: string };
      expect(notice.newEmail).toMatch(/^ne•••@e•••\.com$/);
      const tokens = await prisma().emailToken.findMany({ where: { userId: user.id } });
      expect(tokens.map((t) => [t.kind, t.email])).toEqual([["CHANGE_EMAIL", newEmail]]);
      expect((await eventsOf(user.id)).map((e) => e.type)).toContain("EMAIL_CHANGE_REQUESTED");
      const after = await prisma().user.findUniqueOrThrow({ where: { id: user.id } });
      expect(after.email).toBe(oldEmail);
    });

    it("the link changes the address, verified, and kills the old address's reset and verify links", async () => {
      const oldEmail = unique("before");
      const user = await newUser(oldEmail, false);
      // Links sent to the old address before the change.
      for (const kind of ["RESET_PASSWORD", "VERIFY_EMAIL"] as const) {
        await issueEmailToken(prisma(), {
          userId: user.id,
          kind,
          email: oldEmail,
          now: T,
          lifetimes: settings.emailTokens.lifetimeSeconds,
        });
      }
      const newEmail = unique("after");
      const token = await requestChange(user.id, newEmail);

      // Signed out in this browser: the link alone is the proof.
      const result = await harness(null, undefined, at(60)).confirmEmailChange({ token });
      expect(result.data).toEqual({ status: "changed", previousEmail: oldEmail, email: newEmail });
      const after = await prisma().user.findUniqueOrThrow({ where: { id: user.id } });
      expect(after.email).toBe(newEmail);
      expect(after.emailVerified).toEqual(at(60));
      // Only the used change link is left: the old address's links are gone.
      const left = await prisma().emailToken.findMany({ where: { userId: user.id } });
      expect(left.map((t) => [t.kind, t.usedAt])).toEqual([["CHANGE_EMAIL", at(60)]]);
      expect((await eventsOf(user.id)).map((e) => e.type)).toContain("EMAIL_CHANGED");

      // Used once: the second use is "used", and changes nothing.
      const again = await harness(null, undefined, at(120)).confirmEmailChange({ token });
      expect(again.data).toEqual({ status: "used" });
    });

    it("an account without an address gets one; no notice goes anywhere", async () => {
      const user = await newUser(null);
      const newEmail = unique("added");
      const token = await requestChange(user.id, newEmail);
      expect((await mailsOf(user.id)).map((m) => m.kind)).toEqual(["CHANGE_EMAIL_CONFIRM"]);
      const result = await harness(await signedIn(user.id)).confirmEmailChange({ token });
      expect(result.data).toEqual({ status: "changed", previousEmail: null, email: newEmail });
    });

    it("an address a verified account has: the request answers the same, the link refuses", async () => {
      const taken = unique("taken");
      const holder = await newUser(taken, true);
      const user = await newUser(unique("asker"));
      const token = await requestChange(user.id, taken);
      const confirm = (await mailsOf(user.id)).find((m) => m.kind === "CHANGE_EMAIL_CONFIRM");
      expect(confirm?.data).toMatchObject({ addressInUse: "verified" });

      const result = await harness(null, undefined, at(60)).confirmEmailChange({ token });
      expect(result.data).toEqual({ status: "taken", newEmail: taken });
      expect((await prisma().user.findUniqueOrThrow({ where: { id: holder.id } })).email).toBe(
        taken,
      );
      expect((await prisma().user.findUniqueOrThrow({ where: { id: user.id } })).email).not.toBe(
        taken,
      );
      // Refused inside the transaction: the link was not spent.
      const row = await prisma().emailToken.findFirstOrThrow({ where: { userId: user.id } });
      expect(row.usedAt).toBeNull();
    });

    it("an address an unverified account has moves to the one that proved it", async () => {
      const address = unique("squatted");
      const holder = await newUser(address, false);
      await prisma().account.create({
        data: { userId: holder.id, type: "oauth", provider: "github", providerAccountId: "gh-1" },
      });
      const user = await newUser(unique("owner"));
      const token = await requestChange(user.id, address);
      const result = await harness(null, undefined, at(60)).confirmEmailChange({ token });
      expect(result.data).toMatchObject({ status: "changed", email: address });

      const before = await prisma().user.findUniqueOrThrow({ where: { id: holder.id } });
      expect(before.email).toBeNull();
      // It keeps its other ways in.
      expect(await prisma().account.count({ where: { userId: holder.id } })).toBe(1);
      const events = await eventsOf(holder.id);
      expect(events.map((e) => [e.type, e.detail?.startsWith(ADDRESS_TAKEN_DETAIL)])).toEqual([
        ["EMAIL_CHANGED", true],
      ]);
      // Not the confirmer's device or address: that is someone else's.
      expect(events[0]?.ip).toBeNull();
    });

    it("expired, unknown and another signed-in account: nothing changes, the link stays", async () => {
      const user = await newUser(unique("careful"));
      const token = await requestChange(user.id, unique("later"));
      const late = at(settings.emailTokens.lifetimeSeconds.CHANGE_EMAIL + 1);
      expect((await harness(null, undefined, late).confirmEmailChange({ token })).data).toEqual({
        status: "expired",
      });
      const tampered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
      expect((await harness(null).confirmEmailChange({ token: tampered })).data).toEqual({
        status: "unknown",
      });
      const other = await newUser(unique("other"));
      const asOther = await harness(await signedIn(other.id)).confirmEmailChange({ token });
      expect(asOther.data).toEqual({ status: "other-account" });
      expect((await harness(null, undefined, at(60)).confirmEmailChange({ token })).data).toEqual(
        expect.objectContaining({ status: "changed" }),
      );
    });

    it("needs a recent sign-in, refuses the same address, and counts against the mail budget", async () => {
      const email = unique("same");
      const user = await newUser(email);
      const stale = await signedIn(user.id, at(-settings.auth.recentSignInMaxAgeSeconds - 1));
      expect(await outcome(harness(stale).changeEmail({ email: unique("x") }))).toEqual({
        redirect: REAUTH_URL,
      });

      const same = await harness(await signedIn(user.id)).changeEmail({ email });
      expect(same.validationErrors?.fieldErrors).toEqual({
        email: [accountErrorMessages["same-email"]],
      });

      const actions = harness(await signedIn(user.id), { limit: 1, windowMs: 60_000 });
      const target = unique("flood");
      expect((await actions.changeEmail({ email: target })).data).toEqual({ email: target });
      const refused = await actions.changeEmail({ email: target });
      // The wait is up to the window (60 s), said as "1 minute" when it rounds up to it.
      expect(refused.serverError).toMatch(
        /^Too many mails asked for\. Please wait (\d+ seconds?|1 minute) and try again\.$/,
      );
      expect(await prisma().notificationOutbox.count({ where: { userId: user.id } })).toBe(2);
      expect(await outcome(harness(null).changeEmail({ email: unique("y") }))).toEqual({
        redirect: "/sign-in?callbackUrl=%2Faccount",
      });
    });
  });
});
