// Confirming an address with its VERIFY_EMAIL link (lib/auth/email-verification.ts), on
// PGlite and PostgreSQL: the preview changes nothing; confirming marks the address verified
// and records EMAIL_VERIFIED once; a second use, an expired link, a replaced link and a link
// for an address the account no longer has verify nothing. "Resend" (the account page's
// action, lib/actions/account/email.ts): a fresh link replacing the older ones, only to the
// account's own unconfirmed address, held to the mail budget, with a session.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import type { ActionSession } from "@/lib/actions/clients";
import { issueEmailToken } from "@/lib/auth/email-tokens";
import {
  previewVerification,
  resendVerification,
  verifyEmail,
} from "@/lib/auth/email-verification";
import { createSession } from "@/lib/auth/sessions";
import { parseSettings, type RateLimitRule } from "@/lib/env";
import type { SlidingWindowBackend } from "@/lib/rate-limit/backends/backend";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { emailActionsFor, testMail } from "@/tests/support/mail";

const backends = databaseBackends(inject("databaseUrl"));

const lifetimes = { VERIFY_EMAIL: 86_400, RESET_PASSWORD: 1_800, CHANGE_EMAIL: 86_400 };
const context = { ip: "203.0.113.8", userAgent: "test", requestId: "req-verify" };

