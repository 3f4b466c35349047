// A sign-in with a second factor, through the real Auth.js (@auth/core's Auth(), called the
// way next-auth's signIn() calls it from a server action: raw mode, no CSRF round trip) and
// our real configuration (lib/auth/config.ts), on both database backends. What is checked is
// what the browser and the database see: which cookies are set, which rows exist. No Session
// row and no session cookie exist until the second factor passes; the pending sign-in is
// bound to its cookie, short-lived, single-use, and ends after five wrong codes.
import { randomBytes } from "node:crypto";

import { Secret, TOTP } from "otpauth";
import { describe, expect, inject, it } from "vitest";

import type { CurrentSession } from "@/lib/auth/config";
import { hashPassword } from "@/lib/auth/password";
import { findPendingSignIn, hashPendingSignInToken } from "@/lib/auth/pending-sign-in";
import {
  confirmTotpEnrolment,
  createSecondFactorKeys,
  disableTotp,
  startTotpEnrolment,
} from "@/lib/auth/second-factor";
import { pendingSignInCookieName, SECOND_FACTOR_PATH } from "@/lib/auth/second-factor-gate";
import { revokeAllSessions } from "@/lib/auth/sessions";
import { parseSettings, type RateLimitRule } from "@/lib/env";
import type { RateLimiter } from "@/lib/rate-limit/limiter";
import { authHarness, testBrowser, type TestBrowser } from "@/tests/support/auth-harness";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { testPasswordGuard } from "@/tests/support/password-guard";

const serverUrl = inject("databaseUrl");
const PASSWORD = "correct horse battery staple";
const APP_URL = "http://localhost:3000";
const settings = parseSettings(
  { APP_URL, AUTH_SECRET: "s".repeat(43) },
  { devSecret: () => "d".repeat(43) },
);
const keys = createSecondFactorKeys(settings.auth.secret);
const SESSION_COOKIE = "authjs.session-token";
const PENDING_COOKIE = pendingSignInCookieName(false);
// A step boundary: codes are computed for moments the test chooses, no test waits.
const T = new Date("2026-06-01T10:00:00.000Z");
const context = { ip: "203.0.113.7", userAgent: "Firefox/140", requestId: "req-2fa-sign-in" };

function appCode(secret: string, moment: Date): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: moment.getTime() });
}

/** Six digits that are no code of `secret` within a minute of `moment`. */
function wrongCode(secret: string, moment: Date): string {
  const near = new Set([-30_000, 0, 30_000].map((ms) => appCode(secret, new Date(+moment + ms))));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, "0");
    if (!near.has(candidate)) return candidate;
  }
}

const browser = testBrowser;

