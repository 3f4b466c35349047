// The account page's "Approve new sign-ins in Telegram" switch (setSignInApproval in
// lib/actions/account/telegram.ts) end to end, against freshly migrated databases,
// PostgreSQL and PGlite: the real next-safe-action clients, the real service
// (lib/auth/sign-in-approval.ts), Next's real redirect(), the real Telegram alert hook
// (an outbox row per change), and a fake session that names a real Session row. The clock
// is injected, so "a sign-in older than the limit" is an exact instant.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { accountErrorMessages } from "@/lib/account/errors";
import { getAccountOverview } from "@/lib/account/overview";
import { presentAccount } from "@/lib/account/presenter";
import { createAccountActions } from "@/lib/actions/account/factory";
import { GENERIC_ACTION_ERROR, type ActionSession } from "@/lib/actions/clients";
import { createSecondFactorKeys } from "@/lib/auth/second-factor";
import { createSession } from "@/lib/auth/sessions";
import { parseSettings } from "@/lib/env";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import { createRateLimiter } from "@/lib/rate-limit";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { alertHook } from "@/lib/telegram/outbox";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { testMail } from "@/tests/support/mail";
import { testPasswordGuard } from "@/tests/support/password-guard";

const serverUrl = inject("databaseUrl");

// A bot is configured, as on any site where the Telegram section shows.
const settings = parseSettings(
  {
    TELEGRAM_BOT_TOKEN: `123456:${"A".repeat(35)}`,
    TELEGRAM_BOT_USERNAME: "gatehouse_bot",
    TELEGRAM_WEBHOOK_SECRET: "s".repeat(32),
  },
  { devSecret: () => "d".repeat(43) },
);
const MAX_AGE = settings.auth.recentSignInMaxAgeSeconds;
const keys = createSecondFactorKeys(settings.auth.secret);

// The injected clock: every action runs at T.
const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const DAY = 86_400;

const context: RequestContext = {
  ip: "203.0.113.79",
  userAgent: "Firefox/141",
  requestId: "req-sign-in-approval",
};

const SIGN_IN_URL = "/sign-in?callbackUrl=%2Faccount";
const REAUTH_URL = "/sign-in?callbackUrl=%2Faccount&reauth=1";

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

