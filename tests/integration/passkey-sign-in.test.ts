// Signing in with a passkey through the real Auth.js (@auth/core's Auth(), called the way
// next-auth's signIn() calls it from a server action) and our configuration
// (lib/auth/config.ts), on both database backends, with real WebAuthn answers from the
// software authenticator. What is checked is what the browser and the database see: the
// cookies set, the Session and PendingSignIn rows, the events. A user-verified passkey is
// both factors; one without user verification is held like a password when the account has
// an authenticator app; every refusal creates nothing; "Confirm it's you" with a passkey
// takes only the signed-in user's own.
import { randomBytes } from "node:crypto";

import { Secret, TOTP } from "otpauth";
import { describe, expect, inject, it } from "vitest";

import type { CurrentSession } from "@/lib/auth/config";
import { PASSKEY_RP_NAME, passkeyChallengeCookieName } from "@/lib/auth/passkey-ceremony";
import {
  finishPasskeyRegistration,
  relyingParty,
  startPasskeyRegistration,
  startPasskeySignIn,
} from "@/lib/auth/passkeys";
import {
  confirmTotpEnrolment,
  createSecondFactorKeys,
  startTotpEnrolment,
} from "@/lib/auth/second-factor";
import { pendingSignInCookieName, SECOND_FACTOR_PATH } from "@/lib/auth/second-factor-gate";
import { parseSettings } from "@/lib/env";
import { authHarness, testBrowser, type TestBrowser } from "@/tests/support/auth-harness";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { testPasswordGuard } from "@/tests/support/password-guard";
import {
  createSoftAuthenticator,
  type Ceremony,
  type SoftAuthenticator,
} from "@/tests/support/soft-authenticator";

const serverUrl = inject("databaseUrl");
const APP_URL = "http://localhost:3000";
const settings = parseSettings(
  { APP_URL, AUTH_SECRET: "s".repeat(43) },
  { devSecret: () => "d".repeat(43) },
);
const rp = relyingParty(APP_URL, PASSKEY_RP_NAME);
const keys = createSecondFactorKeys(settings.auth.secret);
const TTL = settings.auth.passkeyChallengeTtlSeconds;
const SESSION_COOKIE = "authjs.session-token";
const PENDING_COOKIE = pendingSignInCookieName(false);
const CHALLENGE_COOKIE = passkeyChallengeCookieName("sign-in", false);
const T = new Date("2026-06-01T10:00:00.000Z");
const context = { ip: "203.0.113.9", userAgent: "Chrome/140", requestId: "req-passkey-sign-in" };

const browser = testBrowser;
type Browser = TestBrowser;