describe.each(databaseBackends(serverUrl, { poolMax: 12 }))(
  "a sign-in with a second factor on $name",
  (backend) => {
    describe.runIf(backend.available)("through Auth.js", () => {
      const db = migratedDatabase(backend);
      const prisma = () => db().prisma;
      let clock = T;

      /** Auth.js with our configuration, for one browser, limits as given. */
      function authFor(
        client: TestBrowser,
        limits: {
          secondFactorAccount?: RateLimitRule;
          limiter?: Pick<RateLimiter, "limit">;
          /** The browser's valid session, for "Confirm it's you". */
          currentSession?: () => Promise<CurrentSession | null>;
        } = {},
      ) {
        const guard = testPasswordGuard(settings);
        const rateLimits = {
          ...settings.rateLimits,
          ...(limits.secondFactorAccount
            ? { secondFactorAccount: limits.secondFactorAccount }
            : {}),
        };
        const limiter = limits.limiter ?? testPasswordGuard({ ...settings, rateLimits }).limiter;
        return authHarness<{ code?: string; refusal?: unknown }>(APP_URL, client, {
          services: {
            settings,
            database: db(),
            logger: memoryLogger("error"),
            passwordGuard: guard.guard,
            limiter,
            secondFactorKeys: keys,
            // No bot: a Telegram sign-in connects no alerts here.
            telegram: null,
            notifications: { deliverSoon: () => undefined },
          },
          requestContext: () => Promise.resolve(context),
          currentSession: limits.currentSession ?? (() => Promise.resolve(null)),
          now: () => clock,
        });
      }

      async function passwordUser() {
        const email = `${randomBytes(5).toString("hex")}@example.com`;
        const user = await prisma().user.create({ data: { email } });
        await prisma().passwordCredential.create({
          data: { userId: user.id, hash: await hashPassword(PASSWORD) },
        });
        return { user, email };
      }

      async function enrolledUser() {
        const { user, email } = await passwordUser();
        const started = await startTotpEnrolment(prisma(), {
          userId: user.id,
          now: new Date(+T - 60_000),
          keys,
          issuer: "Gatehouse",
          accountLabel: email,
        });
        if (started.status !== "started") throw new Error(started.status);
        const confirmed = await confirmTotpEnrolment(prisma(), {
          userId: user.id,
          code: appCode(started.secret, new Date(+T - 60_000)),
          now: new Date(+T - 60_000),
          keys,
        });
        if (confirmed.status !== "enabled") throw new Error(confirmed.status);
        return { user, email, secret: started.secret, recoveryCodes: confirmed.recoveryCodes };
      }

      /** A password sign-in held for its second factor: the browser and its Auth.js. */
      async function heldSignIn(limits?: Parameters<typeof authFor>[1]) {
        clock = T;
        const account = await enrolledUser();
        const client = browser();
        const auth = authFor(client, limits);
        const first = await auth.signIn("password", {
          email: account.email,
          password: PASSWORD,
        });
        expect(first.error).toBeNull();
        expect(first.redirect).toBe(`${APP_URL}${SECOND_FACTOR_PATH}`);
        return { ...account, client, auth };
      }

      const sessionsOf = (userId: string) => prisma().session.findMany({ where: { userId } });
      const eventsOf = async (userId: string) =>
        (
          await prisma().securityEvent.findMany({
            where: { userId },
            orderBy: { createdAt: "asc" },
          })
        ).map((event) => [event.type, event.method, event.detail]);

      it("without a second factor, the password alone signs in (session cookie, Session row)", async () => {
        clock = T;
        const { user, email } = await passwordUser();
        const client = browser();
        const result = await authFor(client).signIn("password", { email, password: PASSWORD });
        expect(result.redirect).toBe(`${APP_URL}/account`);
        expect(client.jar.has(SESSION_COOKIE)).toBe(true);
        expect(client.jar.has(PENDING_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toHaveLength(1);
      });

      it("holds a right password: no session cookie, no Session row, a pending sign-in bound to a cookie", async () => {
        const { user, client } = await heldSignIn();
        expect(client.jar.has(SESSION_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toEqual([]);
        expect((await eventsOf(user.id)).map(([type]) => type)).not.toContain("SIGN_IN");

        const cookie = client.jar.get(PENDING_COOKIE);
        expect(cookie?.options).toMatchObject({
          httpOnly: true,
          sameSite: "lax",
          path: "/",
          maxAge: settings.auth.pendingSignInTtlSeconds,
        });
        const rows = await prisma().pendingSignIn.findMany({ where: { userId: user.id } });
        // Only the token's hash is stored; the row says where the sign-in was headed.
        expect(rows).toMatchObject([
          {
            tokenHash: hashPendingSignInToken(cookie?.value ?? ""),
            method: "password",
            returnTo: "/account",
            ip: context.ip,
            failedAttempts: 0,
          },
        ]);
        expect(JSON.stringify(rows)).not.toContain(cookie?.value);
      });

      it("a wrong password is refused as before, and holds nothing", async () => {
        clock = T;
        const { user, email } = await enrolledUser();
        const client = browser();
        const result = await authFor(client).signIn("password", { email, password: "wrong" });
        expect(result.error?.name).toBe("CredentialsSignin");
        expect(client.jar.size).toBe(0);
        expect(await prisma().pendingSignIn.count({ where: { userId: user.id } })).toBe(0);
      });

      it("the right code signs in: the session records the password, the pending sign-in is spent", async () => {
        const { user, secret, client, auth } = await heldSignIn();
        clock = new Date(+T + 5_000);
        const second = await auth.signIn("second-factor", {
          kind: "totp",
          code: appCode(secret, clock),
        });
        expect(second.error).toBeNull();
        expect(second.redirect).toBe(`${APP_URL}/account`);
        expect(client.jar.has(SESSION_COOKIE)).toBe(true);
        expect(client.jar.has(PENDING_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toMatchObject([
          { method: "password", ip: context.ip, revokedAt: null },
        ]);
        expect(await prisma().pendingSignIn.count({ where: { userId: user.id } })).toBe(0);
        expect((await eventsOf(user.id)).at(-1)).toEqual(["SIGN_IN", "password", null]);
      });

      it("a code is accepted once: the same code on the next sign-in is refused as used", async () => {
        const { user, email, secret, auth } = await heldSignIn();
        const code = appCode(secret, T);
        expect((await auth.signIn("second-factor", { kind: "totp", code })).error).toBeNull();

        const client = browser();
        const again = authFor(client);
        await again.signIn("password", { email, password: PASSWORD });
        const replay = await again.signIn("second-factor", { kind: "totp", code });
        expect(replay.error?.code).toBe("wrong-code");
        expect(replay.error?.refusal).toEqual({
          status: "wrong-code",
          attemptsLeft: 4,
          reused: true,
        });
        expect(client.jar.has(SESSION_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toHaveLength(1);
      });

      it("five wrong codes end the pending sign-in; the right code after that opens nothing", async () => {
        const { user, secret, client, auth } = await heldSignIn();
        const wrong = wrongCode(secret, T);
        const answers = [];
        for (let i = 0; i < 5; i++) {
          answers.push((await auth.signIn("second-factor", { kind: "totp", code: wrong })).error);
        }
        expect(answers.map((error) => error?.refusal)).toEqual([
          { status: "wrong-code", attemptsLeft: 4, reused: false },
          { status: "wrong-code", attemptsLeft: 3, reused: false },
          { status: "wrong-code", attemptsLeft: 2, reused: false },
          { status: "wrong-code", attemptsLeft: 1, reused: false },
          { status: "ended" },
        ]);
        expect(client.jar.has(PENDING_COOKIE)).toBe(false);
        expect(await prisma().pendingSignIn.count({ where: { userId: user.id } })).toBe(0);

        const late = await auth.signIn("second-factor", {
          kind: "totp",
          code: appCode(secret, T),
        });
        expect(late.error?.refusal).toEqual({ status: "expired" });
        expect(client.jar.has(SESSION_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toEqual([]);
        // Each wrong code is in the owner's log (and alerts them: whoever typed it had the
        // password); the fifth says the sign-in was ended.
        const failures = (await eventsOf(user.id)).filter(([t]) => t === "SECOND_FACTOR_FAILED");
        expect(failures).toHaveLength(5);
        expect(failures.at(-1)).toEqual([
          "SECOND_FACTOR_FAILED",
          "password",
          "authenticator code wrong; the sign-in was ended",
        ]);
      });

      it("a recovery code passes once, and records how many are left", async () => {
        const { user, recoveryCodes, client, auth } = await heldSignIn();
        const used = await auth.signIn("second-factor", {
          kind: "recovery",
          code: (recoveryCodes[3] ?? "").toUpperCase(),
        });
        expect(used.error).toBeNull();
        expect(client.jar.has(SESSION_COOKIE)).toBe(true);
        expect(await eventsOf(user.id)).toContainEqual([
          "RECOVERY_CODE_USED",
          null,
          "9 codes left",
        ]);
        expect(
          await prisma().recoveryCode.count({ where: { userId: user.id, usedAt: null } }),
        ).toBe(9);
      });

      it("a used recovery code is refused on the next sign-in", async () => {
        const { email, recoveryCodes, auth } = await heldSignIn();
        await auth.signIn("second-factor", { kind: "recovery", code: recoveryCodes[0] ?? "" });
        const again = authFor(browser());
        await again.signIn("password", { email, password: PASSWORD });
        const reused = await again.signIn("second-factor", {
          kind: "recovery",
          code: recoveryCodes[0] ?? "",
        });
        expect(reused.error?.refusal).toEqual({
          status: "wrong-code",
          attemptsLeft: 4,
          reused: true,
        });
      });

      it("another browser, a forged cookie or no cookie cannot finish it", async () => {
        const { user, secret, client } = await heldSignIn();
        const stranger = browser();
        const noCookie = await authFor(stranger).signIn("second-factor", {
          kind: "totp",
          code: appCode(secret, T),
        });
        expect(noCookie.error?.refusal).toEqual({ status: "expired" });

        stranger.cookies.set(PENDING_COOKIE, randomBytes(32).toString("base64url"), {
          httpOnly: true,
          secure: false,
          sameSite: "lax",
          path: "/",
          maxAge: 300,
        });
        const forged = await authFor(stranger).signIn("second-factor", {
          kind: "totp",
          code: appCode(secret, T),
        });
        expect(forged.error?.refusal).toEqual({ status: "expired" });
        expect(stranger.jar.has(SESSION_COOKIE)).toBe(false);
        // The real browser's pending sign-in is untouched.
        expect(
          await findPendingSignIn(prisma(), client.jar.get(PENDING_COOKIE)?.value, T),
        ).toMatchObject({ userId: user.id, attemptsLeft: 5 });
      });

      it("expires after PENDING_SIGN_IN_TTL_SECONDS", async () => {
        const { user, secret, auth } = await heldSignIn();
        clock = new Date(+T + settings.auth.pendingSignInTtlSeconds * 1_000);
        const late = await auth.signIn("second-factor", {
          kind: "totp",
          code: appCode(secret, clock),
        });
        expect(late.error?.refusal).toEqual({ status: "expired" });
        expect(await sessionsOf(user.id)).toEqual([]);
      });

      it("ten right answers at once sign in exactly once", async () => {
        const { user, secret, recoveryCodes, auth } = await heldSignIn();
        const attempts = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            auth.signIn(
              "second-factor",
              // A mix: one TOTP code sent five times, five different recovery codes.
              i % 2 === 0
                ? { kind: "totp", code: appCode(secret, T) }
                : { kind: "recovery", code: recoveryCodes[i] ?? "" },
            ),
          ),
        );
        expect(attempts.filter((a) => a.error === null)).toHaveLength(1);
        expect(await sessionsOf(user.id)).toHaveLength(1);
        expect((await eventsOf(user.id)).filter(([t]) => t === "SIGN_IN")).toHaveLength(1);
      });

      it("the code budget per account refuses before a code is checked (and counts nothing)", async () => {
        const { user, secret, auth } = await heldSignIn({
          secondFactorAccount: { limit: 1, windowMs: 900_000 },
        });
        const wrong = wrongCode(secret, T);
        await auth.signIn("second-factor", { kind: "totp", code: wrong });
        const limited = await auth.signIn("second-factor", {
          kind: "totp",
          code: appCode(secret, T),
        });
        expect(limited.error?.refusal).toMatchObject({ status: "limited", reason: "limited" });
        const [pending] = await prisma().pendingSignIn.findMany({ where: { userId: user.id } });
        expect(pending?.failedAttempts).toBe(1);
        expect(await sessionsOf(user.id)).toEqual([]);
      });

      it("the limiter down refuses (fail closed) and checks no code", async () => {
        const down: Pick<RateLimiter, "limit"> = {
          limit: () =>
            Promise.resolve({
              allowed: false,
              limit: 1,
              remaining: 0,
              resetAt: Date.now() + 5_000,
              retryAfterSeconds: 5,
              failure: "closed",
            }),
        };
        const { user, secret, auth } = await heldSignIn({ limiter: down });
        const refused = await auth.signIn("second-factor", {
          kind: "totp",
          code: appCode(secret, T),
        });
        expect(refused.error?.refusal).toMatchObject({ status: "limited", reason: "unavailable" });
        expect(await sessionsOf(user.id)).toEqual([]);
        const credential = await prisma().totpCredential.findUnique({ where: { userId: user.id } });
        // The code's step was not spent: it still works once the limiter answers.
        expect(credential?.lastUsedStep).toBeLessThan(Math.floor(+T / 30_000));
      });

      it("turning the app off, or signing out everywhere, ends a pending sign-in", async () => {
        const off = await heldSignIn();
        await disableTotp(prisma(), { userId: off.user.id, now: T });
        const afterOff = await off.auth.signIn("second-factor", {
          kind: "totp",
          code: appCode(off.secret, T),
        });
        expect(afterOff.error?.refusal).toEqual({ status: "expired" });

        const everywhere = await heldSignIn();
        await revokeAllSessions(prisma(), { userId: everywhere.user.id, now: T });
        expect(await prisma().pendingSignIn.count({ where: { userId: everywhere.user.id } })).toBe(
          0,
        );
        const afterRevoke = await everywhere.auth.signIn("second-factor", {
          kind: "totp",
          code: appCode(everywhere.secret, T),
        });
        expect(afterRevoke.error?.refusal).toEqual({ status: "expired" });
      });

      describe("Confirm it's you with a code", () => {
        /** A user signed in with password and code; their live Session row. */
        async function signedIn() {
          const held = await heldSignIn();
          await held.auth.signIn("second-factor", { kind: "totp", code: appCode(held.secret, T) });
          const [session] = await sessionsOf(held.user.id);
          if (!session) throw new Error("not signed in");
          const current: CurrentSession = {
            userId: held.user.id,
            sessionId: session.id,
            authTime: Math.floor(+T / 1000),
          };
          return { ...held, session, current };
        }

        it("a current code gives the browser a fresh sign-in in place of its session", async () => {
          const { user, secret, session, current } = await signedIn();
          clock = new Date(+T + 30_000);
          const client = browser();
          const confirmed = await authFor(client, {
            currentSession: () => Promise.resolve(current),
          }).signIn("confirm-identity", { kind: "totp", code: appCode(secret, clock) });
          expect(confirmed.error).toBeNull();
          expect(confirmed.redirect).toBe(`${APP_URL}/account`);
          expect(client.jar.has(SESSION_COOKIE)).toBe(true);
          const sessions = await sessionsOf(user.id);
          // The old row is gone (this browser's cookie was replaced); the new one keeps the
          // method the browser signed in with.
          expect(sessions.map((row) => row.id)).not.toContain(session.id);
          expect(sessions).toMatchObject([{ method: "password", revokedAt: null }]);
        });

        it("a wrong or spent code is refused and recorded; nothing changes", async () => {
          const { user, secret, session, current } = await signedIn();
          const auth = authFor(browser(), { currentSession: () => Promise.resolve(current) });
          const spent = await auth.signIn("confirm-identity", {
            kind: "totp",
            code: appCode(secret, T),
          });
          expect(spent.error?.refusal).toEqual({ status: "wrong-code", reused: true });
          const wrong = await auth.signIn("confirm-identity", {
            kind: "totp",
            code: wrongCode(secret, T),
          });
          expect(wrong.error?.refusal).toEqual({ status: "wrong-code", reused: false });
          expect((await sessionsOf(user.id)).map((row) => row.id)).toEqual([session.id]);
          expect(
            (await eventsOf(user.id)).filter(([type]) => type === "SECOND_FACTOR_FAILED"),
          ).toEqual([
            [
              "SECOND_FACTOR_FAILED",
              null,
              "authenticator code already used (confirming it was you)",
            ],
            ["SECOND_FACTOR_FAILED", null, "authenticator code wrong (confirming it was you)"],
          ]);
        });

        it("needs a signed-in browser, and an account with an authenticator app", async () => {
          const { secret } = await signedIn();
          const signedOut = await authFor(browser()).signIn("confirm-identity", {
            kind: "totp",
            code: appCode(secret, new Date(+T + 30_000)),
          });
          expect(signedOut.error?.refusal).toEqual({ status: "signed-out" });

          const { user } = await passwordUser();
          const withoutApp = await authFor(browser(), {
            currentSession: () =>
              Promise.resolve({ userId: user.id, sessionId: "none", authTime: null }),
          }).signIn("confirm-identity", { kind: "totp", code: "123456" });
          expect(withoutApp.error?.refusal).toEqual({ status: "not-enabled" });
        });
      });
    });
  },
);
