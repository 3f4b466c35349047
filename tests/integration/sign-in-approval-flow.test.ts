// A sign-in held for the Telegram chat's approval, through the real Auth.js and our
// configuration (tests/support/auth-harness.ts), on both database backends: which browsers
// are held (new to the account, approval on, a bot configured), what the browser and the
// database see while it waits (a pending-sign-in cookie, no Session row, the chat's question
// in the outbox), and how it ends — approved (the session is made then, and the browser is
// known from now on), denied, expired and turned into the authenticator app's code step,
// spent once. The chat's buttons themselves are pressed through the webhook in
// sign-in-approval.test.ts and in Chromium in e2e/sign-in-approval.test.ts.
import { randomBytes } from "node:crypto";

import { Secret, TOTP } from "otpauth";
import { describe, expect, inject, it } from "vitest";

import { holdForApproval, SIGN_IN_APPROVAL_PATH } from "@/lib/auth/approval-gate";
import { userDeviceKey } from "@/lib/auth/device-memory";
import { hashPassword } from "@/lib/auth/password";
import {
  confirmTotpEnrolment,
  createSecondFactorKeys,
  startTotpEnrolment,
} from "@/lib/auth/second-factor";
import { pendingSignInCookieName, SECOND_FACTOR_PATH } from "@/lib/auth/second-factor-gate";
import { revokeAllSessions } from "@/lib/auth/sessions";
import {
  answerApproval,
  setSignInApproval,
  SIGN_IN_APPROVAL_KIND,
  switchApprovalToCode,
} from "@/lib/auth/sign-in-approval";
import { createApprovalStatusHandler } from "@/lib/auth/sign-in-approval-status";
import { parseSettings, type Settings } from "@/lib/env";
import { createDeviceCookies } from "@/lib/security/device-cookie";
import { authHarness, testBrowser, type TestBrowser } from "@/tests/support/auth-harness";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { testPasswordGuard } from "@/tests/support/password-guard";

const serverUrl = inject("databaseUrl");
const PASSWORD = "correct horse battery staple";
const APP_URL = "http://localhost:3000";
const BOT = {
  TELEGRAM_BOT_TOKEN: `123456:${"A".repeat(35)}`,
  TELEGRAM_BOT_USERNAME: "gatehouse_bot",
  TELEGRAM_WEBHOOK_SECRET: "s".repeat(32),
};
const withBot = parseSettings(
  { APP_URL, AUTH_SECRET: "s".repeat(43), ...BOT },
  { devSecret: () => "d".repeat(43) },
);
const withoutBot = parseSettings(
  { APP_URL, AUTH_SECRET: "s".repeat(43) },
  { devSecret: () => "d".repeat(43) },
);
const keys = createSecondFactorKeys(withBot.auth.secret);
const SESSION_COOKIE = "authjs.session-token";
const PENDING_COOKIE = pendingSignInCookieName(false);
const APPROVAL_TTL = withBot.auth.signInApprovalTtlSeconds;
const CODE_TTL = withBot.auth.pendingSignInTtlSeconds;
const USER_DEVICE_COOKIE = (userId: string) =>
  createDeviceCookies({ secret: withBot.auth.secret, maxAgeSeconds: 60, secure: false }).nameFor(
    userDeviceKey(userId),
  );
const T = new Date("2026-06-01T10:00:00.000Z");
const context = { ip: "203.0.113.5", userAgent: "Chrome/126", requestId: "req-approval-flow" };
let chatSeq = 7_700_000;

const appCode = (secret: string, moment: Date) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: moment.getTime() });

