// The sign-in, sign-up and sign-out actions (lib/actions/auth/) against a freshly migrated
// database (PGlite always, PostgreSQL when present): the real next-safe-action client, the
// real registration and rate limiter, Next's real redirect(), and a fake Auth.js whose
// signIn/signOut record their calls and answer as told.
import { randomBytes } from "node:crypto";

import { CredentialsSignin } from "next-auth";
import { redirect } from "next/navigation";
import { describe, expect, inject, it } from "vitest";

import { createAuthActions } from "@/lib/actions/auth/factory";
import { GENERIC_SIGN_IN_ERROR } from "@/lib/actions/auth/sign-in";
import { FIX_FIELDS, type SignInOptions } from "@/lib/actions/auth/shared";
import { GENERIC_ACTION_ERROR } from "@/lib/actions/clients";
import { messages } from "@/lib/auth/schemas";
import { createMail } from "@/lib/mail/service";
import { PasswordSignInRefused } from "@/lib/auth/sign-in-refusal";
import { parseSettings } from "@/lib/env";
import type { RequestContext } from "@/lib/http/request-context";
import { createRateLimiter } from "@/lib/rate-limit";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";

const serverUrl = inject("databaseUrl");
const backends = databaseBackends(serverUrl);

// GitHub is configured, Google and Stack Overflow are not.
const settings = parseSettings(
  { AUTH_GITHUB_ID: "github-client", AUTH_GITHUB_SECRET: "github-secret" },
  { devSecret: () => "d".repeat(43) },
);
const context: RequestContext = {
  ip: "203.0.113.9",
  userAgent: "Firefox/141",
  requestId: "req-auth",
};
const PASSWORD = "violet tram 71 under the pier";
const uniqueEmail = () => `person-${randomBytes(4).toString("hex")}@example.com`;

/** The URL of the Next redirect an action rejected with (digest NEXT_REDIRECT;type;url;…). */
async function redirectOf(action: Promise<unknown>): Promise<string> {
  const error = await action.then(
    (result) => {
      throw new Error(`expected a redirect, the action answered ${JSON.stringify(result)}`);
    },
    (error: unknown) => error,
  );
  const digest = (error as { digest?: unknown } | null)?.digest;
  if (typeof digest !== "string" || !digest.startsWith("NEXT_REDIRECT;")) throw error;
  return digest.split(";")[2] ?? "";
}

