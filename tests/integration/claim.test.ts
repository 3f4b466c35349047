// The claim rule (lib/auth/claim.ts) against freshly migrated databases, PostgreSQL and
// PGlite: an account set up by someone who typed another person's email — password, a
// second identity, a Telegram chat with alerts queued and sent, a pending link token, an
// email token, sessions, an authenticator app with its recovery codes, a passkey, a
// passkey registration under way and a sign-in waiting for its second factor — is claimed by the email's verified owner. Every model
// is checked against the rule (the checks are typed over Prisma's model list: a new model
// does not compile here until it is checked), and a bystander with the same kinds of rows
// keeps all of them.
import { randomBytes } from "node:crypto";

import { Secret, TOTP } from "otpauth";
import { describe, expect, inject, it } from "vitest";

import { CLAIM_RULE } from "@/lib/auth/claim";
import { startPendingSignIn } from "@/lib/auth/pending-sign-in";
import { resolveOAuthSignIn, type OAuthIdentity } from "@/lib/auth/identity";
import { consumeEmailToken, EMAIL_TOKEN_KINDS, issueEmailToken } from "@/lib/auth/email-tokens";
import {
  finishPasskeyRegistration,
  finishPasskeySignIn,
  relyingParty,
  startPasskeyRegistration,
  startPasskeySignIn,
} from "@/lib/auth/passkeys";
import {
  confirmTotpEnrolment,
  createSecondFactorKeys,
  secondFactorStatus,
  startTotpEnrolment,
  redeemRecoveryCode,
} from "@/lib/auth/second-factor";
import { createSession, validateSession } from "@/lib/auth/sessions";
import type { Prisma } from "@/lib/generated/prisma/client";
import { recordSecurityEvent } from "@/lib/security/events";
import { alertHook } from "@/lib/telegram/outbox";
import { createLinkToken } from "@/lib/telegram/link-tokens";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { createSoftAuthenticator } from "@/tests/support/soft-authenticator";

const serverUrl = inject("databaseUrl");
const argon2idHash = `$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$RdescudvJCsgt3ub+b+dWRWJTmaaJObGq8CKvHDZ8c0`;
const T0 = new Date("2026-06-01T09:00:00.000Z");
const T = new Date("2026-06-01T10:00:00.000Z");
const lifetimes = { VERIFY_EMAIL: 86_400, RESET_PASSWORD: 7_200, CHANGE_EMAIL: 86_400 };
const context = { ip: "203.0.113.9", userAgent: "Firefox/140", requestId: "req-claim" };
const keys = createSecondFactorKeys("c".repeat(43));
const rp = relyingParty("https://gatehouse.example", "Gatehouse");
const origin = rp.origin;