describe.each(databaseBackends(serverUrl, { poolMax: 12 }))(
  "a sign-in held for approval in Telegram on $name",
  (backend) => {
    describe.runIf(backend.available)("through Auth.js", () => {
      const db = migratedDatabase(backend);
      const prisma = () => db().prisma;
      let clock = T;
      let deliveries = 0;

      function authFor(client: TestBrowser, settings: Settings = withBot) {
        return authHarness<{ code?: string; status?: string }>(APP_URL, client, {
          services: {
            settings,
            database: db(),
            logger: memoryLogger("error"),
            passwordGuard: testPasswordGuard(settings).guard,
            limiter: testPasswordGuard(settings).limiter,
            secondFactorKeys: keys,
            telegram: null,
            notifications: { deliverSoon: () => (deliveries += 1) },
          },
          requestContext: () => Promise.resolve(context),
          currentSession: () => Promise.resolve(null),
          now: () => clock,
        });
      }

      /** A password account whose alerts go to a Telegram chat, approval on unless told. */
      async function approvingUser({ approve = true, totp = false } = {}) {
        const email = `${randomBytes(5).toString("hex")}@example.com`;
        const user = await prisma().user.create({ data: { email } });
        await prisma().passwordCredential.create({
          data: { userId: user.id, hash: await hashPassword(PASSWORD) },
        });
        chatSeq += 1;
        await prisma().telegramLink.create({
          data: {
            userId: user.id,
            chatId: BigInt(chatSeq),
            telegramUserId: BigInt(chatSeq),
            approveSignIns: approve,
          },
        });
        let secret: string | null = null;
        if (totp) {
          const before = new Date(+T - 60_000);
          const started = await startTotpEnrolment(prisma(), {
            userId: user.id,
            now: before,
            keys,
            issuer: "Gatehouse",
            accountLabel: email,
          });
          if (started.status !== "started") throw new Error(started.status);
          const confirmed = await confirmTotpEnrolment(prisma(), {
            userId: user.id,
            code: appCode(started.secret, before),
            now: before,
            keys,
          });
          if (confirmed.status !== "enabled") throw new Error(confirmed.status);
          secret = started.secret;
        }
        return { user, email, chatId: chatSeq, secret };
      }

      /** A password sign-in from a new browser, held for the chat. */
      async function heldSignIn(options?: Parameters<typeof approvingUser>[0]) {
        clock = T;
        deliveries = 0;
        const account = await approvingUser(options);
        const client = testBrowser();
        const auth = authFor(client);
        const first = await auth.signIn("password", { email: account.email, password: PASSWORD });
        expect(first.error).toBeNull();
        expect(first.redirect).toBe(`${APP_URL}${SIGN_IN_APPROVAL_PATH}`);
        const approvalId = (
          await prisma().pendingSignIn.findFirstOrThrow({ where: { userId: account.user.id } })
        ).approvalId;
        if (!approvalId) throw new Error("no approval id");
        return { ...account, client, auth, approvalId };
      }

      const answer = (approvalId: string, chatId: number, yes: boolean) =>
        answerApproval(prisma(), {
          approvalId,
          chatId,
          answer: yes ? "approve" : "deny",
          now: clock,
        });
      const sessionsOf = (userId: string) => prisma().session.findMany({ where: { userId } });

      it("holds a right password from a new browser: a cookie, no session, the chat asked", async () => {
        const { user, client } = await heldSignIn();
        expect(client.jar.has(SESSION_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toEqual([]);
        // The cookie outlives the chat's time, so an unanswered request can turn to a code.
        expect(client.jar.get(PENDING_COOKIE)?.options).toMatchObject({
          httpOnly: true,
          sameSite: "lax",
          path: "/",
          maxAge: APPROVAL_TTL + CODE_TTL,
        });
        expect(
          await prisma().pendingSignIn.findMany({
            where: { userId: user.id },
            select: { approval: true, method: true, ip: true, expiresAt: true },
          }),
        ).toEqual([
          {
            approval: "WAITING",
            method: "password",
            ip: context.ip,
            expiresAt: new Date(+T + APPROVAL_TTL * 1000),
          },
        ]);
        expect(
          await prisma().notificationOutbox.count({
            where: { userId: user.id, kind: SIGN_IN_APPROVAL_KIND },
          }),
        ).toBe(1);
        expect(deliveries).toBeGreaterThanOrEqual(1);
      });

      it("approved: the session is made then, once; the browser is known from now on", async () => {
        const { user, email, chatId, client, auth, approvalId } = await heldSignIn();
        // Before the chat answers, nothing can be finished.
        const early = await auth.signIn("sign-in-approval", {});
        expect(early.error?.code).toBe("waiting");
        expect(client.jar.has(SESSION_COOKIE)).toBe(false);

        clock = new Date(+T + 10_000);
        expect(await answer(approvalId, chatId, true)).toBe("approved");
        const done = await auth.signIn("sign-in-approval", {});
        expect(done.error).toBeNull();
        expect(done.redirect).toBe(`${APP_URL}/account`);
        expect(client.jar.has(SESSION_COOKIE)).toBe(true);
        expect(client.jar.has(PENDING_COOKIE)).toBe(false);
        expect(client.jar.has(USER_DEVICE_COOKIE(user.id))).toBe(true);
        expect(await sessionsOf(user.id)).toMatchObject([{ method: "password" }]);

        // Spent: the same request cannot make a second session.
        const again = await auth.signIn("sign-in-approval", {});
        expect(again.error?.code).toBe("gone");
        expect(await sessionsOf(user.id)).toHaveLength(1);

        // The same browser next time goes straight in; the chat is not asked again.
        const next = await auth.signIn("password", { email, password: PASSWORD });
        expect(next.redirect).toBe(`${APP_URL}/account`);
        expect(await sessionsOf(user.id)).toHaveLength(2);
        expect(
          await prisma().notificationOutbox.count({
            where: { userId: user.id, kind: SIGN_IN_APPROVAL_KIND },
          }),
        ).toBe(1);
      });

      it("a browser that signed in before approval was turned on is new once more", async () => {
        clock = T;
        const { user, email } = await approvingUser({ approve: false });
        const client = testBrowser();
        const auth = authFor(client);
        expect((await auth.signIn("password", { email, password: PASSWORD })).redirect).toBe(
          `${APP_URL}/account`,
        );
        expect(client.jar.has(USER_DEVICE_COOKIE(user.id))).toBe(true);

        clock = new Date(+T + 60_000);
        await setSignInApproval(prisma(), { userId: user.id, on: true, now: clock });
        clock = new Date(+T + 120_000);
        expect((await auth.signIn("password", { email, password: PASSWORD })).redirect).toBe(
          `${APP_URL}${SIGN_IN_APPROVAL_PATH}`,
        );
      });

      it("after sessions are revoked, every browser is new again, the known one too", async () => {
        const { user, email, chatId, auth, approvalId } = await heldSignIn();
        await answer(approvalId, chatId, true);
        expect((await auth.signIn("sign-in-approval", {})).error).toBeNull();
        // "Not me" (or "Sign out everywhere") a minute later.
        clock = new Date(+clock + 60_000);
        await revokeAllSessions(prisma(), { userId: user.id, now: clock });
        clock = new Date(+clock + 60_000);
        expect((await auth.signIn("password", { email, password: PASSWORD })).redirect).toBe(
          `${APP_URL}${SIGN_IN_APPROVAL_PATH}`,
        );
      });

      it("another browser cannot finish an approved sign-in: the cookie is the credential", async () => {
        const { user, chatId, approvalId } = await heldSignIn();
        expect(await answer(approvalId, chatId, true)).toBe("approved");
        const stranger = testBrowser();
        const result = await authFor(stranger).signIn("sign-in-approval", {});
        expect(result.error?.code).toBe("gone");
        expect(stranger.jar.has(SESSION_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toEqual([]);
      });

      it("denied: refused, the cookie dropped, a SIGN_IN_DENIED event; never a session", async () => {
        const { user, chatId, client, auth, approvalId } = await heldSignIn();
        expect(await answer(approvalId, chatId, false)).toBe("denied");
        const result = await auth.signIn("sign-in-approval", {});
        expect(result.error?.code).toBe("denied");
        expect(client.jar.has(PENDING_COOKIE)).toBe(false);
        expect(client.jar.has(SESSION_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toEqual([]);
        const events = await prisma().securityEvent.findMany({ where: { userId: user.id } });
        expect(events.map((event) => [event.type, event.ip])).toEqual([
          ["SIGN_IN_DENIED", context.ip],
        ]);
      });

      it("expired unanswered: not finished; with an authenticator app its code finishes instead", async () => {
        const { user, chatId, client, auth, approvalId, secret } = await heldSignIn({
          totp: true,
        });
        clock = new Date(+T + APPROVAL_TTL * 1000 + 1_000);
        expect((await auth.signIn("sign-in-approval", {})).error?.code).toBe("expired");
        expect(await answer(approvalId, chatId, true)).toBe("expired");

        const token = client.jar.get(PENDING_COOKIE)?.value;
        expect(
          await switchApprovalToCode(prisma(), { token, now: clock, codeTtlSeconds: CODE_TTL }),
        ).toBe("switched");
        // The chat's buttons no longer find it.
        expect(await answer(approvalId, chatId, true)).toBe("unknown");
        const second = await auth.signIn("second-factor", {
          kind: "totp",
          code: appCode(secret ?? "", clock),
        });
        expect(second.error).toBeNull();
        expect(second.redirect).toBe(`${APP_URL}/account`);
        expect(await sessionsOf(user.id)).toMatchObject([{ method: "password" }]);
      });

      it("only an unanswered request of an account with an app turns into a code step", async () => {
        const noApp = await heldSignIn();
        const token = (client: TestBrowser) => client.jar.get(PENDING_COOKIE)?.value;
        expect(
          await switchApprovalToCode(prisma(), {
            token: token(noApp.client),
            now: clock,
            codeTtlSeconds: CODE_TTL,
          }),
        ).toBe("unavailable");

        const denied = await heldSignIn({ totp: true });
        await answer(denied.approvalId, denied.chatId, false);
        expect(
          await switchApprovalToCode(prisma(), {
            token: token(denied.client),
            now: clock,
            codeTtlSeconds: CODE_TTL,
          }),
        ).toBe("unavailable");

        const approved = await heldSignIn({ totp: true });
        await answer(approved.approvalId, approved.chatId, true);
        expect(
          await switchApprovalToCode(prisma(), {
            token: token(approved.client),
            now: clock,
            codeTtlSeconds: CODE_TTL,
          }),
        ).toBe("unavailable");

        const stale = await heldSignIn({ totp: true });
        expect(
          await switchApprovalToCode(prisma(), {
            token: token(stale.client),
            now: new Date(+T + (APPROVAL_TTL + CODE_TTL) * 1000),
            codeTtlSeconds: CODE_TTL,
          }),
        ).toBe("unavailable");

        // While it waits, the app may stand in at once (a phone without Telegram at hand).
        const waiting = await heldSignIn({ totp: true });
        expect(
          await switchApprovalToCode(prisma(), {
            token: token(waiting.client),
            now: clock,
            codeTtlSeconds: CODE_TTL,
          }),
        ).toBe("switched");
        expect(
          await switchApprovalToCode(prisma(), {
            token: "x",
            now: clock,
            codeTtlSeconds: CODE_TTL,
          }),
        ).toBe("unavailable");
      });

      it("a known browser with an authenticator app is asked for its code, not the chat", async () => {
        const { user, email, chatId, auth, approvalId, secret } = await heldSignIn({
          totp: true,
        });
        await answer(approvalId, chatId, true);
        expect((await auth.signIn("sign-in-approval", {})).error).toBeNull();
        const next = await auth.signIn("password", { email, password: PASSWORD });
        expect(next.redirect).toBe(`${APP_URL}${SECOND_FACTOR_PATH}`);
        clock = new Date(+clock + 30_000);
        const code = await auth.signIn("second-factor", {
          kind: "totp",
          code: appCode(secret ?? "", clock),
        });
        expect(code.error).toBeNull();
        expect(await sessionsOf(user.id)).toHaveLength(2);
      });

      it("not held: approval off, or no bot configured to ask", async () => {
        clock = T;
        const off = await approvingUser({ approve: false });
        const a = await authFor(testBrowser()).signIn("password", {
          email: off.email,
          password: PASSWORD,
        });
        expect(a.redirect).toBe(`${APP_URL}/account`);

        const on = await approvingUser();
        const b = await authFor(testBrowser(), withoutBot).signIn("password", {
          email: on.email,
          password: PASSWORD,
        });
        expect(b.redirect).toBe(`${APP_URL}/account`);
        expect(await prisma().pendingSignIn.count({ where: { userId: on.user.id } })).toBe(0);
      });

      it("a Telegram sign-in by the chat's own Telegram account is not asked again", async () => {
        const { user, chatId } = await approvingUser();
        const client = testBrowser();
        const deps = {
          enabled: true,
          prisma: prisma(),
          now: () => clock,
          cookies: () => Promise.resolve(client.cookies),
          secureCookies: false,
          ttlSeconds: APPROVAL_TTL,
          codeTtlSeconds: CODE_TTL,
          knownBrowser: () => Promise.resolve(false),
          deliverSoon: () => undefined,
        };
        const input = { userId: user.id, method: "telegram", returnTo: "/account", context };
        expect(await holdForApproval(deps, { ...input, telegramUserId: String(chatId) })).toBe(
          null,
        );
        // Another Telegram account linked as a sign-in method is asked like any other.
        expect(await holdForApproval(deps, { ...input, telegramUserId: "42" })).toBe(
          SIGN_IN_APPROVAL_PATH,
        );
      });

      it("the status route says where this browser's request stands, never cached", async () => {
        const { chatId, client, approvalId } = await heldSignIn();
        const handler = createApprovalStatusHandler({
          services: () => ({ database: db() }),
          token: () => Promise.resolve(client.jar.get(PENDING_COOKIE)?.value ?? null),
          now: () => clock,
        });
        const ask = async () => {
          const response = await handler(new Request(`${APP_URL}/api/sign-in/approval`), {
            requestId: "r",
            logger: memoryLogger(),
          });
          expect(response.headers.get("cache-control")).toBe("no-store");
          return (await response.json()) as unknown;
        };
        expect(await ask()).toEqual({
          status: "waiting",
          expiresAt: new Date(+T + APPROVAL_TTL * 1000).toISOString(),
        });
        await answer(approvalId, chatId, true);
        expect(await ask()).toEqual({ status: "approved", expiresAt: null });

        const none = createApprovalStatusHandler({
          services: () => ({ database: db() }),
          token: () => Promise.resolve(null),
        });
        const response = await none(new Request(`${APP_URL}/api/sign-in/approval`), {
          requestId: "r",
          logger: memoryLogger(),
        });
        expect(await response.json()).toEqual({ status: "gone", expiresAt: null });
      });
    });
  },
);