describe.each(databaseBackends(serverUrl))("sign-in approval switch on $name", (backend) => {
  describe.runIf(backend.available)("setSignInApproval (the account action)", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const { mail } = testMail(settings);

    function harness({
      session,
      client,
    }: {
      /** The browser asking; null = signed out. */
      session: ActionSession | null;
      /** Replaces the Prisma client the actions get from services(). */
      client?: PrismaClient;
    }) {
      const logger = memoryLogger();
      const deliveries: number[] = [];
      const actions = createAccountActions({
        services: () => ({
          settings,
          logger,
          database: client ? { ...db(), prisma: client } : db(),
          passwordGuard: testPasswordGuard(settings).guard,
          // The real Telegram hook: an alert row for every alerting event of a linked user.
          afterRecord: alertHook({ deliverSoon: () => deliveries.push(1) }),
          limiter: createRateLimiter({
            backend: createMemoryRateLimitBackend(),
            now: Date.now,
            logger,
            settings: settings.rateLimits,
          }),
          mail,
          secondFactorKeys: keys,
        }),
        getSession: () => Promise.resolve(session),
        requestContext: () => Promise.resolve(context),
        now: () => T,
        startOAuth: () => Promise.reject(new Error("no OAuth here")),
        signOut: () => Promise.reject(new Error("no sign-out here")),
        // Only the passkey actions use cookies: tests/integration/passkey-account-actions.test.ts.
        cookies: () => Promise.resolve({ get: () => undefined, set: () => undefined }),
      });
      return { actions, logger, deliveries };
    }

    let counter = 0;
    /** A user, with a Telegram chat linked (as the bot's /start would) unless `telegram` is false. */
    const newUser = ({ telegram = true }: { telegram?: boolean } = {}) =>
      prisma().user.create({
        data: {
          email: `person-${++counter}-${randomBytes(3).toString("hex")}@example.com`,
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

    const approving = (userId: string) =>
      prisma()
        .telegramLink.findUnique({ where: { userId }, select: { approveSignIns: true } })
        .then((link) => link?.approveSignIns ?? null);

    const eventsOf = (userId: string) =>
      prisma().securityEvent.findMany({
        where: { userId },
        select: {
          type: true,
          method: true,
          ip: true,
          userAgent: true,
          requestId: true,
          createdAt: true,
        },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      });

    const alertsOf = (userId: string) =>
      prisma()
        .notificationOutbox.findMany({
          where: { userId },
          select: { channel: true, kind: true, status: true, securityEventId: true },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        })
        .then((rows) => rows);

    /** Everything the switch may change for one user, to compare before and after. */
    async function rowsOf(userId: string) {
      return {
        link: await prisma().telegramLink.findUnique({ where: { userId } }),
        events: await eventsOf(userId),
        outbox: await alertsOf(userId),
      };
    }

    const recorded = (type: "SIGN_IN_APPROVAL_ON" | "SIGN_IN_APPROVAL_OFF") => ({
      type,
      method: "telegram",
      ip: context.ip,
      userAgent: context.userAgent,
      requestId: context.requestId,
      createdAt: T,
    });

    it("turns approval on and off: one event each, with the request's context, and its Telegram alert", async () => {
      const user = await newUser();
      const { actions, deliveries } = harness({ session: await signIn(user.id) });
      expect(await approving(user.id)).toBe(false);

      await expect(actions.setSignInApproval({ on: true })).resolves.toEqual({
        data: { on: true, changed: true },
      });
      expect(await approving(user.id)).toBe(true);
      expect(await eventsOf(user.id)).toEqual([recorded("SIGN_IN_APPROVAL_ON")]);
      const [onEvent] = await prisma().securityEvent.findMany({ where: { userId: user.id } });
      expect(await alertsOf(user.id)).toEqual([
        {
          channel: "TELEGRAM",
          kind: "SIGN_IN_APPROVAL_ON",
          status: "PENDING",
          securityEventId: onEvent?.id,
        },
      ]);
      expect(deliveries).toHaveLength(1);

      await expect(actions.setSignInApproval({ on: false })).resolves.toEqual({
        data: { on: false, changed: true },
      });
      expect(await approving(user.id)).toBe(false);
      expect(await eventsOf(user.id)).toEqual([
        recorded("SIGN_IN_APPROVAL_ON"),
        recorded("SIGN_IN_APPROVAL_OFF"),
      ]);
      expect((await alertsOf(user.id)).map((row) => [row.channel, row.kind, row.status])).toEqual([
        ["TELEGRAM", "SIGN_IN_APPROVAL_ON", "PENDING"],
        ["TELEGRAM", "SIGN_IN_APPROVAL_OFF", "PENDING"],
      ]);
      expect(deliveries).toHaveLength(2);
    });

    it("a second press (a double click, another tab) answers changed: false and records and alerts nothing", async () => {
      const user = await newUser();
      const { actions, deliveries } = harness({ session: await signIn(user.id) });

      await actions.setSignInApproval({ on: true });
      const afterOn = await rowsOf(user.id);
      await expect(actions.setSignInApproval({ on: true })).resolves.toEqual({
        data: { on: true, changed: false },
      });
      await expect(rowsOf(user.id)).resolves.toEqual(afterOn);

      await actions.setSignInApproval({ on: false });
      const afterOff = await rowsOf(user.id);
      await expect(actions.setSignInApproval({ on: false })).resolves.toEqual({
        data: { on: false, changed: false },
      });
      await expect(rowsOf(user.id)).resolves.toEqual(afterOff);

      // Pressed twice at once: one of them changes it, one event, one alert.
      const both = await Promise.all([
        actions.setSignInApproval({ on: true }),
        actions.setSignInApproval({ on: true }),
      ]);
      expect(both.map((result) => result.data?.changed).sort()).toEqual([false, true]);
      expect((await eventsOf(user.id)).map((event) => event.type)).toEqual([
        "SIGN_IN_APPROVAL_ON",
        "SIGN_IN_APPROVAL_OFF",
        "SIGN_IN_APPROVAL_ON",
      ]);
      expect(await alertsOf(user.id)).toHaveLength(3);
      expect(deliveries).toHaveLength(3);
    });

    it("off is already off for an account that never turned it on: changed false, nothing recorded", async () => {
      const user = await newUser();
      const { actions, deliveries } = harness({ session: await signIn(user.id) });
      await expect(actions.setSignInApproval({ on: false })).resolves.toEqual({
        data: { on: false, changed: false },
      });
      expect(await eventsOf(user.id)).toEqual([]);
      expect(await alertsOf(user.id)).toEqual([]);
      expect(deliveries).toEqual([]);
    });

    it("without a connected chat it answers 'Connect Telegram first', either way, and changes nothing", async () => {
      const user = await newUser({ telegram: false });
      const { actions, deliveries, logger } = harness({ session: await signIn(user.id) });
      for (const on of [true, false]) {
        await expect(actions.setSignInApproval({ on })).resolves.toEqual({
          serverError: accountErrorMessages["telegram-not-connected"],
        });
      }
      expect(accountErrorMessages["telegram-not-connected"]).toMatch(/^Connect Telegram first/);
      await expect(rowsOf(user.id)).resolves.toEqual({ link: null, events: [], outbox: [] });
      expect(deliveries).toEqual([]);
      // A refusal, not a failure: nothing is logged as an error.
      expect(logger.lines.filter((line) => line.level === "error")).toEqual([]);
    });

    it("signed out, it redirects to sign-in; without a recent sign-in, to 'Confirm it's you'; nothing changes", async () => {
      const user = await newUser();
      const before = await rowsOf(user.id);

      const signedOut = harness({ session: null });
      await expect(redirectOf(signedOut.actions.setSignInApproval({ on: true }))).resolves.toBe(
        SIGN_IN_URL,
      );

      const stale = await signIn(user.id, at(-MAX_AGE - 1));
      for (const session of [
        stale,
        // A token from before authTime existed counts as not recent either.
        { ...stale, authTime: null },
        // Nor does a sign-in time in the future beyond the allowed clock skew.
        { ...stale, authTime: at(120).getTime() / 1000 },
      ]) {
        const { actions, logger } = harness({ session });
        for (const on of [true, false]) {
          await expect(redirectOf(actions.setSignInApproval({ on }))).resolves.toBe(REAUTH_URL);
        }
        // A redirect is not a failure: nothing is logged as an error.
        expect(logger.lines.filter((line) => line.level === "error")).toEqual([]);
      }
      await expect(rowsOf(user.id)).resolves.toEqual(before);

      // A sign-in exactly recentSignInMaxAgeSeconds old still counts as recent.
      const { actions } = harness({ session: await signIn(user.id, at(-MAX_AGE)) });
      await expect(actions.setSignInApproval({ on: true })).resolves.toEqual({
        data: { on: true, changed: true },
      });
    });

    it("refuses anything but a boolean with a message, and changes nothing", async () => {
      const user = await newUser();
      const { actions } = harness({ session: await signIn(user.id) });
      const before = await rowsOf(user.id);
      const refused = {
        validationErrors: {
          formErrors: [],
          fieldErrors: { on: ["Say whether to turn sign-in approval on or off."] },
        },
      };
      for (const input of [{}, { on: "true" }, { on: 1 }, { on: null }]) {
        // What a tampered request could post.
        const call = actions.setSignInApproval as (input: unknown) => Promise<unknown>;
        await expect(call(input)).resolves.toEqual(refused);
      }
      await expect(rowsOf(user.id)).resolves.toEqual(before);
    });

    it("touches only the signed-in user's chat; who is asking comes from the session, never the input", async () => {
      const user = await newUser();
      const other = await newUser();
      const otherBefore = await rowsOf(other.id);
      const { actions } = harness({ session: await signIn(user.id) });

      const call = actions.setSignInApproval as (input: unknown) => Promise<unknown>;
      await expect(call({ on: true, userId: other.id })).resolves.toEqual({
        data: { on: true, changed: true },
      });
      expect(await approving(user.id)).toBe(true);
      await expect(rowsOf(other.id)).resolves.toEqual(otherBefore);
    });

    it("what the account page then shows: the Telegram section's view says whether approval is on", async () => {
      const user = await newUser();
      const session = await signIn(user.id);
      const { actions } = harness({ session });
      const shown = async () => {
        const overview = await getAccountOverview(prisma(), {
          userId: user.id,
          currentSessionId: session.sessionId,
          now: T,
        });
        if (!overview) throw new Error("no overview");
        const view = presentAccount(overview, { now: T, providers: [] });
        return {
          approveSignIns: view.telegram?.approveSignIns,
          latest: view.activity[0] && {
            title: view.activity[0].title,
            kind: view.activity[0].kind,
          },
        };
      };

      expect((await shown()).approveSignIns).toBe(false);
      await actions.setSignInApproval({ on: true });
      expect(await shown()).toEqual({
        approveSignIns: true,
        latest: { title: "Sign-in approval from Telegram turned on", kind: "event" },
      });
      await actions.setSignInApproval({ on: false });
      expect(await shown()).toEqual({
        approveSignIns: false,
        latest: { title: "Sign-in approval from Telegram turned off", kind: "event" },
      });
    });

    it("an unexpected failure answers the generic message with the request id, logs it, and changes nothing", async () => {
      const user = await newUser();
      const before = await rowsOf(user.id);
      // A database that fails every transaction.
      const failing = new Proxy(prisma(), {
        get: (target, key) =>
          key === "$transaction"
            ? () => Promise.reject(new Error("connection reset"))
            : (Reflect.get(target, key) as unknown),
      });
      const { actions, logger } = harness({ session: await signIn(user.id), client: failing });

      await expect(actions.setSignInApproval({ on: true })).resolves.toEqual({
        serverError: `${GENERIC_ACTION_ERROR} (Reference: ${context.requestId})`,
      });
      expect(logger.lines.filter((line) => line.level === "error")).toHaveLength(1);
      await expect(rowsOf(user.id)).resolves.toEqual(before);
    });
  });
});
