// The account page's two-step verification actions (lib/actions/account/two-step.ts) end to
// end, against freshly migrated databases, PostgreSQL and PGlite: the real next-safe-action
// clients, the real services and limiter, Next's real redirect(), the real Telegram alert
// hook, and a fake session that names a real Session row. The clock is injected and codes
// are computed here from the key the page would show (pendingTotpEnrolment), with otpauth:
// no test waits for a clock.
import { randomBytes } from "node:crypto";

import { Secret, TOTP } from "otpauth";
import { describe, expect, inject, it } from "vitest";

import { accountErrorMessages } from "@/lib/account/errors";
import { getAccountOverview } from "@/lib/account/overview";
import { TOTP_CODE_MESSAGE } from "@/lib/account/schemas";
import { totpLabels } from "@/lib/account/two-step";
import { createAccountActions } from "@/lib/actions/account/factory";
import type { ActionSession } from "@/lib/actions/clients";
import {
  createSecondFactorKeys,
  pendingTotpEnrolment,
  redeemRecoveryCode,
  secondFactorStatus,
  verifyTotpCode,
  type SecondFactorKeys,
} from "@/lib/auth/second-factor";
import { createSession } from "@/lib/auth/sessions";
import { parseSettings, type Settings } from "@/lib/env";
import type { RequestContext } from "@/lib/http/request-context";
import { createRateLimiter, type SlidingWindowBackend } from "@/lib/rate-limit";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { alertHook } from "@/lib/telegram/outbox";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { testMail } from "@/tests/support/mail";
import { testPasswordGuard } from "@/tests/support/password-guard";

const serverUrl = inject("databaseUrl");

const settings = parseSettings({}, { devSecret: () => "d".repeat(43) });
const MAX_AGE = settings.auth.recentSignInMaxAgeSeconds;
const keys = createSecondFactorKeys(settings.auth.secret);

// The injected clock: every action runs at T, a TOTP step boundary.
const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const DAY = 86_400;

const context: RequestContext = {
  ip: "203.0.113.78",
  userAgent: "Firefox/141",
  requestId: "req-two-step",
};

const SIGN_IN_URL = "/sign-in?callbackUrl=%2Faccount";
const REAUTH_URL = "/sign-in?callbackUrl=%2Faccount&reauth=1";
const CODE_FORMAT = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;
const TOO_MANY = /^Too many attempts\. Please wait \d+ (minute|second)s? and try again\.$/;
const UNAVAILABLE = "We can't check your code right now. Please try again shortly.";

const refusal = (code: keyof typeof accountErrorMessages) => ({
  serverError: accountErrorMessages[code],
});
const codeError = (message: string) => ({
  validationErrors: { formErrors: [], fieldErrors: { code: [message] } },
});

/** What an authenticator app shows for `secret` at `moment` (SHA-1, 6 digits, 30 s). */
function appCode(secret: string, moment: Date = T): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    timestamp: moment.getTime(),
  });
}

/** A six-digit code that is not `secret`'s at any step within a minute of T. */
function wrongCode(secret: string): string {
  const near = new Set([-30, 0, 30].map((seconds) => appCode(secret, at(seconds))));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, "0");
    if (!near.has(candidate)) return candidate;
  }
}

/** The URL of the Next redirect an action rejected with (digest NEXT_REDIRECT;type;url;status;). */
async function redirectOf(action: Promise<unknown>): Promise<string> {
  const error = await action.then(
    (result) => {
      throw new Error(`expected a redirect, the action answered ${JSON.stringify(result)}`);
    },
    (error: unknown) => error,
  );
  const digest = (error as { digest?: unknown } | null)?.digest;
  if (typeof digest !== "string" || !digest.startsWith("NEXT_REDIRECT;")) throw error;
  const [, , url] = digest.split(";");
  return url ?? "";
}