describe.each(backends)("auth actions on $name", (backend) => {
  describe.runIf(backend.available)("createAuthActions", () => {
    const db = migratedDatabase(backend);

    function harness({
      signIn = (_provider: string, options: SignInOptions) => redirect(options.redirectTo),
      signUpLimit = 100,
      mailAddressLimit = 100,
      hasSession = false,
    }: {
      signIn?: (provider: string, options: SignInOptions) => unknown;
      signUpLimit?: number;
      mailAddressLimit?: number;
      hasSession?: boolean;
    } = {}) {
      const logger = memoryLogger();
      const limiter = createRateLimiter({
        backend: createMemoryRateLimitBackend(),
        now: Date.now,
        logger,
        settings: {
          ...settings.rateLimits,
          signUpIp: { limit: signUpLimit, windowMs: 3_600_000 },
          mailAddress: { limit: mailAddressLimit, windowMs: 3_600_000 },
          mailIp: { limit: 100, windowMs: 3_600_000 },
        },
      });
      // Mail is queued for real (the outbox rows are what the tests read); nothing delivers it.
      const mail = createMail({
        settings: null,
        secret: settings.auth.secret,
        appUrl: settings.appUrl,
        logger,
        deliverSoon: () => {},
      });
      const calls = {
        signIn: [] as { provider: string; options: SignInOptions }[],
        signOut: [] as string[],
        cookies: [] as { name: string; maxAge: number; secure: boolean }[],
      };
      const actions = createAuthActions({
        services: () => ({
          settings,
          logger,
          database: db(),
          limiter,
          mail,
          afterRecord: () => Promise.resolve(),
        }),
        requestContext: () => Promise.resolve(context),
        // Promise-returning like Auth.js's: what they throw becomes a rejection.
        signIn: (provider, options) => {
          calls.signIn.push({ provider, options });
          return Promise.resolve().then(() => signIn(provider, options));
        },
        signOut: ({ redirectTo }) => {
          calls.signOut.push(redirectTo);
          return Promise.resolve().then(() => redirect(redirectTo));
        },
        hasSession: () => Promise.resolve(hasSession),
        cookies: () =>
          Promise.resolve({
            getAll: () => [{ name: "__Secure-authjs.session-token.0" }, { name: "theme" }],
            get: () => undefined,
            set: (name: string, _value: string, options: { maxAge: number; secure: boolean }) =>
              calls.cookies.push({ name, maxAge: options.maxAge, secure: options.secure }),
          }),
      });
      return { actions, calls, logger };
    }

    describe("signInWithPassword", () => {
      it("hands over to Auth.js and lets its redirect through, to a same-origin target only", async () => {
        const { actions, calls } = harness();
        const email = uniqueEmail();
        await expect(
          redirectOf(
            actions.signInWithPassword({ email, password: PASSWORD, callbackUrl: "/account" }),
          ),
        ).resolves.toBe("/account");
        await expect(
          redirectOf(
            actions.signInWithPassword({
              email,
              password: PASSWORD,
              callbackUrl: "https://evil.example/steal",
            }),
          ),
        ).resolves.toBe("/");
        expect(calls.signIn[0]).toEqual({
          provider: "password",
          options: { email, password: PASSWORD, redirectTo: "/account" },
        });
      });

      it("answers every refused credential with the one generic message", async () => {
        const { actions } = harness({
          signIn: () => {
            throw new CredentialsSignin();
          },
        });
        await expect(
          actions.signInWithPassword({ email: uniqueEmail(), password: PASSWORD }),
        ).resolves.toEqual({ serverError: GENERIC_SIGN_IN_ERROR });
        // The policy's own words would tell a guesser which passwords are nobody's.
        await expect(
          actions.signInWithPassword({ email: "not an email", password: "x".repeat(129) }),
        ).resolves.toEqual({
          validationErrors: { formErrors: [GENERIC_SIGN_IN_ERROR], fieldErrors: {} },
        });
      });

      it("names a control character at its field", async () => {
        const { actions, calls } = harness();
        await expect(
          actions.signInWithPassword({ email: uniqueEmail(), password: "pass\u0000word" }),
        ).resolves.toEqual({
          validationErrors: {
            formErrors: [FIX_FIELDS],
            fieldErrors: { password: [messages.passwordNul] },
          },
        });
        expect(calls.signIn).toEqual([]);
      });

      it("says when to come back after too many attempts", async () => {
        const { actions } = harness({
          signIn: () => {
            throw new PasswordSignInRefused({
              reason: "unavailable",
              retryAfterSeconds: 5,
              headers: {},
            });
          },
        });
        await expect(
          actions.signInWithPassword({ email: uniqueEmail(), password: PASSWORD }),
        ).resolves.toEqual({
          serverError: "We can't sign you in right now. Please try again shortly.",
        });
      });

      it("answers anything else with the generic message and the request id, and logs it", async () => {
        const { actions, logger } = harness({
          signIn: () => {
            throw new Error("database is down");
          },
        });
        await expect(
          actions.signInWithPassword({ email: uniqueEmail(), password: PASSWORD }),
        ).resolves.toEqual({ serverError: `${GENERIC_ACTION_ERROR} (Reference: req-auth)` });
        expect(logger.lines).toEqual([
          expect.objectContaining({ level: "error", message: "server action failed" }),
        ]);
      });
    });

    describe("signUp", () => {
      /** The kinds of the mails queued for `email`, oldest first. */
      const mailsTo = async (email: string) =>
        (
          await db().prisma.notificationOutbox.findMany({
            where: { channel: "EMAIL", payload: { path: ["to"], equals: email } },
            orderBy: { createdAt: "asc" },
          })
        ).map((row) => row.kind);

      it("creates the account, mails the link and answers 'check your inbox' without signing in", async () => {
        const { actions, calls } = harness();
        const email = uniqueEmail();
        await expect(actions.signUp({ email, password: PASSWORD, name: "Ada" })).resolves.toEqual({
          data: { email },
        });
        const user = await db().prisma.user.findUnique({ where: { email } });
        expect(user).toMatchObject({ name: "Ada", emailVerified: null });
        expect(await mailsTo(email)).toEqual(["VERIFY_EMAIL"]);
        expect(calls.signIn).toEqual([]);
      });

      it("answers a taken address exactly like a new one, creates nothing and tells the owner", async () => {
        const { actions } = harness();
        const email = uniqueEmail();
        const first = await actions.signUp({ email, password: PASSWORD });
        const users = await db().prisma.user.count();
        const again = await actions.signUp({ email, password: "another fine passphrase 9" });
        expect(again).toEqual(first);
        expect(await db().prisma.user.count()).toBe(users);
        expect(await mailsTo(email)).toEqual(["VERIFY_EMAIL", "SIGN_UP_EXISTING"]);
      });

      it("refuses fields before spending any of the sign-up budget", async () => {
        const { actions } = harness({ signUpLimit: 1 });
        await expect(
          actions.signUp({ email: uniqueEmail(), password: "password123", name: "Ada\u0000" }),
        ).resolves.toEqual({
          validationErrors: {
            formErrors: [FIX_FIELDS],
            fieldErrors: {
              password: [messages.passwordTooCommon],
              name: [messages.nameControlCharacters],
            },
          },
        });
        // The one sign-up of the budget is still there.
        const email = uniqueEmail();
        await expect(actions.signUp({ email, password: PASSWORD })).resolves.toEqual({
          data: { email },
        });
        const refused = await actions.signUp({ email: uniqueEmail(), password: PASSWORD });
        expect(refused.serverError).toMatch(/^Too many attempts/);
      });

      it("counts the owner's mail against the address's mail budget: no mail bombing through sign-up", async () => {
        const { actions } = harness({ mailAddressLimit: 2 });
        const email = uniqueEmail();
        await actions.signUp({ email, password: PASSWORD });
        await actions.signUp({ email, password: PASSWORD });
        const refused = await actions.signUp({ email, password: PASSWORD });
        expect(refused.serverError).toMatch(
          /^Too many attempts\. Please wait \d+ minutes? and try again\.$/,
        );
        expect(await mailsTo(email)).toEqual(["VERIFY_EMAIL", "SIGN_UP_EXISTING"]);
      });
    });

    describe("signInWithProvider", () => {
      const form = (fields: Record<string, string>) => {
        const data = new FormData();
        for (const [name, value] of Object.entries(fields)) data.set(name, value);
        return data;
      };

      it("drops a dead session cookie, then hands over to the provider", async () => {
        const { actions, calls } = harness({ signIn: () => redirect("https://github.com/login") });
        await expect(
          redirectOf(
            actions.signInWithProvider(form({ provider: "github", callbackUrl: "/account" })),
          ),
        ).resolves.toBe("https://github.com/login");
        expect(calls.cookies).toEqual([
          { name: "__Secure-authjs.session-token.0", maxAge: 0, secure: true },
        ]);
        expect(calls.signIn).toEqual([{ provider: "github", options: { redirectTo: "/account" } }]);
      });

      it("keeps a live session's cookie (linking) and sends an unknown provider to the error page", async () => {
        const { actions, calls } = harness({ hasSession: true, signIn: () => redirect("/x") });
        await redirectOf(actions.signInWithProvider(form({ provider: "github" })));
        expect(calls.cookies).toEqual([]);
        await expect(
          redirectOf(actions.signInWithProvider(form({ provider: "google" }))),
        ).resolves.toBe("/auth/error?error=UnknownProvider");
      });

      it("throws a failure, with the generic message, for the button to show", async () => {
        const { actions } = harness({
          signIn: () => {
            throw new Error("adapter failed");
          },
        });
        await expect(actions.signInWithProvider(form({ provider: "github" }))).rejects.toBe(
          `${GENERIC_ACTION_ERROR} (Reference: req-auth)`,
        );
      });
    });

    it("signOut hands over to Auth.js, which ends on the home page", async () => {
      const { actions, calls } = harness();
      await expect(redirectOf(actions.signOut())).resolves.toBe("/");
      expect(calls.signOut).toEqual(["/"]);
    });
  });
});