describe.each(databaseBackends(serverUrl))("the claim rule on $name", (backend) => {
  describe.runIf(backend.available)("claiming an account whose email was never proven", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

    /** An account with one row in every model that can refer to a person. */
    async function fullySetUp(email: string) {
      const user = await prisma().user.create({
        data: {
          email,
          name: "Squatter",
          image: "https://example.com/squatter.png",
          password: { create: { hash: argon2idHash } },
          accounts: {
            create: {
              type: "oauth",
              provider: "stackoverflow",
              providerAccountId: unique("so"),
              label: "squatter",
            },
          },
          telegramLink: {
            create: { chatId: BigInt(Math.floor(Math.random() * 1e12)), telegramUserId: 1n },
          },
        },
      });
      const sessions = [];
      for (const device of ["laptop", "phone"]) {
        sessions.push(
          await createSession(prisma(), {
            userId: user.id,
            method: "password",
            ip: "198.51.100.1",
            userAgent: device,
            maxAgeSeconds: 86_400,
            now: T0,
          }),
        );
      }
      await createLinkToken(prisma(), { userId: user.id, now: T0, ttlSeconds: 86_400 });
      // An alert already delivered (its "Not me" button is in the chat) and one still queued.
      const hook = alertHook({ deliverSoon: () => undefined });
      await recordSecurityEvent(
        prisma(),
        { userId: user.id, type: "SIGN_IN", method: "password", at: T0 },
        { afterRecord: hook },
      );
      await prisma().notificationOutbox.updateMany({
        where: { userId: user.id },
        data: { status: "SENT", externalId: "41", sentAt: T0 },
      });
      await recordSecurityEvent(
        prisma(),
        { userId: user.id, type: "PASSWORD_CHANGED", method: "password", at: T0 },
        { afterRecord: hook },
      );
      await prisma().verificationToken.create({
        data: {
          identifier: email,
          token: unique("vt"),
          createdAt: T0,
          expires: new Date(T.getTime() + 3.6e6),
        },
      });
      // A link of every kind pending (a reset, a change to an address of the squatter's),
      // and one verification link already used.
      const emailLinks: Record<string, string> = {};
      for (const kind of EMAIL_TOKEN_KINDS) {
        const to = kind === "CHANGE_EMAIL" ? `${unique("elsewhere")}@example.com` : email;
        const issued = await issueEmailToken(prisma(), {
          userId: user.id,
          kind,
          email: to,
          now: T0,
          lifetimes,
        });
        emailLinks[kind] = issued.token;
      }
      await consumeEmailToken(prisma(), emailLinks.VERIFY_EMAIL, "VERIFY_EMAIL", T0);
      await issueEmailToken(prisma(), {
        userId: user.id,
        kind: "VERIFY_EMAIL",
        email,
        now: T0,
        lifetimes,
      });
      // An authenticator app, confirmed, and one of its recovery codes already spent.
      const enrolment = await startTotpEnrolment(prisma(), {
        userId: user.id,
        now: T0,
        keys,
        issuer: "Gatehouse",
        accountLabel: email,
      });
      if (enrolment.status !== "started") throw new Error(`enrolment ${enrolment.status}`);
      const code = TOTP.generate({
        secret: Secret.fromBase32(enrolment.secret),
        timestamp: T0.getTime(),
      });
      const confirmed = await confirmTotpEnrolment(prisma(), {
        userId: user.id,
        code,
        now: T0,
        keys,
      });
      if (confirmed.status !== "enabled") throw new Error(`confirmation ${confirmed.status}`);
      await redeemRecoveryCode(prisma(), {
        userId: user.id,
        code: confirmed.recoveryCodes[0],
        now: T0,
        keys,
      });
      // A sign-in that passed the password and waits for its code.
      await startPendingSignIn(prisma(), {
        userId: user.id,
        method: "password",
        returnTo: "/account",
        context: { ip: "198.51.100.9", userAgent: "Squatter", requestId: "claim-pending" },
        now: T0,
        ttlSeconds: 300,
      });
      // A passkey, and a second registration started and not finished.
      const authenticator = createSoftAuthenticator();
      const started = await startPasskeyRegistration(prisma(), {
        userId: user.id,
        rp,
        now: T0,
        ttlSeconds: 7_200,
      });
      if (started.status !== "started") throw new Error(`passkey ${started.status}`);
      const added = await finishPasskeyRegistration(prisma(), {
        userId: user.id,
        challengeId: started.challengeId,
        response: authenticator.register(started.options, { origin }),
        rp,
        now: T0,
      });
      if (added.status !== "added") throw new Error(`passkey ${added.status}`);
      await startPasskeyRegistration(prisma(), { userId: user.id, rp, now: T0, ttlSeconds: 7_200 });
      return { user, sessions, emailLinks, authenticator };
    }

    async function snapshot(userId: string, email: string) {
      return {
        user: await prisma().user.findUnique({ where: { id: userId } }),
        accounts: await prisma().account.findMany({ where: { userId }, orderBy: { id: "asc" } }),
        sessions: await prisma().session.findMany({ where: { userId }, orderBy: { id: "asc" } }),
        password: await prisma().passwordCredential.findUnique({ where: { userId } }),
        telegram: await prisma().telegramLink.findUnique({ where: { userId } }),
        linkTokens: await prisma().telegramLinkToken.findMany({ where: { userId } }),
        outbox: await prisma().notificationOutbox.findMany({
          where: { userId },
          orderBy: { id: "asc" },
        }),
        events: await prisma().securityEvent.findMany({
          where: { userId },
          orderBy: { id: "asc" },
        }),
        publications: await prisma().eventOutbox.findMany({
          where: { securityEvent: { userId } },
          orderBy: { securityEventId: "asc" },
        }),
        verificationTokens: await prisma().verificationToken.findMany({
          where: { identifier: email },
        }),
        emailTokens: await prisma().emailToken.findMany({
          where: { userId },
          orderBy: { tokenHash: "asc" },
        }),
        totp: await prisma().totpCredential.findUnique({ where: { userId } }),
        recoveryCodes: await prisma().recoveryCode.findMany({
          where: { userId },
          orderBy: { id: "asc" },
        }),
        pendingSignIns: await prisma().pendingSignIn.findMany({ where: { userId } }),
        passkeys: await prisma().passkey.findMany({ where: { userId }, orderBy: { id: "asc" } }),
        webAuthnChallenges: await prisma().webAuthnChallenge.findMany({
          where: { userId },
          orderBy: { idHash: "asc" },
        }),
      };
    }

    it("strips the account back to the claimant, model by model, and leaves a bystander alone", async () => {
      const email = `${unique("victim")}@example.com`;
      const { user, sessions, emailLinks, authenticator } = await fullySetUp(email);
      const before = await snapshot(user.id, email);
      // A sign-in ceremony under way belongs to no account yet: the claim leaves it alone.
      const signInCeremony = await startPasskeySignIn(prisma(), { rp, now: T0, ttlSeconds: 7_200 });
      const bystanderEmail = `${unique("bystander")}@example.com`;
      const bystander = await fullySetUp(bystanderEmail);
      const bystanderBefore = await snapshot(bystander.user.id, bystanderEmail);

      const queued: string[] = [];
      const google: OAuthIdentity = {
        provider: "google",
        providerAccountId: unique("sub"),
        type: "oidc",
        email,
        emailVerified: true,
        name: "Vera Owner",
        image: "https://example.com/vera.png",
        label: email,
        tokens: { access_token: "access" },
      };
      const result = await resolveOAuthSignIn(
        {
          prisma: prisma(),
          now: () => T,
          logger: memoryLogger(),
          afterRecord: async (tx, event) => {
            await alertHook({ deliverSoon: () => undefined })(tx, event);
            queued.push(event.type);
          },
        },
        { identity: google, currentUser: null, context },
      );
      expect(result).toMatchObject({ outcome: "sign-in", userId: user.id, takeover: true });
      const after = await snapshot(user.id, email);

      const checks: Record<Prisma.ModelName, () => void> = {
        User: () => {
          expect(CLAIM_RULE.User).toBe("reset-profile");
          expect(after.user).toMatchObject({
            id: user.id,
            email,
            emailVerified: T,
            name: "Vera Owner",
            image: "https://example.com/vera.png",
          });
        },
        Account: () => {
          expect(CLAIM_RULE.Account).toBe("delete-except-claimant");
          expect(after.accounts.map((a) => [a.provider, a.providerAccountId])).toEqual([
            ["google", google.providerAccountId],
          ]);
        },
        Session: () => {
          expect(CLAIM_RULE.Session).toBe("revoke");
          expect(after.sessions.map((s) => s.revokedAt)).toEqual([T, T]);
        },
        PasswordCredential: () => {
          expect(CLAIM_RULE.PasswordCredential).toBe("delete");
          expect(before.password).not.toBeNull();
          expect(after.password).toBeNull();
        },
        TelegramLink: () => {
          expect(CLAIM_RULE.TelegramLink).toBe("delete");
          expect(before.telegram).not.toBeNull();
          expect(after.telegram).toBeNull();
        },
        TelegramLinkToken: () => {
          expect(CLAIM_RULE.TelegramLinkToken).toBe("delete");
          expect(before.linkTokens).toHaveLength(1);
          expect(after.linkTokens).toEqual([]);
        },
        NotificationOutbox: () => {
          expect(CLAIM_RULE.NotificationOutbox).toBe("cancel-pending");
          // The delivered alert stays as history; the queued one will never be sent; and
          // nothing this claim recorded was queued, because the chat went first.
          expect(after.outbox.map((row) => [row.kind, row.status])).toEqual([
            ["SIGN_IN", "SENT"],
            ["PASSWORD_CHANGED", "FAILED"],
          ]);
          expect(after.outbox).toHaveLength(before.outbox.length);
        },
        SecurityEvent: () => {
          expect(CLAIM_RULE.SecurityEvent).toBe("keep-history");
          expect(after.events.slice(0, before.events.length)).toEqual(before.events);
          expect(
            after.events.slice(before.events.length).map((e) => [e.type, e.method, e.detail]),
          ).toEqual([
            [
              "TELEGRAM_UNLINKED",
              "telegram",
              "pre-registration takeover protection: chat connected before the email was proven",
            ],
            [
              "ACCOUNT_UNLINKED",
              "stackoverflow",
              "pre-registration takeover protection: sign-in method linked before the email was proven",
            ],
            [
              "PASSWORD_REMOVED",
              "google",
              "pre-registration takeover protection: password set before the email was proven",
            ],
            [
              "PASSKEY_REMOVED",
              "passkey",
              "pre-registration takeover protection: passkey added before the email was proven",
            ],
            [
              "TOTP_DISABLED",
              null,
              "pre-registration takeover protection: authenticator app set up before the email was proven",
            ],
            [
              "SESSION_REVOKED",
              null,
              "pre-registration takeover protection: all sessions revoked (2 sessions)",
            ],
            [
              "ACCOUNT_LINKED",
              "google",
              "matched by verified email; pre-registration takeover protection: the account was stripped back to this identity",
            ],
          ]);
        },
        EventOutbox: () => {
          // Every event, the claim's own included, waits to be published; none is dropped.
          expect(CLAIM_RULE.EventOutbox).toBe("keep-history");
          expect(after.publications.map((p) => p.securityEventId)).toEqual(
            after.events.map((e) => e.id).sort(),
          );
        },
        VerificationToken: () => {
          expect(CLAIM_RULE.VerificationToken).toBe("delete-by-email");
          expect(before.verificationTokens).toHaveLength(1);
          expect(after.verificationTokens).toEqual([]);
        },
        EmailToken: () => {
          expect(CLAIM_RULE.EmailToken).toBe("delete");
          expect(before.emailTokens.map((t) => [t.kind, t.usedAt !== null]).sort()).toEqual([
            ["CHANGE_EMAIL", false],
            ["RESET_PASSWORD", false],
            ["VERIFY_EMAIL", false],
            ["VERIFY_EMAIL", true],
          ]);
          expect(after.emailTokens).toEqual([]);
          // The bystander's pending links still exist (the snapshot check below) and work.
          expect(bystanderBefore.emailTokens).toHaveLength(4);
        },
        TotpCredential: () => {
          expect(CLAIM_RULE.TotpCredential).toBe("delete");
          expect(before.totp?.confirmedAt).toEqual(T0);
          expect(after.totp).toBeNull();
          expect(bystanderBefore.totp?.confirmedAt).toEqual(T0);
        },
        RecoveryCode: () => {
          expect(CLAIM_RULE.RecoveryCode).toBe("delete");
          expect(before.recoveryCodes.map((c) => c.usedAt !== null).sort()).toEqual([
            ...Array<boolean>(9).fill(false),
            true,
          ]);
          expect(after.recoveryCodes).toEqual([]);
          expect(bystanderBefore.recoveryCodes).toHaveLength(10);
        },
        PendingSignIn: () => {
          expect(CLAIM_RULE.PendingSignIn).toBe("delete");
          expect(before.pendingSignIns).toHaveLength(1);
          expect(after.pendingSignIns).toEqual([]);
          expect(bystanderBefore.pendingSignIns).toHaveLength(1);
        },
        Passkey: () => {
          expect(CLAIM_RULE.Passkey).toBe("delete");
          expect(before.passkeys).toHaveLength(1);
          expect(after.passkeys).toEqual([]);
          expect(bystanderBefore.passkeys).toHaveLength(1);
        },
        WebAuthnChallenge: () => {
          expect(CLAIM_RULE.WebAuthnChallenge).toBe("delete");
          expect(before.webAuthnChallenges.map((c) => c.purpose)).toEqual(["register"]);
          expect(after.webAuthnChallenges).toEqual([]);
          expect(bystanderBefore.webAuthnChallenges).toHaveLength(1);
        },
      };
      for (const check of Object.values(checks)) check();
      expect(queued).toEqual([
        "TELEGRAM_UNLINKED",
        "ACCOUNT_UNLINKED",
        "PASSWORD_REMOVED",
        "PASSKEY_REMOVED",
        "TOTP_DISABLED",
        "SESSION_REVOKED",
        "ACCOUNT_LINKED",
      ]);

      // The previous holder's sessions are signed out on their next request.
      for (const session of sessions) {
        await expect(
          validateSession(prisma(), {
            sessionToken: session.sessionToken,
            touchIntervalSeconds: 60,
            maxAgeSeconds: 86_400,
            now: T,
          }),
        ).resolves.toBeNull();
      }
      await expect(snapshot(bystander.user.id, bystanderEmail)).resolves.toEqual(bystanderBefore);
      // The owner signs in with the identity that proved the address, and nothing else.
      await expect(secondFactorStatus(prisma(), user.id)).resolves.toEqual({
        totp: false,
        recoveryCodesLeft: 0,
      });
      await expect(secondFactorStatus(prisma(), bystander.user.id)).resolves.toEqual({
        totp: true,
        recoveryCodesLeft: 9,
      });

      // The squatter's passkey no longer signs in, with the sign-in ceremony that was under
      // way during the claim.
      await expect(
        finishPasskeySignIn(prisma(), {
          challengeId: signInCeremony.challengeId,
          response: authenticator.authenticate(signInCeremony.options, { origin }),
          rp,
          now: T,
        }),
      ).resolves.toEqual({ status: "unknown-credential" });

      // The squatter's reset link is dead; the bystander's still works.
      await expect(
        consumeEmailToken(prisma(), emailLinks.RESET_PASSWORD, "RESET_PASSWORD", T),
      ).resolves.toEqual({ status: "unknown" });
      await expect(
        consumeEmailToken(prisma(), bystander.emailLinks.RESET_PASSWORD, "RESET_PASSWORD", T),
      ).resolves.toMatchObject({ status: "valid", userId: bystander.user.id });
    });

    it("the identity removed by the claim no longer reaches the account: it starts a new one", async () => {
      const email = `${unique("victim")}@example.com`;
      const { user } = await fullySetUp(email);
      const stack = await prisma().account.findFirstOrThrow({
        where: { userId: user.id, provider: "stackoverflow" },
      });
      const deps = { prisma: prisma(), now: () => T, logger: memoryLogger() };
      await resolveOAuthSignIn(deps, {
        identity: {
          provider: "google",
          providerAccountId: unique("sub"),
          type: "oidc",
          email,
          emailVerified: true,
          name: "Vera Owner",
          image: null,
          label: email,
          tokens: {},
        },
        currentUser: null,
        context,
      });
      const again = await resolveOAuthSignIn(deps, {
        identity: {
          provider: "stackoverflow",
          providerAccountId: stack.providerAccountId,
          type: "oauth",
          email: null,
          emailVerified: false,
          name: "Squatter",
          image: null,
          label: "squatter",
          tokens: {},
        },
        currentUser: null,
        context,
      });
      expect(again).toMatchObject({ outcome: "sign-in", created: true });
      expect(again.outcome === "sign-in" && again.userId).not.toBe(user.id);
    });
  });
});