describe.each(databaseBackends(serverUrl))("two-step actions on $name", (backend) => {
  describe.runIf(backend.available)("the account page's two-step verification", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const { mail } = testMail(settings);

    interface Harness {
      /** The browser asking; null = signed out. */
      session: ActionSession | null;
      /** Replaces some of the settings' rate limits. */
      rateLimits?: Partial<Settings["rateLimits"]>;
      /** The limiter's backend; default a fresh in-process one. */
      limiterBackend?: SlidingWindowBackend;
      /** Default: the keys of the settings' AUTH_SECRET. */
      secondFactorKeys?: SecondFactorKeys;
      requestContext?: RequestContext;
      /** The actions' clock; default T. */
      clock?: Date;
    }

    function harness({
      session,
      rateLimits,
      limiterBackend = createMemoryRateLimitBackend(),
      secondFactorKeys = keys,
      requestContext = context,
      clock = T,
    }: Harness) {
      const logger = memoryLogger();
      const deliveries: number[] = [];
      const limiter = createRateLimiter({
        backend: limiterBackend,
        now: Date.now,
        logger,
        settings: { ...settings.rateLimits, ...rateLimits },
      });
      const actions = createAccountActions({
        services: () => ({
          settings,
          logger,
          database: db(),
          passwordGuard: testPasswordGuard(settings).guard,
          // The real Telegram hook: an alert row for every alerting event of a linked user.
          afterRecord: alertHook({ deliverSoon: () => deliveries.push(1) }),
          limiter,
          mail,
          secondFactorKeys,
        }),
        getSession: () => Promise.resolve(session),
        requestContext: () => Promise.resolve(requestContext),
        now: () => clock,
        startOAuth: () => Promise.reject(new Error("no OAuth here")),
        signOut: () => Promise.reject(new Error("no sign-out here")),
        // Only the passkey actions use cookies: tests/integration/passkey-account-actions.test.ts.
        cookies: () => Promise.resolve({ get: () => undefined, set: () => undefined }),
      });
      return { actions, logger, deliveries };
    }

    let counter = 0;
    const newUser = ({
      email = `person-${++counter}-${randomBytes(3).toString("hex")}@example.com`,
      telegram = false,
    }: { email?: string | null; telegram?: boolean } = {}) =>
      prisma().user.create({
        data: {
          email,
          name: "Grace",
          ...(telegram
            ? {
                telegramLink: {
                  create: {
                    chatId: BigInt(Date.now()) * 1000n + BigInt(++counter),
                    telegramUserId: BigInt(++counter),
                  },
                },
              }
            : {}),
        },
      });

    /** A Session row for the user, and the session the actions see for it. */
    async function signIn(userId: string, signedInAt = at(-60)): Promise<ActionSession> {
      const created = await createSession(prisma(), {
        userId,
        method: "password",
        ip: "198.51.100.7",
        userAgent: "this browser",
        maxAgeSeconds: 30 * DAY,
        now: signedInAt,
      });
      return { userId, sessionId: created.sessionId, authTime: signedInAt.getTime() / 1000 };
    }

    /** The key the account page shows for the user's pending set-up (as it reads it). */
    async function shownKey(userId: string): Promise<string> {
      const user = await prisma().user.findUniqueOrThrow({ where: { id: userId } });
      const enrolment = await pendingTotpEnrolment(prisma(), {
        userId,
        keys,
        ...totpLabels(user),
      });
      if (!enrolment) throw new Error("no pending set-up to show");
      return enrolment.secret;
    }

    /** A signed-in user whose two-step verification is on; its key and recovery codes. */
    async function enabledUser(options: { telegram?: boolean } = {}) {
      const user = await newUser(options);
      const session = await signIn(user.id);
      const { actions } = harness({ session });
      await actions.startTwoStep();
      const key = await shownKey(user.id);
      const confirmed = await actions.confirmTwoStep({ code: appCode(key) });
      const recoveryCodes = confirmed.data?.recoveryCodes;
      if (!recoveryCodes) throw new Error(`turning on: ${JSON.stringify(confirmed)}`);
      return { user, session, key, recoveryCodes };
    }

    /** Everything of the second factor one user owns, to compare before and after. */
    async function secondFactorRows(userId: string) {
      return {
        totp: await prisma().totpCredential.findUnique({ where: { userId } }),
        codes: await prisma().recoveryCode.findMany({ where: { userId }, orderBy: { id: "asc" } }),
        events: await prisma().securityEvent.findMany({
          where: { userId },
          orderBy: { id: "asc" },
        }),
        outbox: await prisma().notificationOutbox.findMany({
          where: { userId },
          orderBy: { id: "asc" },
        }),
      };
    }

    const eventsOf = (userId: string) =>
      prisma()
        .securityEvent.findMany({
          where: { userId },
          select: { type: true, detail: true, ip: true, userAgent: true, requestId: true },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        })
        .then((rows) => rows);

    const alertsOf = (userId: string) =>
      prisma()
        .notificationOutbox.findMany({
          where: { userId },
          select: { channel: true, kind: true, status: true, securityEventId: true },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        })
        .then((rows) => rows.map((row) => [row.channel, row.kind, row.status]));

    const redeem = (userId: string, code: string, now = at(5)) =>
      redeemRecoveryCode(prisma(), { userId, code, now, keys }).then((result) => result.status);

    const withContext = {
      ip: context.ip,
      userAgent: context.userAgent,
      requestId: context.requestId,
    };

    // ---- Turning it on -----------------------------------------------------------------

    it("start → the page's key → a current code turns it on: ten recovery codes once, TOTP_ENABLED and its Telegram alert", async () => {
      const user = await newUser({ telegram: true });
      const { actions, deliveries } = harness({ session: await signIn(user.id) });

      // Starting answers no key: the page reads it back and draws it on the server.
      await expect(actions.startTwoStep()).resolves.toEqual({ data: { started: true } });
      const pending = await getAccountOverview(prisma(), {
        userId: user.id,
        currentSessionId: null,
        now: T,
      });
      expect(pending?.secondFactor).toEqual({ totp: { confirmedAt: null }, recoveryCodesLeft: 0 });
      const key = await shownKey(user.id);
      expect(key).toMatch(/^[A-Z2-7]{32}$/);
      // Pending changes nothing yet: no event, no alert.
      expect(await eventsOf(user.id)).toEqual([]);

      // Typed the way apps show it ("123 456").
      const code = appCode(key);
      const confirmed = await actions.confirmTwoStep({
        code: `${code.slice(0, 3)} ${code.slice(3)}`,
      });
      const recoveryCodes = confirmed.data?.recoveryCodes ?? [];
      expect(recoveryCodes).toHaveLength(10);
      expect(new Set(recoveryCodes).size).toBe(10);
      for (const recoveryCode of recoveryCodes) expect(recoveryCode).toMatch(CODE_FORMAT);
      expect(Object.keys(confirmed)).toEqual(["data"]);

      await expect(secondFactorStatus(prisma(), user.id)).resolves.toEqual({
        totp: true,
        recoveryCodesLeft: 10,
      });
      const on = await getAccountOverview(prisma(), {
        userId: user.id,
        currentSessionId: null,
        now: T,
      });
      expect(on?.secondFactor).toEqual({ totp: { confirmedAt: T }, recoveryCodesLeft: 10 });
      // The key is no longer shown once on.
      await expect(
        pendingTotpEnrolment(prisma(), { userId: user.id, keys, ...totpLabels(user) }),
      ).resolves.toBeNull();
      expect(await eventsOf(user.id)).toEqual([
        { type: "TOTP_ENABLED", detail: null, ...withContext },
      ]);
      expect(await alertsOf(user.id)).toEqual([["TELEGRAM", "TOTP_ENABLED", "PENDING"]]);
      expect(deliveries).toHaveLength(1);

      // The codes handed out are the account's, each good once; the confirming code cannot
      // be replayed to sign in.
      expect(await redeem(user.id, recoveryCodes[0] ?? "")).toBe("accepted");
      expect(await redeem(user.id, recoveryCodes[0] ?? "")).toBe("used");
      await expect(
        verifyTotpCode(prisma(), { userId: user.id, code, now: at(10), keys }),
      ).resolves.toEqual({ status: "reused" });
      // Nothing in clear was stored: only hashes.
      const stored = JSON.stringify(await secondFactorRows(user.id), (_, value: unknown) =>
        typeof value === "bigint" ? value.toString() : value,
      );
      expect(stored).not.toContain(key);
      for (const recoveryCode of recoveryCodes) expect(stored).not.toContain(recoveryCode);
    });

    it("a wrong code, or no code at all, is refused on the field and changes nothing; only a well-formed code costs a try", async () => {
      const user = await newUser();
      // One try per account: a malformed code must not spend it.
      const { actions } = harness({
        session: await signIn(user.id),
        rateLimits: { secondFactorAccount: { limit: 2, windowMs: 900_000 } },
      });
      await actions.startTwoStep();
      const key = await shownKey(user.id);
      const before = await secondFactorRows(user.id);

      for (const code of [
        "",
        "12345",
        "1234567",
        "abcdef",
        "12 34 5",
        "１２３４５６",
        "x".repeat(65),
      ]) {
        await expect(actions.confirmTwoStep({ code }), code).resolves.toEqual(
          codeError(TOTP_CODE_MESSAGE),
        );
      }
      await expect(actions.confirmTwoStep({ code: wrongCode(key) })).resolves.toEqual(
        codeError(accountErrorMessages["wrong-totp-code"]),
      );
      // A code from two steps ago is outside the window: wrong too.
      await expect(actions.confirmTwoStep({ code: appCode(key, at(-60)) })).resolves.toEqual(
        codeError(accountErrorMessages["wrong-totp-code"]),
      );
      await expect(secondFactorRows(user.id)).resolves.toEqual(before);
      expect(accountErrorMessages["wrong-totp-code"]).toBe(
        "That code did not match. Check that the time on your phone is right and try the newest code.",
      );

      // Two well-formed tries were counted: the third is refused, even with the right code.
      const refused = await actions.confirmTwoStep({ code: appCode(key) });
      expect(refused.serverError).toMatch(TOO_MANY);
      await expect(secondFactorRows(user.id)).resolves.toEqual(before);
    });

    it("the code that turned it on, sent again (a replay, or a double press), changes nothing: no second set of codes", async () => {
      const { user, session, key, recoveryCodes } = await enabledUser();
      const before = await secondFactorRows(user.id);
      const { actions } = harness({ session });

      await expect(actions.confirmTwoStep({ code: appCode(key) })).resolves.toEqual(
        refusal("two-step-on"),
      );
      await expect(actions.startTwoStep()).resolves.toEqual(refusal("two-step-on"));
      await expect(secondFactorRows(user.id)).resolves.toEqual(before);
      expect(await redeem(user.id, recoveryCodes[1] ?? "")).toBe("accepted");
    });

    it("a double press of each button is harmless: one set-up, one set of codes, one event each", async () => {
      const user = await newUser({ telegram: true });
      const { actions } = harness({ session: await signIn(user.id) });

      // Start twice at once: one pending set-up, and the key the page shows is the one that works.
      const starts = await Promise.all([actions.startTwoStep(), actions.startTwoStep()]);
      expect(starts).toEqual([{ data: { started: true } }, { data: { started: true } }]);
      expect(await prisma().totpCredential.count({ where: { userId: user.id } })).toBe(1);
      const key = await shownKey(user.id);

      // Turn on twice at once with the same code: one answer has the codes, the other says
      // it is on already; the ten stored are the ten answered.
      const code = appCode(key);
      const confirms = await Promise.all([
        actions.confirmTwoStep({ code }),
        actions.confirmTwoStep({ code }),
      ]);
      const winners = confirms.filter((result) => result.data);
      expect(winners).toHaveLength(1);
      expect(confirms.filter((result) => result.serverError)).toEqual([refusal("two-step-on")]);
      const codes = winners[0]?.data?.recoveryCodes ?? [];
      expect(await prisma().recoveryCode.count({ where: { userId: user.id } })).toBe(10);
      for (const recoveryCode of codes.slice(0, 2)) {
        expect(await redeem(user.id, recoveryCode)).toBe("accepted");
      }

      // Turn off twice at once: off once, the other is told it is off already.
      const offs = await Promise.all([actions.turnOffTwoStep(), actions.turnOffTwoStep()]);
      expect(offs).toContainEqual({ data: { turnedOff: true } });
      expect(offs).toContainEqual(refusal("two-step-off"));

      // Cancel twice: the second finds nothing to cancel, which is what was asked.
      await actions.startTwoStep();
      const cancels = await Promise.all([actions.cancelTwoStep(), actions.cancelTwoStep()]);
      expect(cancels).toContainEqual({ data: { cancelled: true } });
      expect(cancels).toContainEqual({ data: { cancelled: false } });

      // One event (and one alert) per change that happened, none for the presses refused.
      expect((await eventsOf(user.id)).map((event) => event.type).sort()).toEqual([
        "RECOVERY_CODE_USED",
        "RECOVERY_CODE_USED",
        "TOTP_DISABLED",
        "TOTP_ENABLED",
      ]);
      // (Codes spent here go through no alert hook: that is the sign-in's business.)
      expect((await alertsOf(user.id)).map(([, kind]) => kind).sort()).toEqual([
        "TOTP_DISABLED",
        "TOTP_ENABLED",
      ]);
    });

    it("a set-up sealed under another AUTH_SECRET, or cancelled meanwhile, answers 'start again', never a 500", async () => {
      const user = await newUser();
      const session = await signIn(user.id);
      const { actions } = harness({ session });
      await actions.startTwoStep();
      const key = await shownKey(user.id);
      const before = await secondFactorRows(user.id);

      const rotated = harness({
        session,
        secondFactorKeys: createSecondFactorKeys("r".repeat(43)),
      });
      await expect(rotated.actions.confirmTwoStep({ code: appCode(key) })).resolves.toEqual(
        refusal("two-step-not-started"),
      );
      await expect(secondFactorRows(user.id)).resolves.toEqual(before);

      await expect(actions.cancelTwoStep()).resolves.toEqual({ data: { cancelled: true } });
      await expect(actions.confirmTwoStep({ code: appCode(key) })).resolves.toEqual(
        refusal("two-step-not-started"),
      );
      expect(await prisma().totpCredential.count({ where: { userId: user.id } })).toBe(0);
      expect(await eventsOf(user.id)).toEqual([]);
    });

    // ---- The code budget ---------------------------------------------------------------

    it("the code budget per account and per IP refuses, even the right code, and nothing changes", async () => {
      const user = await newUser();
      const session = await signIn(user.id);
      const limiterBackend = createMemoryRateLimitBackend();
      const limited = (rateLimits: Partial<Settings["rateLimits"]>) =>
        harness({ session, limiterBackend, rateLimits }).actions;
      const perAccount = limited({ secondFactorAccount: { limit: 1, windowMs: 900_000 } });
      await perAccount.startTwoStep();
      const key = await shownKey(user.id);
      await perAccount.confirmTwoStep({ code: wrongCode(key) });
      const before = await secondFactorRows(user.id);

      const refused = await perAccount.confirmTwoStep({ code: appCode(key) });
      expect(refused.serverError).toMatch(TOO_MANY);
      await expect(secondFactorRows(user.id)).resolves.toEqual(before);

      // Per IP: another account from the same address, sharing the limiter's counters.
      const neighbour = await newUser();
      const fromSameIp = harness({
        session: await signIn(neighbour.id),
        limiterBackend,
        rateLimits: { secondFactorIp: { limit: 2, windowMs: 900_000 } },
      }).actions;
      await fromSameIp.startTwoStep();
      const neighbourKey = await shownKey(neighbour.id);
      const neighbourBefore = await secondFactorRows(neighbour.id);
      const ipRefused = await fromSameIp.confirmTwoStep({ code: appCode(neighbourKey) });
      expect(ipRefused.serverError).toMatch(TOO_MANY);
      await expect(secondFactorRows(neighbour.id)).resolves.toEqual(neighbourBefore);

      // From another address, the neighbour's own budget is untouched.
      const elsewhere = harness({
        session: await signIn(neighbour.id),
        limiterBackend,
        rateLimits: { secondFactorIp: { limit: 2, windowMs: 900_000 } },
        requestContext: { ...context, ip: "198.51.100.99" },
      }).actions;
      await expect(
        elsewhere.confirmTwoStep({ code: appCode(neighbourKey) }),
      ).resolves.toMatchObject({ data: { recoveryCodes: expect.any(Array) as unknown } });
    });

    it("with the limiter down, codes are not checked at all (fail closed): 'try again shortly', and nothing changes", async () => {
      const user = await newUser();
      const session = await signIn(user.id);
      await harness({ session }).actions.startTwoStep();
      const key = await shownKey(user.id);
      const before = await secondFactorRows(user.id);
      const down = harness({
        session,
        limiterBackend: {
          kind: "ioredis",
          limit: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379")),
        },
      });

      await expect(down.actions.confirmTwoStep({ code: appCode(key) })).resolves.toEqual({
        serverError: UNAVAILABLE,
      });
      await expect(secondFactorRows(user.id)).resolves.toEqual(before);
      // An outage is not a bug: no error line (the limiter logs the outage as a warning).
      expect(down.logger.lines.filter((line) => line.level === "error")).toEqual([]);
    });

    // ---- Who may call ------------------------------------------------------------------

    it("without a session every action redirects to sign-in; without a recent sign-in all but cancel redirect to confirm it's you; nothing changes", async () => {
      const { user, key } = await enabledUser();
      const pendingUser = await newUser();
      await harness({ session: await signIn(pendingUser.id) }).actions.startTwoStep();
      const pendingKey = await shownKey(pendingUser.id);
      const before = [await secondFactorRows(user.id), await secondFactorRows(pendingUser.id)];

      const signedOut = harness({ session: null }).actions;
      for (const attempt of [
        signedOut.startTwoStep(),
        signedOut.confirmTwoStep({ code: appCode(key) }),
        signedOut.cancelTwoStep(),
        signedOut.newRecoveryCodes(),
        signedOut.turnOffTwoStep(),
      ]) {
        await expect(redirectOf(attempt)).resolves.toBe(SIGN_IN_URL);
      }

      const stale = harness({ session: await signIn(user.id, at(-MAX_AGE - 1)) }).actions;
      const stalePending = harness({
        session: await signIn(pendingUser.id, at(-MAX_AGE - 1)),
      }).actions;
      for (const attempt of [
        stale.startTwoStep(),
        stale.newRecoveryCodes(),
        stale.turnOffTwoStep(),
        stalePending.startTwoStep(),
        stalePending.confirmTwoStep({ code: appCode(pendingKey) }),
      ]) {
        await expect(redirectOf(attempt)).resolves.toBe(REAUTH_URL);
      }
      await expect(
        Promise.all([secondFactorRows(user.id), secondFactorRows(pendingUser.id)]),
      ).resolves.toEqual(before);

      // Cancelling drops a key that protects nothing yet: a session is enough, and a
      // confirmed app is not touched by it.
      await expect(stale.cancelTwoStep()).resolves.toEqual(refusal("two-step-on"));
      await expect(secondFactorRows(user.id)).resolves.toEqual(before[0]);
      await expect(stalePending.cancelTwoStep()).resolves.toEqual({ data: { cancelled: true } });
      expect(await prisma().totpCredential.count({ where: { userId: pendingUser.id } })).toBe(0);
    });

    it("every action touches only the signed-in user's rows: another user's set-up, app and codes stay as they were", async () => {
      const them = await enabledUser({ telegram: true });
      const theirPending = await newUser();
      await harness({ session: await signIn(theirPending.id) }).actions.startTwoStep();
      const theirPendingKey = await shownKey(theirPending.id);
      const before = [
        await secondFactorRows(them.user.id),
        await secondFactorRows(theirPending.id),
      ];

      const me = await newUser();
      const { actions } = harness({ session: await signIn(me.id) });
      // Nothing of mine to change: each says so, about my account.
      await expect(actions.confirmTwoStep({ code: appCode(theirPendingKey) })).resolves.toEqual(
        refusal("two-step-not-started"),
      );
      await expect(actions.newRecoveryCodes()).resolves.toEqual(refusal("two-step-no-codes"));
      await expect(actions.turnOffTwoStep()).resolves.toEqual(refusal("two-step-off"));
      await expect(actions.cancelTwoStep()).resolves.toEqual({ data: { cancelled: false } });
      // My own set-up, turned on with my own code, is mine alone.
      await actions.startTwoStep();
      await expect(actions.confirmTwoStep({ code: appCode(theirPendingKey) })).resolves.toEqual(
        codeError(accountErrorMessages["wrong-totp-code"]),
      );
      const mine = await actions.confirmTwoStep({ code: appCode(await shownKey(me.id)) });
      expect(mine.data?.recoveryCodes).toHaveLength(10);
      await actions.newRecoveryCodes();
      await actions.turnOffTwoStep();

      await expect(
        Promise.all([secondFactorRows(them.user.id), secondFactorRows(theirPending.id)]),
      ).resolves.toEqual(before);
      // Their codes still work; mine never did for them.
      expect(await redeem(them.user.id, them.recoveryCodes[0] ?? "")).toBe("accepted");
      for (const recoveryCode of mine.data?.recoveryCodes ?? []) {
        expect(await redeem(them.user.id, recoveryCode)).toBe("wrong-code");
      }
    });

    it("a session naming a user that no longer exists gets plain answers, never a 500", async () => {
      const { actions, logger } = harness({
        session: {
          userId: "no-such-user",
          sessionId: "no-such-session",
          authTime: at(-60).getTime() / 1000,
        },
      });
      await expect(actions.startTwoStep()).resolves.toEqual(refusal("not-found"));
      await expect(actions.confirmTwoStep({ code: "123456" })).resolves.toEqual(
        refusal("two-step-not-started"),
      );
      await expect(actions.cancelTwoStep()).resolves.toEqual({ data: { cancelled: false } });
      await expect(actions.newRecoveryCodes()).resolves.toEqual(refusal("two-step-no-codes"));
      await expect(actions.turnOffTwoStep()).resolves.toEqual(refusal("two-step-off"));
      expect(logger.lines.filter((line) => line.level === "error")).toEqual([]);
    });

    // ---- Recovery codes and turning off ------------------------------------------------

    it("new recovery codes replace every old one (used or not) and record RECOVERY_CODES_REGENERATED with its alert", async () => {
      const { user, session, recoveryCodes } = await enabledUser({ telegram: true });
      expect(await redeem(user.id, recoveryCodes[0] ?? "")).toBe("accepted");
      const { actions } = harness({ session, clock: at(10) });

      const renewed = await actions.newRecoveryCodes();
      const fresh = renewed.data?.recoveryCodes ?? [];
      expect(fresh).toHaveLength(10);
      expect(fresh.filter((code) => recoveryCodes.includes(code))).toEqual([]);
      await expect(secondFactorStatus(prisma(), user.id)).resolves.toEqual({
        totp: true,
        recoveryCodesLeft: 10,
      });
      for (const old of recoveryCodes.slice(1)) {
        expect(await redeem(user.id, old, at(15))).toBe("wrong-code");
      }
      expect(await redeem(user.id, fresh[9] ?? "", at(15))).toBe("accepted");

      expect(await eventsOf(user.id)).toEqual([
        { type: "TOTP_ENABLED", detail: null, ...withContext },
        expect.objectContaining({ type: "RECOVERY_CODE_USED" }),
        {
          type: "RECOVERY_CODES_REGENERATED",
          detail: "the earlier codes no longer work",
          ...withContext,
        },
        expect.objectContaining({ type: "RECOVERY_CODE_USED" }),
      ]);
      expect(await alertsOf(user.id)).toEqual([
        ["TELEGRAM", "TOTP_ENABLED", "PENDING"],
        ["TELEGRAM", "RECOVERY_CODES_REGENERATED", "PENDING"],
      ]);
    });

    it("turning off removes the app and every recovery code and records TOTP_DISABLED with its alert; it can be set up again", async () => {
      const { user, session, recoveryCodes } = await enabledUser({ telegram: true });
      const { actions } = harness({ session, clock: at(20) });

      await expect(actions.turnOffTwoStep()).resolves.toEqual({ data: { turnedOff: true } });
      expect(await prisma().totpCredential.count({ where: { userId: user.id } })).toBe(0);
      expect(await prisma().recoveryCode.count({ where: { userId: user.id } })).toBe(0);
      expect(await redeem(user.id, recoveryCodes[0] ?? "", at(25))).toBe("wrong-code");
      await expect(actions.newRecoveryCodes()).resolves.toEqual(refusal("two-step-no-codes"));
      await expect(actions.turnOffTwoStep()).resolves.toEqual(refusal("two-step-off"));

      expect((await eventsOf(user.id)).at(-1)).toEqual({
        type: "TOTP_DISABLED",
        detail: null,
        ...withContext,
      });
      expect(await alertsOf(user.id)).toEqual([
        ["TELEGRAM", "TOTP_ENABLED", "PENDING"],
        ["TELEGRAM", "TOTP_DISABLED", "PENDING"],
      ]);

      // Off is off: a new set-up has a new key.
      await actions.startTwoStep();
      const again = await actions.confirmTwoStep({
        code: appCode(await shownKey(user.id), at(20)),
      });
      expect(again.data?.recoveryCodes).toHaveLength(10);
    });

    it("cancelling a set-up removes the pending key only, records nothing, and Off is what the page shows again", async () => {
      const user = await newUser({ telegram: true });
      const { actions } = harness({ session: await signIn(user.id) });
      await actions.startTwoStep();
      await expect(actions.cancelTwoStep()).resolves.toEqual({ data: { cancelled: true } });
      const overview = await getAccountOverview(prisma(), {
        userId: user.id,
        currentSessionId: null,
        now: T,
      });
      expect(overview?.secondFactor).toEqual({ totp: null, recoveryCodesLeft: 0 });
      expect(await eventsOf(user.id)).toEqual([]);
      expect(await alertsOf(user.id)).toEqual([]);
    });
  });
});