describe.each(backends)("email verification on $name", (backend) => {
  describe.runIf(backend.available)("against a migrated database", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    // Tokens are stamped with this clock; the database's own clock plays no part.
    const issuedAt = new Date(Date.now() + 60_000);
    const later = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1_000);

    async function accountWithLink() {
      const email = `verify-${randomBytes(4).toString("hex")}@example.com`;
      const user = await prisma().user.create({ data: { email } });
      const { token } = await issueEmailToken(prisma(), {
        userId: user.id,
        kind: "VERIFY_EMAIL",
        email,
        now: issuedAt,
        lifetimes,
      });
      return { user, email, token };
    }
    const reload = (id: string) =>
      prisma().user.findUniqueOrThrow({ where: { id }, include: { securityEvents: true } });

    it("previews without using the link, then confirms once; the second use is 'used'", async () => {
      const { user, email, token } = await accountWithLink();
      const preview = await previewVerification(prisma(), token, later(60));
      expect(preview).toEqual({ status: "valid", email, accountCreatedAt: user.createdAt });
      // Opening the page twice (a mail scanner first) leaves the link working.
      expect((await previewVerification(prisma(), token, later(61))).status).toBe("valid");
      expect((await reload(user.id)).emailVerified).toBeNull();

      const confirmedAt = later(120);
      await expect(verifyEmail(prisma(), { token, now: confirmedAt, ...context })).resolves.toEqual(
        { status: "verified", email, userId: user.id },
      );
      const verified = await reload(user.id);
      expect(verified.emailVerified).toEqual(confirmedAt);
      expect(verified.securityEvents).toEqual([
        expect.objectContaining({ type: "EMAIL_VERIFIED", method: "email", ip: context.ip }),
      ]);

      await expect(verifyEmail(prisma(), { token, now: later(121), ...context })).resolves.toEqual({
        status: "used",
      });
      expect(await previewVerification(prisma(), token, later(122))).toEqual({ status: "used" });
      expect((await reload(user.id)).securityEvents).toHaveLength(1);
    });

    it("of two confirmations at once, exactly one verifies", async () => {
      const { user, token } = await accountWithLink();
      const results = await Promise.all(
        [0, 1, 2].map(() => verifyEmail(prisma(), { token, now: later(5), ...context })),
      );
      expect(results.map((r) => r.status).sort()).toEqual(["used", "used", "verified"]);
      expect((await reload(user.id)).securityEvents).toHaveLength(1);
    });

    it("an expired link verifies nothing", async () => {
      const { user, token } = await accountWithLink();
      const expiry = later(lifetimes.VERIFY_EMAIL);
      expect(await previewVerification(prisma(), token, expiry)).toEqual({ status: "expired" });
      await expect(verifyEmail(prisma(), { token, now: expiry, ...context })).resolves.toEqual({
        status: "expired",
      });
      expect((await reload(user.id)).emailVerified).toBeNull();
    });

    it("a link replaced by a newer one, or a made-up one, is 'unknown'", async () => {
      const { user, email, token } = await accountWithLink();
      const newer = await issueEmailToken(prisma(), {
        userId: user.id,
        kind: "VERIFY_EMAIL",
        email,
        now: later(10),
        lifetimes,
      });
      for (const dead of [token, "x".repeat(43), "not a token", undefined]) {
        await expect(
          verifyEmail(prisma(), { token: dead, now: later(20), ...context }),
        ).resolves.toEqual({ status: "unknown" });
      }
      expect((await reload(user.id)).emailVerified).toBeNull();
      await expect(
        verifyEmail(prisma(), { token: newer.token, now: later(20), ...context }),
      ).resolves.toMatchObject({ status: "verified" });
    });

    it("a link for an address the account no longer has verifies nothing ('stale')", async () => {
      const { user, token } = await accountWithLink();
      const other = `moved-${randomBytes(4).toString("hex")}@example.com`;
      await prisma().user.update({ where: { id: user.id }, data: { email: other } });
      expect(await previewVerification(prisma(), token, later(30))).toEqual({ status: "stale" });
      await expect(verifyEmail(prisma(), { token, now: later(30), ...context })).resolves.toEqual({
        status: "stale",
      });
      const after = await reload(user.id);
      expect(after.emailVerified).toBeNull();
      expect(after.securityEvents).toEqual([]);
    });
  });

  describe.runIf(backend.available)("Resend, from the account page", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const settings = parseSettings({}, { devSecret: () => "v".repeat(43) });
    const { mail, mailsOf } = testMail(settings);
    const T = new Date(Date.now() + 120_000);
    const LINK = new RegExp(`^${settings.appUrl}/verify-email\\?token=([A-Za-z0-9_-]{43})$`);

    function actions(
      session: ActionSession | null,
      options: { mailAddress?: RateLimitRule; backend?: SlidingWindowBackend } = {},
    ) {
      return emailActionsFor({
        settings,
        database: db,
        mail,
        session,
        context,
        now: T,
        ...options,
      });
    }

    async function signedIn(email: string | null, verified = false) {
      const user = await prisma().user.create({
        data: { email, emailVerified: verified ? T : null },
      });
      // A sign-in from long ago: Resend needs a session, not a recent sign-in.
      const signedInAt = new Date(T.getTime() - 7 * 86_400_000);
      const { sessionId } = await createSession(prisma(), {
        userId: user.id,
        method: "password",
        ip: null,
        userAgent: null,
        maxAgeSeconds: 30 * 86_400,
        now: signedInAt,
      });
      const session = { userId: user.id, sessionId, authTime: signedInAt.getTime() / 1000 };
      return { user, session };
    }

    const tokenOf = (link: string | null) => LINK.exec(link ?? "")?.[1] ?? "";

    it("mails a fresh link to the unconfirmed address; the older link stops working; the new one verifies", async () => {
      const email = `resend-${randomBytes(4).toString("hex")}@example.com`;
      const { user, session } = await signedIn(email);
      const old = await issueEmailToken(prisma(), {
        userId: user.id,
        kind: "VERIFY_EMAIL",
        email,
        now: T,
        lifetimes,
      });

      await expect(actions(session).resendVerification()).resolves.toEqual({
        data: { sent: true, email },
      });
      const mails = await mailsOf(prisma(), user.id);
      expect(mails).toEqual([
        {
          kind: "VERIFY_EMAIL",
          to: email,
          data: { expiresInMinutes: 24 * 60 },
          link: expect.stringMatching(LINK) as string,
        },
      ]);
      expect(await previewVerification(prisma(), old.token, T)).toEqual({ status: "unknown" });
      await expect(
        verifyEmail(prisma(), { token: tokenOf(mails[0]?.link ?? null), now: T, ...context }),
      ).resolves.toMatchObject({ status: "verified", email });

      // Verified now: a second Resend (an old tab) sends nothing.
      await expect(actions(session).resendVerification()).resolves.toEqual({
        data: { sent: false },
      });
      expect(await mailsOf(prisma(), user.id)).toHaveLength(1);
    });

    it("ten at once: ten mails, and only the newest link works", async () => {
      const email = `resend-${randomBytes(4).toString("hex")}@example.com`;
      const { user, session } = await signedIn(email);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => actions(session).resendVerification()),
      );
      expect(results.map((result) => result.data)).toEqual(
        Array.from({ length: 10 }, () => ({ sent: true, email })),
      );
      const links = (await mailsOf(prisma(), user.id)).map((m) => tokenOf(m.link));
      expect(links).toHaveLength(10);
      const statuses = await Promise.all(
        links.map(async (token) => (await previewVerification(prisma(), token, T)).status),
      );
      expect(statuses.filter((status) => status === "valid")).toHaveLength(1);
    });

    it("nothing to confirm (no address, or verified): nothing sent", async () => {
      for (const { email, verified } of [
        { email: null, verified: false },
        { email: `done-${randomBytes(4).toString("hex")}@example.com`, verified: true },
      ]) {
        const { user, session } = await signedIn(email, verified);
        await expect(actions(session).resendVerification()).resolves.toEqual({
          data: { sent: false },
        });
        await expect(mailsOf(prisma(), user.id)).resolves.toEqual([]);
      }
    });

    it("signed out: sent to sign in, nothing sent", async () => {
      const email = `resend-${randomBytes(4).toString("hex")}@example.com`;
      const { user } = await signedIn(email);
      const digest = await actions(null)
        .resendVerification()
        .then(
          () => "no redirect",
          (error: unknown) => (error as { digest?: string }).digest ?? String(error),
        );
      expect(digest).toMatch(/^NEXT_REDIRECT;replace;\/sign-in\?callbackUrl=%2Faccount;/);
      await expect(mailsOf(prisma(), user.id)).resolves.toEqual([]);
    });

    it("held to the mail budget, and refused (not sent) while the limiter is unreachable", async () => {
      const email = `resend-${randomBytes(4).toString("hex")}@example.com`;
      const { user, session } = await signedIn(email);
      const budget = actions(session, { mailAddress: { limit: 2, windowMs: 900_000 } });
      await budget.resendVerification();
      await budget.resendVerification();
      const refused = await budget.resendVerification();
      expect(refused.serverError).toMatch(
        /^Too many mails asked for\. Please wait \d+ (minute|second)s? and try again\.$/,
      );
      expect(await mailsOf(prisma(), user.id)).toHaveLength(2);

      const down = actions(session, {
        backend: {
          kind: "ioredis",
          limit: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379")),
        },
      });
      await expect(down.resendVerification()).resolves.toEqual({
        serverError: "We can't send mail right now. Please try again shortly.",
      });
      expect(await mailsOf(prisma(), user.id)).toHaveLength(2);
    });

    it("the service sends nothing once the address changed or was confirmed in between", async () => {
      const email = `resend-${randomBytes(4).toString("hex")}@example.com`;
      const { user } = await signedIn(email);
      const deps = {
        queueMail: mail.queueMail,
        appUrl: settings.appUrl,
        lifetimes,
        now: T,
      };
      await prisma().user.update({
        where: { id: user.id },
        data: { email: `moved-${randomBytes(4).toString("hex")}@example.com` },
      });
      await expect(resendVerification(prisma(), deps, { userId: user.id, email })).resolves.toBe(
        "nothing-to-confirm",
      );
      await expect(mailsOf(prisma(), user.id)).resolves.toEqual([]);
    });
  });
});