describe.each(databaseBackends(serverUrl, { poolMax: 12 }))(
  "a passkey sign-in on $name",
  (backend) => {
    describe.runIf(backend.available)("through Auth.js", () => {
      const db = migratedDatabase(backend);
      const prisma = () => db().prisma;
      const clock = T;

      function authFor(client: Browser, currentSession?: CurrentSession) {
        return authHarness<{ code?: string; reason?: string }>(APP_URL, client, {
          services: {
            settings,
            database: db(),
            logger: memoryLogger("error"),
            passwordGuard: testPasswordGuard(settings).guard,
            limiter: testPasswordGuard(settings).limiter,
            // No bot: a Telegram sign-in connects no alerts here.
            telegram: null,
            notifications: { deliverSoon: () => undefined },
            secondFactorKeys: keys,
          },
          requestContext: () => Promise.resolve(context),
          currentSession: () => Promise.resolve(currentSession ?? null),
          now: () => clock,
        });
      }

      /** A user with a password-less account, a passkey on `authenticator`, maybe an app. */
      async function passkeyUser(
        authenticator: SoftAuthenticator,
        { totp = false }: { totp?: boolean } = {},
      ) {
        const email = `${randomBytes(5).toString("hex")}@example.com`;
        const user = await prisma().user.create({ data: { email } });
        const started = await startPasskeyRegistration(prisma(), {
          userId: user.id,
          rp,
          now: T,
          ttlSeconds: TTL,
        });
        if (started.status !== "started") throw new Error(started.status);
        const added = await finishPasskeyRegistration(prisma(), {
          userId: user.id,
          challengeId: started.challengeId,
          response: authenticator.register(started.options, { origin: APP_URL }),
          rp,
          now: T,
        });
        if (added.status !== "added") throw new Error(added.status);
        if (totp) {
          const before = new Date(+T - 60_000);
          const enrol = await startTotpEnrolment(prisma(), {
            userId: user.id,
            now: before,
            keys,
            issuer: "Gatehouse",
            accountLabel: email,
          });
          if (enrol.status !== "started") throw new Error(enrol.status);
          const code = TOTP.generate({
            secret: Secret.fromBase32(enrol.secret),
            timestamp: before.getTime(),
          });
          const confirmed = await confirmTotpEnrolment(prisma(), {
            userId: user.id,
            code,
            now: before,
            keys,
          });
          if (confirmed.status !== "enabled") throw new Error(confirmed.status);
        }
        return { user, passkey: added.passkey };
      }

      /** The page's start: a challenge, its id in the browser's cookie; the options. */
      async function start(client: Browser) {
        const { options, challengeId } = await startPasskeySignIn(prisma(), {
          rp,
          now: clock,
          ttlSeconds: TTL,
        });
        client.cookies.set(CHALLENGE_COOKIE, challengeId, {
          httpOnly: true,
          secure: false,
          sameSite: "lax",
          path: "/",
          maxAge: TTL,
        });
        return options;
      }

      /** Start, the authenticator answers, Auth.js decides. */
      async function signInWith(
        client: Browser,
        authenticator: SoftAuthenticator,
        ceremony: Partial<Ceremony> & { counter?: number } = {},
        currentSession?: CurrentSession,
      ) {
        const options = await start(client);
        const response = authenticator.authenticate(options, { origin: APP_URL, ...ceremony });
        return authFor(client, currentSession).signIn("passkey", {
          response: JSON.stringify(response),
        });
      }

      const sessionsOf = (userId: string) => prisma().session.findMany({ where: { userId } });
      const pendingOf = (userId: string) => prisma().pendingSignIn.findMany({ where: { userId } });
      const eventsOf = async (userId: string) =>
        (
          await prisma().securityEvent.findMany({
            where: { userId },
            orderBy: { createdAt: "asc" },
          })
        ).map((event) => [event.type, event.method, event.detail]);

      it("a user-verified passkey signs in on its own, even with an authenticator app", async () => {
        const authenticator = createSoftAuthenticator();
        const { user, passkey } = await passkeyUser(authenticator, { totp: true });
        const client = browser();
        const result = await signInWith(client, authenticator, { userVerified: true });
        expect(result.error).toBeNull();
        expect(result.redirect).toBe(`${APP_URL}/account`);
        expect(client.jar.has(SESSION_COOKIE)).toBe(true);
        // The challenge cookie is spent, and nothing is pending.
        expect(client.jar.has(CHALLENGE_COOKIE)).toBe(false);
        expect(client.jar.has(PENDING_COOKIE)).toBe(false);
        expect(await pendingOf(user.id)).toEqual([]);
        expect(await sessionsOf(user.id)).toMatchObject([{ method: "passkey", revokedAt: null }]);
        expect((await eventsOf(user.id)).at(-1)).toEqual(["SIGN_IN", "passkey", null]);
        const row = await prisma().passkey.findUnique({ where: { id: passkey.id } });
        expect(row?.lastUsedAt).toEqual(T);
      });

      it("without user verification, an account with an app is held for its code", async () => {
        const authenticator = createSoftAuthenticator();
        const { user } = await passkeyUser(authenticator, { totp: true });
        const client = browser();
        const result = await signInWith(client, authenticator, { userVerified: false });
        expect(result.error).toBeNull();
        expect(result.redirect).toBe(`${APP_URL}${SECOND_FACTOR_PATH}`);
        expect(client.jar.has(SESSION_COOKIE)).toBe(false);
        expect(client.jar.has(PENDING_COOKIE)).toBe(true);
        expect(await sessionsOf(user.id)).toEqual([]);
        // Where it was headed comes from the callbackUrl; the first factor is the passkey.
        expect(await pendingOf(user.id)).toMatchObject([
          { method: "passkey", returnTo: "/account" },
        ]);
      });

      it("without user verification and without an app, the passkey signs in", async () => {
        const authenticator = createSoftAuthenticator();
        const { user } = await passkeyUser(authenticator);
        const client = browser();
        const result = await signInWith(client, authenticator, { userVerified: false });
        expect(result.error).toBeNull();
        expect(client.jar.has(SESSION_COOKIE)).toBe(true);
        expect(await sessionsOf(user.id)).toMatchObject([{ method: "passkey" }]);
      });

      it("no challenge cookie, a forged one, or a replay is refused and creates nothing", async () => {
        const authenticator = createSoftAuthenticator();
        const { user } = await passkeyUser(authenticator);

        // No cookie: the options were made, but this browser never held their challenge.
        const stranger = browser();
        const options = await startPasskeySignIn(prisma(), { rp, now: clock, ttlSeconds: TTL });
        const answer = JSON.stringify(
          authenticator.authenticate(options.options, { origin: APP_URL }),
        );
        const absent = await authFor(stranger).signIn("passkey", { response: answer });
        expect(absent.error?.code).toBe("passkey-refused");
        expect(absent.error?.reason).toBe("challenge-unknown");

        // A forged id in the cookie.
        stranger.cookies.set(CHALLENGE_COOKIE, randomBytes(32).toString("base64url"), {
          httpOnly: true,
          secure: false,
          sameSite: "lax",
          path: "/",
          maxAge: TTL,
        });
        const forged = await authFor(stranger).signIn("passkey", { response: answer });
        expect(forged.error?.reason).toBe("challenge-unknown");

        // A right answer, sent twice with the same cookie: the second finds nothing.
        const client = browser();
        const opts = await start(client);
        const cookie = client.jar.get(CHALLENGE_COOKIE)?.value ?? "";
        const good = JSON.stringify(authenticator.authenticate(opts, { origin: APP_URL }));
        expect((await authFor(client).signIn("passkey", { response: good })).error).toBeNull();
        const replayer = browser();
        replayer.cookies.set(CHALLENGE_COOKIE, cookie, {
          httpOnly: true,
          secure: false,
          sameSite: "lax",
          path: "/",
          maxAge: TTL,
        });
        const replay = await authFor(replayer).signIn("passkey", { response: good });
        expect(replay.error?.reason).toBe("challenge-unknown");

        expect(stranger.jar.has(SESSION_COOKIE)).toBe(false);
        expect(replayer.jar.has(SESSION_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toHaveLength(1);
      });

      it("another origin, a malformed or oversized answer is refused", async () => {
        const authenticator = createSoftAuthenticator();
        const { user } = await passkeyUser(authenticator);
        const client = browser();
        const phished = await signInWith(client, authenticator, {
          origin: "https://gatehouse.example.evil",
        });
        expect(phished.error?.reason).toBe("not-verified");

        await start(client);
        const junk = await authFor(client).signIn("passkey", { response: "{not json" });
        expect(junk.error?.reason).toBe("not-verified");
        // The challenge went with the attempt.
        expect(client.jar.has(CHALLENGE_COOKIE)).toBe(false);

        await start(client);
        const huge = await authFor(client).signIn("passkey", {
          response: JSON.stringify({ id: "x".repeat(70_000) }),
        });
        expect(huge.error?.reason).toBe("not-verified");
        expect(client.jar.has(SESSION_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toEqual([]);
      });

      it("a counter that goes back is refused and recorded as a failed sign-in", async () => {
        const authenticator = createSoftAuthenticator({ countsUses: true });
        const { user } = await passkeyUser(authenticator);
        const first = await signInWith(browser(), authenticator, { counter: 5 });
        expect(first.error).toBeNull();
        const client = browser();
        const cloned = await signInWith(client, authenticator, { counter: 3 });
        expect(cloned.error?.code).toBe("passkey-refused");
        expect(cloned.error?.reason).toBe("counter-regressed");
        expect(client.jar.has(SESSION_COOKIE)).toBe(false);
        expect(await sessionsOf(user.id)).toHaveLength(1);
        expect((await eventsOf(user.id)).at(-1)).toEqual([
          "SIGN_IN_FAILED",
          "passkey",
          "possible cloned passkey",
        ]);
      });

      describe("Confirm it's you with a passkey", () => {
        async function signedIn(authenticator: SoftAuthenticator) {
          const account = await passkeyUser(authenticator);
          await signInWith(browser(), authenticator);
          const [session] = await sessionsOf(account.user.id);
          if (!session) throw new Error("not signed in");
          const current: CurrentSession = {
            userId: account.user.id,
            sessionId: session.id,
            authTime: Math.floor(+T / 1000) - 3_600,
          };
          return { ...account, session, current };
        }

        it("the user's own passkey gives a fresh session in place of the current one", async () => {
          const authenticator = createSoftAuthenticator();
          const { user, session, current } = await signedIn(authenticator);
          const client = browser();
          const confirmed = await signInWith(client, authenticator, {}, current);
          expect(confirmed.error).toBeNull();
          expect(confirmed.redirect).toBe(`${APP_URL}/account`);
          expect(client.jar.has(SESSION_COOKIE)).toBe(true);
          const sessions = await sessionsOf(user.id);
          expect(sessions.map((row) => row.id)).not.toContain(session.id);
          expect(sessions).toMatchObject([{ method: "passkey", revokedAt: null }]);
        });

        it("another account's passkey is refused, and nothing about it changes", async () => {
          const mine = createSoftAuthenticator();
          const { user, session, current } = await signedIn(mine);
          const theirs = createSoftAuthenticator({ countsUses: true });
          const other = await passkeyUser(theirs);
          const client = browser();
          const refused = await signInWith(client, theirs, {}, current);
          expect(refused.error?.code).toBe("passkey-refused");
          expect(refused.error?.reason).toBe("another-account");
          expect(client.jar.has(SESSION_COOKIE)).toBe(false);
          expect((await sessionsOf(user.id)).map((row) => row.id)).toEqual([session.id]);
          expect(await sessionsOf(other.user.id)).toEqual([]);
          const row = await prisma().passkey.findUnique({ where: { id: other.passkey.id } });
          expect(row).toMatchObject({ counter: 0n, lastUsedAt: null });
        });
      });
    });
  },
);
