// The account page's server actions (lib/actions/account/) end to end, against
// freshly migrated databases, PostgreSQL and PGlite: the real next-safe-action clients,
// the real services, Next's real redirect(), and a fake session that names a real Session
// row. The clock is injected, so "a sign-in older than the limit" is an exact instant.
import { randomBytes } from "node:crypto";

import { redirect } from "next/navigation";
import { beforeAll, describe, expect, inject, it } from "vitest";

import { accountErrorMessages } from "@/lib/account/errors";
import type { PasswordHasher } from "@/lib/account/password";
import { createAccountActions } from "@/lib/actions/account/factory";
import { GENERIC_ACTION_ERROR, type ActionSession } from "@/lib/actions/clients";
import { previewVerification } from "@/lib/auth/email-verification";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { createSecondFactorKeys } from "@/lib/auth/second-factor";
import type { OAuthProviderId } from "@/lib/sign-in-methods";
import { messages } from "@/lib/auth/schemas";
import { createSession } from "@/lib/auth/sessions";
import { parseSettings, type Settings } from "@/lib/env";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import { createRateLimiter } from "@/lib/rate-limit";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import type { PasswordGuard } from "@/lib/security/password-guard";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { testMail } from "@/tests/support/mail";
import { testPasswordGuard } from "@/tests/support/password-guard";

const serverUrl = inject("databaseUrl");

const backends = databaseBackends(serverUrl);

// GitHub is configured, Google and Stack Overflow are not.
const settings = parseSettings(
  { AUTH_GITHUB_ID: "github-client", AUTH_GITHUB_SECRET: "github-secret" },
  { devSecret: () => "d".repeat(43) },
);
const MAX_AGE = settings.auth.recentSignInMaxAgeSeconds;
const secondFactorKeys = createSecondFactorKeys(settings.auth.secret);

// The injected clock: every action runs at T.
const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const DAY = 86_400;

const context: RequestContext = {
  ip: "203.0.113.77",
  userAgent: "Firefox/141",
  requestId: "req-account-actions",
};

const SIGN_IN_URL = "/sign-in?callbackUrl=%2Faccount";
const REAUTH_URL = "/sign-in?callbackUrl=%2Faccount&reauth=1";
const GITHUB_AUTHORIZE_URL = "https://github.com/login/oauth/authorize?client_id=github-client";

const OLD_PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a lighthouse keeper's tr0mbone";

/** What Auth.js's signIn/signOut do at the end: throw Next's redirect. */
const redirectingTo = (url: string): Promise<never> => Promise.resolve().then(() => redirect(url));

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

describe.each(backends)("account actions on $name", (backend) => {
  describe.runIf(backend.available)("createAccountActions", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    /** argon2id of OLD_PASSWORD, hashed once. */
    let oldHash: string;
    let counter = 0;
    const unique = (prefix: string) => `${prefix}-${++counter}-${randomBytes(3).toString("hex")}`;
    const uniqueEmail = () => `${unique("person")}@example.com`;

    beforeAll(async () => {
      oldHash = await hashPassword(OLD_PASSWORD);
    });

    interface Harness {
      /** The browser asking; null = signed out. */
      session: ActionSession | null;
      hasher?: PasswordHasher;
      /** Replaces the Prisma client the actions get from services(). */
      prisma?: PrismaClient;
      requestContext?: () => Promise<RequestContext>;
      /** Default: a fresh guard with the settings' limits, waits recorded (not slept). */
      passwordGuard?: PasswordGuard;
      /** Default: GitHub configured, no Telegram bot. */
      settings?: Settings;
      /** Replaces some of the settings' rate limits. */
      rateLimits?: Partial<Settings["rateLimits"]>;
    }

    // Queued mails (an address added with a password gets a confirmation link).
    const { mail, mailsOf } = testMail(settings);

    function harness({
      session,
      hasher,
      prisma: client,
      requestContext,
      passwordGuard = testPasswordGuard(settings).guard,
      settings: actionSettings = settings,
      rateLimits,
    }: Harness) {
      const logger = memoryLogger();
      const limiter = createRateLimiter({
        backend: createMemoryRateLimitBackend(),
        now: Date.now,
        logger,
        settings: { ...actionSettings.rateLimits, ...rateLimits },
      });
      const calls = {
        startOAuth: [] as { provider: OAuthProviderId; redirectTo: string }[],
        signOut: [] as string[],
      };
      const actions = createAccountActions({
        services: () => ({
          settings: actionSettings,
          logger,
          database: client ? { ...db(), prisma: client } : db(),
          passwordGuard,
          // No hooks registered: what they add (Telegram alerts) is tested with the outbox.
          afterRecord: () => Promise.resolve(),
          limiter,
          mail,
          secondFactorKeys,
        }),
        getSession: () => Promise.resolve(session),
        requestContext: requestContext ?? (() => Promise.resolve(context)),
        now: () => T,
        // Only the passkey actions use cookies: tests/integration/passkey-account-actions.test.ts.
        cookies: () => Promise.resolve({ get: () => undefined, set: () => undefined }),
        startOAuth: (provider, redirectTo) => {
          calls.startOAuth.push({ provider, redirectTo });
          return redirectingTo(GITHUB_AUTHORIZE_URL);
        },
        signOut: (redirectTo) => {
          calls.signOut.push(redirectTo);
          return redirectingTo(redirectTo);
        },
        hasher,
      });
      return { actions, logger, calls };
    }

    /** A user with the given sign-in methods. `email: null` = a provider gave none. */
    async function newUser({
      email = uniqueEmail(),
      passwordHash = null,
      identities = [],
    }: {
      email?: string | null;
      passwordHash?: string | null;
      identities?: OAuthProviderId[];
    } = {}) {
      const user = await prisma().user.create({
        data: {
          email,
          name: "Grace",
          ...(passwordHash === null ? {} : { password: { create: { hash: passwordHash } } }),
        },
      });
      const accounts = [];
      for (const provider of identities) {
        accounts.push(
          await prisma().account.create({
            data: {
              userId: user.id,
              type: "oauth",
              provider,
              providerAccountId: unique(provider),
              label: `grace on ${provider}`,
            },
          }),
        );
      }
      return { ...user, accounts };
    }

    /** A Session row for the user, and the session the actions see for it. */
    async function signIn(
      userId: string,
      signedInAt = at(-60),
      device = "this browser",
    ): Promise<ActionSession> {
      const created = await createSession(prisma(), {
        userId,
        method: "password",
        ip: "198.51.100.7",
        userAgent: device,
        maxAgeSeconds: 30 * DAY,
        now: signedInAt,
      });
      return { userId, sessionId: created.sessionId, authTime: signedInAt.getTime() / 1000 };
    }

    /** Everything one user owns, to compare before and after. */
    async function rowsOf(userId: string) {
      return {
        user: await prisma().user.findUnique({ where: { id: userId } }),
        accounts: await prisma().account.findMany({ where: { userId }, orderBy: { id: "asc" } }),
        sessions: await prisma().session.findMany({ where: { userId }, orderBy: { id: "asc" } }),
        password: await prisma().passwordCredential.findUnique({ where: { userId } }),
        events: await prisma().securityEvent.findMany({
          where: { userId },
          orderBy: { id: "asc" },
        }),
      };
    }

    /** Row counts of every table an action may write. */
    async function tableCounts() {
      return {
        users: await prisma().user.count(),
        accounts: await prisma().account.count(),
        sessions: await prisma().session.count(),
        revokedSessions: await prisma().session.count({ where: { revokedAt: { not: null } } }),
        passwords: await prisma().passwordCredential.count(),
        events: await prisma().securityEvent.count(),
      };
    }

    /** Snapshot of the whole database as far as these tests can change it. */
    async function snapshot(...userIds: string[]) {
      return {
        counts: await tableCounts(),
        users: await Promise.all(userIds.map((id) => rowsOf(id))),
      };
    }

    const eventsOf = (userId: string) =>
      prisma().securityEvent.findMany({
        where: { userId },
        select: {
          type: true,
          method: true,
          detail: true,
          ip: true,
          userAgent: true,
          requestId: true,
          createdAt: true,
        },
        orderBy: { id: "asc" },
      });

    const eventContext = { ...context, createdAt: T };

    // ---- Who may call ------------------------------------------------------------------

    it("without a session, every action redirects to sign-in and changes nothing", async () => {
      const user = await newUser({ passwordHash: oldHash, identities: ["google", "github"] });
      const session = await signIn(user.id);
      const before = await snapshot(user.id);
      const { actions, calls, logger } = harness({ session: null });

      const attempts: Promise<unknown>[] = [
        actions.linkProvider({ provider: "github" }),
        actions.unlinkIdentity({ accountId: user.accounts[0]?.id ?? "" }),
        actions.setPassword({ password: NEW_PASSWORD }),
        actions.changePassword({ currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD }),
        actions.revokeSession({ sessionId: session.sessionId }),
        actions.revokeOtherSessions(),
        actions.revokeAllSessions(),
        actions.setSignInApproval({ on: true }),
      ];
      for (const attempt of attempts) {
        await expect(redirectOf(attempt)).resolves.toBe(SIGN_IN_URL);
      }

      await expect(snapshot(user.id)).resolves.toEqual(before);
      expect(calls).toEqual({ startOAuth: [], signOut: [] });
      // A redirect is not a failure: nothing is logged as an error.
      expect(logger.lines.filter((line) => line.level === "error")).toEqual([]);
    });

    it("without a recent sign-in, link, unlink, set password, change password, revoke all and the Telegram actions redirect to the reauth URL and change nothing", async () => {
      const withPassword = await newUser({
        passwordHash: oldHash,
        identities: ["google", "stackoverflow"],
      });
      const withoutPassword = await newUser({ identities: ["google", "stackoverflow"] });
      const stale = await signIn(withPassword.id, at(-MAX_AGE - 1));
      const staleToo = await signIn(withoutPassword.id, at(-MAX_AGE - 1));
      const otherDevice = await signIn(withPassword.id, at(-10), "other device");
      const before = await snapshot(withPassword.id, withoutPassword.id);

      const asWithPassword = harness({ session: stale });
      const asWithoutPassword = harness({ session: staleToo });
      // A token from before authTime existed counts as not recent either.
      const asUnknownAge = harness({ session: { ...stale, authTime: null } });
      // Nor does a sign-in time in the future beyond the allowed clock skew.
      const asFuture = harness({ session: { ...stale, authTime: at(120).getTime() / 1000 } });

      const attempts: Promise<unknown>[] = [
        asWithPassword.actions.linkProvider({ provider: "github" }),
        asWithPassword.actions.unlinkIdentity({ accountId: withPassword.accounts[0]?.id ?? "" }),
        asWithoutPassword.actions.setPassword({ password: NEW_PASSWORD }),
        asWithPassword.actions.changePassword({
          currentPassword: OLD_PASSWORD,
          newPassword: NEW_PASSWORD,
        }),
        asWithPassword.actions.revokeAllSessions(),
        asUnknownAge.actions.unlinkIdentity({ accountId: withPassword.accounts[0]?.id ?? "" }),
        asFuture.actions.revokeAllSessions(),
        asWithPassword.actions.connectTelegram(),
        asWithPassword.actions.disconnectTelegram(),
        asWithPassword.actions.setSignInApproval({ on: true }),
      ];
      for (const attempt of attempts) {
        await expect(redirectOf(attempt)).resolves.toBe(REAUTH_URL);
      }

      await expect(snapshot(withPassword.id, withoutPassword.id)).resolves.toEqual(before);
      for (const { calls } of [asWithPassword, asWithoutPassword, asUnknownAge, asFuture]) {
        expect(calls).toEqual({ startOAuth: [], signOut: [] });
      }

      // Revoking one device or all others needs only a valid session, however old.
      const { actions } = asWithPassword;
      await expect(actions.revokeSession({ sessionId: otherDevice.sessionId })).resolves.toEqual({
        data: { revoked: 1 },
      });
      const third = await signIn(withPassword.id, at(-5), "third device");
      await expect(actions.revokeOtherSessions()).resolves.toEqual({ data: { revoked: 1 } });
      await expect(
        prisma().session.findUniqueOrThrow({ where: { id: third.sessionId } }),
      ).resolves.toMatchObject({ revokedAt: T });
      await expect(
        prisma().session.findUniqueOrThrow({ where: { id: stale.sessionId } }),
      ).resolves.toMatchObject({ revokedAt: null });
    });

    it("a sign-in exactly recentSignInMaxAgeSeconds old still counts as recent", async () => {
      const user = await newUser({ identities: ["google", "stackoverflow"] });
      const session = await signIn(user.id, at(-MAX_AGE));
      const { actions } = harness({ session });

      await expect(
        actions.unlinkIdentity({ accountId: user.accounts[0]?.id ?? "" }),
      ).resolves.toEqual({ data: { provider: "google" } });
    });

    // ---- Input validation --------------------------------------------------------------

    it("refuses invalid input with field messages and changes nothing", async () => {
      const user = await newUser({ passwordHash: oldHash, identities: ["google", "github"] });
      const noPassword = await newUser({ identities: ["google", "github"] });
      const session = await signIn(user.id);
      const noPasswordSession = await signIn(noPassword.id);
      const before = await snapshot(user.id, noPassword.id);
      const { actions, calls } = harness({ session });
      const asNoPassword = harness({ session: noPasswordSession }).actions;

      const fieldErrors = (fields: Record<string, string[]>) => ({
        validationErrors: { formErrors: [], fieldErrors: fields },
      });

      // Row ids: empty (or blank) and longer than any cuid.
      for (const accountId of ["", "   "]) {
        await expect(actions.unlinkIdentity({ accountId })).resolves.toEqual(
          fieldErrors({ accountId: ["Missing id."] }),
        );
      }
      await expect(actions.unlinkIdentity({ accountId: "c".repeat(65) })).resolves.toEqual(
        fieldErrors({ accountId: ["Unknown id."] }),
      );
      await expect(actions.revokeSession({ sessionId: "" })).resolves.toEqual(
        fieldErrors({ sessionId: ["Missing id."] }),
      );
      await expect(actions.revokeSession({ sessionId: "s".repeat(65) })).resolves.toEqual(
        fieldErrors({ sessionId: ["Unknown id."] }),
      );

      // A provider that does not exist at all (not merely unconfigured).
      await expect(actions.linkProvider({ provider: "facebook" as never })).resolves.toEqual(
        fieldErrors({ provider: ["Unknown sign-in method."] }),
      );

      // New passwords follow the sign-up policy.
      await expect(asNoPassword.setPassword({ password: "short" })).resolves.toEqual(
        fieldErrors({ password: [messages.passwordTooShort] }),
      );
      await expect(asNoPassword.setPassword({ password: "IloveYou" })).resolves.toEqual(
        fieldErrors({ password: [messages.passwordTooCommon] }),
      );
      await expect(
        asNoPassword.setPassword({ password: NEW_PASSWORD, email: "not an email" }),
      ).resolves.toEqual(fieldErrors({ email: [messages.emailInvalid] }));
      await expect(
        actions.changePassword({ currentPassword: OLD_PASSWORD, newPassword: "short" }),
      ).resolves.toEqual(fieldErrors({ newPassword: [messages.passwordTooShort] }));
      await expect(
        actions.changePassword({ currentPassword: OLD_PASSWORD, newPassword: "IloveYou" }),
      ).resolves.toEqual(fieldErrors({ newPassword: [messages.passwordTooCommon] }));
      await expect(
        actions.changePassword({ currentPassword: "", newPassword: NEW_PASSWORD }),
      ).resolves.toEqual(fieldErrors({ currentPassword: [messages.passwordRequired] }));

      await expect(snapshot(user.id, noPassword.id)).resolves.toEqual(before);
      expect(calls).toEqual({ startOAuth: [], signOut: [] });
    });

    // ---- Another user's rows ----------------------------------------------------------

    it("another user's identity or session id gets the same not-found as an unknown one, and their rows stay as they were", async () => {
      const me = await newUser({ passwordHash: oldHash, identities: ["google", "github"] });
      const them = await newUser({ passwordHash: oldHash, identities: ["google", "github"] });
      const mySession = await signIn(me.id);
      const theirSession = await signIn(them.id, at(-30), "their laptop");
      const before = await snapshot(me.id, them.id);
      const { actions, calls } = harness({ session: mySession });
      const notFound = { serverError: accountErrorMessages["not-found"] };

      for (const account of them.accounts) {
        await expect(actions.unlinkIdentity({ accountId: account.id })).resolves.toEqual(notFound);
      }
      await expect(actions.unlinkIdentity({ accountId: "no-such-identity" })).resolves.toEqual(
        notFound,
      );
      await expect(actions.revokeSession({ sessionId: theirSession.sessionId })).resolves.toEqual(
        notFound,
      );
      await expect(actions.revokeSession({ sessionId: "no-such-session" })).resolves.toEqual(
        notFound,
      );

      await expect(snapshot(me.id, them.id)).resolves.toEqual(before);
      expect(calls).toEqual({ startOAuth: [], signOut: [] });
      expect(accountErrorMessages["not-found"]).toBe(
        "We could not find that on your account. It may have been removed already.",
      );
    });

    // ---- unlinkIdentity ----------------------------------------------------------------

    it("unlinkIdentity refuses to remove the only way to sign in; a password counts only with an email", async () => {
      const onlyIdentity = await newUser({ identities: ["google"] });
      // Stack Overflow gives no email: a password without one cannot be used to sign in.
      const passwordNoEmail = await newUser({
        email: null,
        passwordHash: oldHash,
        identities: ["stackoverflow"],
      });
      const lastMethod = { serverError: accountErrorMessages["last-sign-in-method"] };

      for (const user of [onlyIdentity, passwordNoEmail]) {
        const { actions } = harness({ session: await signIn(user.id) });
        const accountId = user.accounts[0]?.id ?? "";
        const before = await snapshot(user.id);

        await expect(actions.unlinkIdentity({ accountId })).resolves.toEqual(lastMethod);

        await expect(snapshot(user.id)).resolves.toEqual(before);
        await expect(prisma().account.findUnique({ where: { id: accountId } })).resolves.toEqual(
          user.accounts[0],
        );
      }
    });

    it("unlinkIdentity removes an identity when a password with an email remains, and records ACCOUNT_UNLINKED", async () => {
      const user = await newUser({ passwordHash: oldHash, identities: ["github"] });
      const bystander = await newUser({ identities: ["github"] });
      const bystanderBefore = await rowsOf(bystander.id);
      const { actions, calls } = harness({ session: await signIn(user.id) });
      const accountId = user.accounts[0]?.id ?? "";

      await expect(actions.unlinkIdentity({ accountId })).resolves.toEqual({
        data: { provider: "github" },
      });

      await expect(prisma().account.findUnique({ where: { id: accountId } })).resolves.toBeNull();
      await expect(
        prisma().passwordCredential.findUnique({ where: { userId: user.id } }),
      ).resolves.toMatchObject({ hash: oldHash });
      await expect(eventsOf(user.id)).resolves.toEqual([
        {
          type: "ACCOUNT_UNLINKED",
          method: "github",
          detail: "unlinked from the account page",
          ...eventContext,
        },
      ]);
      await expect(rowsOf(bystander.id)).resolves.toEqual(bystanderBefore);
      expect(calls).toEqual({ startOAuth: [], signOut: [] });

      // Now the password is the last method: the guard counts it as one.
      const withTwo = await newUser({ identities: ["google", "github"] });
      const asWithTwo = harness({ session: await signIn(withTwo.id) }).actions;
      await expect(
        asWithTwo.unlinkIdentity({ accountId: withTwo.accounts[1]?.id ?? "" }),
      ).resolves.toEqual({ data: { provider: "github" } });
      await expect(
        asWithTwo.unlinkIdentity({ accountId: withTwo.accounts[0]?.id ?? "" }),
      ).resolves.toEqual({ serverError: accountErrorMessages["last-sign-in-method"] });
      await expect(
        prisma().account.findMany({ where: { userId: withTwo.id } }),
      ).resolves.toMatchObject([{ provider: "google" }]);
    });

    // ---- linkProvider ------------------------------------------------------------------

    it("linkProvider refuses an unconfigured or already linked provider, and otherwise hands over to OAuth with the way back", async () => {
      const user = await newUser({ identities: ["github"] });
      const session = await signIn(user.id);
      const before = await snapshot(user.id);
      const { actions, calls } = harness({ session });

      for (const provider of ["google", "stackoverflow"] as const) {
        await expect(actions.linkProvider({ provider })).resolves.toEqual({
          serverError: accountErrorMessages["provider-unavailable"],
        });
      }
      await expect(actions.linkProvider({ provider: "github" })).resolves.toEqual({
        serverError: accountErrorMessages["already-linked"],
      });
      expect(calls.startOAuth).toEqual([]);
      await expect(snapshot(user.id)).resolves.toEqual(before);

      // Another user's GitHub identity does not count as this user's.
      const notLinked = await newUser({ identities: ["google"] });
      const second = harness({ session: await signIn(notLinked.id) });
      const beforeLink = await snapshot(notLinked.id);

      await expect(redirectOf(second.actions.linkProvider({ provider: "github" }))).resolves.toBe(
        GITHUB_AUTHORIZE_URL,
      );
      expect(second.calls.startOAuth).toEqual([
        { provider: "github", redirectTo: "/account?linked=github" },
      ]);
      expect(second.calls.signOut).toEqual([]);
      // The identity joins in the OAuth callback, not here.
      await expect(snapshot(notLinked.id)).resolves.toEqual(beforeLink);
    });

    // ---- setPassword -------------------------------------------------------------------

    it("setPassword adds an argon2id password to an account with an email and records PASSWORD_SET with the request context", async () => {
      const user = await newUser({ identities: ["google"] });
      const { actions } = harness({ session: await signIn(user.id) });

      // An email sent along is ignored: the account's own stays.
      await expect(
        actions.setPassword({ password: NEW_PASSWORD, email: "elsewhere@example.com" }),
      ).resolves.toEqual({ data: { ok: true } });

      const credential = await prisma().passwordCredential.findUniqueOrThrow({
        where: { userId: user.id },
      });
      expect(credential.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await expect(verifyPassword(credential.hash, NEW_PASSWORD)).resolves.toBe(true);
      await expect(verifyPassword(credential.hash, OLD_PASSWORD)).resolves.toBe(false);
      await expect(
        prisma().user.findUniqueOrThrow({ where: { id: user.id } }),
      ).resolves.toMatchObject({ email: user.email, emailVerified: null });
      await expect(eventsOf(user.id)).resolves.toEqual([
        {
          type: "PASSWORD_SET",
          method: "password",
          detail: "password added from the account page",
          ...eventContext,
        },
      ]);
      // The account's address was not added here: no confirmation link.
      await expect(mailsOf(prisma(), user.id)).resolves.toEqual([]);

      // A second time: the account has one already.
      const before = await snapshot(user.id);
      await expect(actions.setPassword({ password: "yet another passphrase" })).resolves.toEqual({
        serverError: accountErrorMessages["password-exists"],
      });
      await expect(snapshot(user.id)).resolves.toEqual(before);
    });

    it("setPassword on an account without an email needs one, stores it unverified, mails it a confirmation link, and refuses another user's", async () => {
      const user = await newUser({ email: null, identities: ["stackoverflow"] });
      const someoneElse = await newUser({ passwordHash: oldHash, identities: ["google"] });
      const { actions } = harness({ session: await signIn(user.id) });
      const before = await snapshot(user.id, someoneElse.id);

      // No email at all (or a blank one): asked for next to the email field.
      for (const email of [undefined, "   "]) {
        await expect(actions.setPassword({ password: NEW_PASSWORD, email })).resolves.toEqual({
          validationErrors: {
            formErrors: [],
            fieldErrors: { email: [accountErrorMessages["email-required"]] },
          },
        });
      }
      // Another account's address, in any case: refused next to the email field.
      await expect(
        actions.setPassword({
          password: NEW_PASSWORD,
          email: someoneElse.email?.toUpperCase() ?? "",
        }),
      ).resolves.toEqual({
        validationErrors: {
          formErrors: [],
          fieldErrors: { email: [accountErrorMessages["email-taken"]] },
        },
      });
      // The email's local part as the password: refused next to the password field.
      await expect(
        actions.setPassword({
          password: "Ada.Lovelace.1815",
          email: "ada.lovelace.1815@example.com",
        }),
      ).resolves.toEqual({
        validationErrors: {
          formErrors: [],
          fieldErrors: { password: [accountErrorMessages["password-is-email"]] },
        },
      });
      await expect(snapshot(user.id, someoneElse.id)).resolves.toEqual(before);
      // A refusal sends nothing.
      await expect(mailsOf(prisma(), user.id)).resolves.toEqual([]);

      const email = uniqueEmail();
      await expect(
        actions.setPassword({ password: NEW_PASSWORD, email: `  ${email.toUpperCase()} ` }),
      ).resolves.toEqual({ data: { ok: true } });
      // The address added is sent a link to confirm it, as a sign-up's is.
      const mails = await mailsOf(prisma(), user.id);
      expect(mails).toEqual([
        {
          kind: "VERIFY_EMAIL",
          to: email,
          data: { expiresInMinutes: 24 * 60 },
          link: expect.stringMatching(
            new RegExp(`^${settings.appUrl}/verify-email\\?token=[A-Za-z0-9_-]{43}$`),
          ) as string,
        },
      ]);
      const token = new URL(mails[0]?.link ?? "").searchParams.get("token");
      await expect(previewVerification(prisma(), token, T)).resolves.toMatchObject({
        status: "valid",
        email,
      });
      await expect(
        prisma().user.findUniqueOrThrow({ where: { id: user.id }, include: { password: true } }),
      ).resolves.toMatchObject({
        email,
        emailVerified: null,
        password: { hash: expect.stringMatching(/^\$argon2id\$/) as string },
      });
      const { hash } = await prisma().passwordCredential.findUniqueOrThrow({
        where: { userId: user.id },
      });
      await expect(verifyPassword(hash, NEW_PASSWORD)).resolves.toBe(true);
      await expect(eventsOf(user.id)).resolves.toEqual([
        {
          type: "PASSWORD_SET",
          method: "password",
          detail: "password and email added from the account page",
          ...eventContext,
        },
      ]);
      // Password + email now count as a way to sign in: the only identity may go.
      await expect(
        actions.unlinkIdentity({ accountId: user.accounts[0]?.id ?? "" }),
      ).resolves.toEqual({ data: { provider: "stackoverflow" } });
    });

    it("setPassword with an address is held to the mail budget: refused once spent, nothing changes", async () => {
      const user = await newUser({ email: null, identities: ["stackoverflow"] });
      const { actions } = harness({
        session: await signIn(user.id),
        rateLimits: { mailAddress: { limit: 1, windowMs: 900_000 } },
      });
      const email = `ada.lovelace.${randomBytes(3).toString("hex")}@example.com`;
      // A refused attempt still counts: it asked to mail that address.
      await expect(
        actions.setPassword({ password: email.split("@")[0] ?? "", email }),
      ).resolves.toMatchObject({
        validationErrors: { fieldErrors: { password: [expect.any(String)] } },
      });
      const before = await snapshot(user.id);
      const refused = await actions.setPassword({ password: NEW_PASSWORD, email });
      expect(refused.serverError).toMatch(
        /^Too many mails asked for\. Please wait \d+ (minute|second)s? and try again\.$/,
      );
      await expect(snapshot(user.id)).resolves.toEqual(before);
      await expect(mailsOf(prisma(), user.id)).resolves.toEqual([]);
    });

    it("setPassword refuses the account's own email address as the password", async () => {
      const email = `margaret.hamilton.${randomBytes(3).toString("hex")}@example.com`;
      const user = await newUser({ email, identities: ["google"] });
      const { actions } = harness({ session: await signIn(user.id) });
      const before = await snapshot(user.id);
      const localPart = email.slice(0, email.indexOf("@"));

      for (const password of [localPart.toUpperCase(), email]) {
        await expect(actions.setPassword({ password })).resolves.toEqual({
          validationErrors: {
            formErrors: [],
            fieldErrors: { password: [accountErrorMessages["password-is-email"]] },
          },
        });
      }
      await expect(snapshot(user.id)).resolves.toEqual(before);
    });

    // ---- changePassword ----------------------------------------------------------------

    it("changePassword refuses a wrong current password, the same password, the email, or an account without a password", async () => {
      const email = `katherine.johnson.${randomBytes(3).toString("hex")}@example.com`;
      const user = await newUser({ email, passwordHash: oldHash, identities: ["google"] });
      const session = await signIn(user.id);
      await signIn(user.id, at(-30), "other device");
      const before = await snapshot(user.id);
      const { actions } = harness({ session });
      const fieldError = (field: string, message: string) => ({
        validationErrors: { formErrors: [], fieldErrors: { [field]: [message] } },
      });

      await expect(
        actions.changePassword({
          currentPassword: "not my password at all",
          newPassword: NEW_PASSWORD,
        }),
      ).resolves.toEqual(fieldError("currentPassword", accountErrorMessages["wrong-password"]));
      await expect(
        actions.changePassword({ currentPassword: OLD_PASSWORD, newPassword: OLD_PASSWORD }),
      ).resolves.toEqual(fieldError("newPassword", accountErrorMessages["same-password"]));
      await expect(
        actions.changePassword({
          currentPassword: OLD_PASSWORD,
          newPassword: email.slice(0, email.indexOf("@")),
        }),
      ).resolves.toEqual(fieldError("newPassword", accountErrorMessages["password-is-email"]));

      await expect(snapshot(user.id)).resolves.toEqual(before);
      const { hash } = await prisma().passwordCredential.findUniqueOrThrow({
        where: { userId: user.id },
      });
      expect(hash).toBe(oldHash);

      const noPassword = await newUser({ identities: ["google"] });
      const noPasswordBefore = await snapshot(noPassword.id);
      const asNoPassword = harness({ session: await signIn(noPassword.id) }).actions;
      const noPasswordAfterSignIn = await snapshot(noPassword.id);
      await expect(
        asNoPassword.changePassword({ currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD }),
      ).resolves.toEqual({ serverError: accountErrorMessages["no-password"] });
      await expect(snapshot(noPassword.id)).resolves.toEqual(noPasswordAfterSignIn);
      expect(noPasswordBefore.counts.passwords).toBe(noPasswordAfterSignIn.counts.passwords);
    });

    it("changePassword's current-password check is slowed, then limited per account, like sign-in", async () => {
      const email = `grace.hopper.${randomBytes(3).toString("hex")}@example.com`;
      const user = await newUser({ email, passwordHash: oldHash });
      const { guard, waits } = testPasswordGuard(settings, {
        signInAccount: { limit: 6, windowMs: 60_000 },
      });
      const { actions } = harness({ session: await signIn(user.id), passwordGuard: guard });
      const before = await snapshot(user.id);
      const wrong = () =>
        actions.changePassword({ currentPassword: "a wrong guess", newPassword: NEW_PASSWORD });

      for (let attempt = 1; attempt <= 6; attempt += 1) {
        await expect(wrong()).resolves.toMatchObject({
          validationErrors: {
            fieldErrors: { currentPassword: [accountErrorMessages["wrong-password"]] },
          },
        });
      }
      // Three free failures, then the throttle's doubling delay before each check.
      expect(waits).toEqual([250, 500, 1_000]);

      // The seventh attempt is over the account's limit: refused before any check, even
      // with the right password, and nothing changes.
      await expect(
        actions.changePassword({ currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD }),
      ).resolves.toMatchObject({
        validationErrors: {
          fieldErrors: { currentPassword: [accountErrorMessages["too-many-attempts"]] },
        },
      });
      await expect(snapshot(user.id)).resolves.toEqual(before);

      // The budget is the account's, shared with sign-in: a sign-in guess now is refused too.
      await expect(guard.admit({ ip: "198.51.100.7", account: email })).resolves.toMatchObject({
        ok: false,
        reason: "limited",
      });
    });

    it("changePassword replaces the hash and, by default, signs out every other session of the user", async () => {
      const user = await newUser({ passwordHash: oldHash, identities: ["google"] });
      const bystander = await newUser({ passwordHash: oldHash });
      const current = await signIn(user.id);
      const laptop = await signIn(user.id, at(-3_000), "laptop");
      const phone = await signIn(user.id, at(-2_000), "phone");
      await signIn(bystander.id, at(-100), "their browser");
      const bystanderBefore = await rowsOf(bystander.id);
      const { actions, calls } = harness({ session: current });

      await expect(
        actions.changePassword({ currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD }),
      ).resolves.toEqual({ data: { signedOutSessions: 2 } });

      const { hash } = await prisma().passwordCredential.findUniqueOrThrow({
        where: { userId: user.id },
      });
      await expect(verifyPassword(hash, NEW_PASSWORD)).resolves.toBe(true);
      await expect(verifyPassword(hash, OLD_PASSWORD)).resolves.toBe(false);
      const sessions = await prisma().session.findMany({ where: { userId: user.id } });
      expect(Object.fromEntries(sessions.map((s) => [s.id, s.revokedAt]))).toEqual({
        [current.sessionId]: null,
        [laptop.sessionId]: T,
        [phone.sessionId]: T,
      });
      await expect(eventsOf(user.id)).resolves.toEqual([
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: "password changed: all other sessions revoked (2 sessions)",
          ...eventContext,
        },
        {
          type: "PASSWORD_CHANGED",
          method: "password",
          detail: "password changed; other sessions signed out (2)",
          ...eventContext,
        },
      ]);
      await expect(rowsOf(bystander.id)).resolves.toEqual(bystanderBefore);
      // The browser making the change stays signed in.
      expect(calls).toEqual({ startOAuth: [], signOut: [] });
    });

    it("changePassword with signOutOtherSessions false keeps the other sessions", async () => {
      const user = await newUser({ passwordHash: oldHash });
      const current = await signIn(user.id);
      const laptop = await signIn(user.id, at(-3_000), "laptop");
      const { actions } = harness({ session: current });

      await expect(
        actions.changePassword({
          currentPassword: OLD_PASSWORD,
          newPassword: NEW_PASSWORD,
          signOutOtherSessions: false,
        }),
      ).resolves.toEqual({ data: { signedOutSessions: 0 } });

      const { hash } = await prisma().passwordCredential.findUniqueOrThrow({
        where: { userId: user.id },
      });
      await expect(verifyPassword(hash, NEW_PASSWORD)).resolves.toBe(true);
      await expect(
        prisma().session.findMany({
          where: { userId: user.id, revokedAt: null },
          orderBy: { createdAt: "asc" },
          select: { id: true },
        }),
      ).resolves.toEqual([{ id: laptop.sessionId }, { id: current.sessionId }]);
      await expect(eventsOf(user.id)).resolves.toEqual([
        {
          type: "PASSWORD_CHANGED",
          method: "password",
          detail: "password changed; other sessions kept",
          ...eventContext,
        },
      ]);

      // The old password no longer proves anything.
      await expect(
        actions.changePassword({ currentPassword: OLD_PASSWORD, newPassword: "third passphrase!" }),
      ).resolves.toEqual({
        validationErrors: {
          formErrors: [],
          fieldErrors: { currentPassword: [accountErrorMessages["wrong-password"]] },
        },
      });
    });

    // ---- Telegram ----------------------------------------------------------------------

    it("connectTelegram gives a single-use t.me link; disconnectTelegram removes the chat", async () => {
      const withBot = parseSettings(
        {
          TELEGRAM_BOT_TOKEN: `123456:${"A".repeat(35)}`,
          TELEGRAM_BOT_USERNAME: "gatehouse_bot",
          TELEGRAM_WEBHOOK_SECRET: "s".repeat(32),
        },
        { devSecret: () => "d".repeat(43) },
      );
      const user = await newUser({ identities: ["google"] });
      const { actions } = harness({ session: await signIn(user.id), settings: withBot });

      const first = await actions.connectTelegram();
      const url = first.data?.url ?? "";
      expect(url).toMatch(/^https:\/\/t\.me\/gatehouse_bot\?start=[A-Za-z0-9_-]{43}$/);
      expect(first.data?.expiresAt).toBe(new Date(T.getTime() + 600_000).toISOString());
      const second = await actions.connectTelegram();
      expect(second.data?.url).not.toBe(url);
      // Only the newest link works: the first was replaced.
      expect(await prisma().telegramLinkToken.count({ where: { userId: user.id } })).toBe(1);

      await expect(actions.disconnectTelegram()).resolves.toEqual({
        serverError: accountErrorMessages["not-found"],
      });
      await prisma().telegramLink.create({
        data: { userId: user.id, chatId: BigInt(Date.now()), telegramUserId: 7n },
      });
      await expect(actions.disconnectTelegram()).resolves.toEqual({
        data: { disconnected: true },
      });
      expect(await prisma().telegramLink.count({ where: { userId: user.id } })).toBe(0);

      // Without a bot, connecting says so.
      const noBot = harness({ session: await signIn(user.id) });
      await expect(noBot.actions.connectTelegram()).resolves.toEqual({
        serverError: accountErrorMessages["telegram-unavailable"],
      });
    });

    // ---- Sessions ----------------------------------------------------------------------

    it("revokeSession revokes another device of the user; revoking this browser's own session signs it out", async () => {
      const user = await newUser({ identities: ["google"] });
      const current = await signIn(user.id);
      const laptop = await signIn(user.id, at(-3_000), "laptop");
      const { actions, calls } = harness({ session: current });

      await expect(actions.revokeSession({ sessionId: laptop.sessionId })).resolves.toEqual({
        data: { revoked: 1 },
      });
      await expect(
        prisma().session.findUniqueOrThrow({ where: { id: laptop.sessionId } }),
      ).resolves.toMatchObject({ revokedAt: T });
      expect(calls.signOut).toEqual([]);
      // Already revoked: nothing left to revoke there.
      await expect(actions.revokeSession({ sessionId: laptop.sessionId })).resolves.toEqual({
        serverError: accountErrorMessages["not-found"],
      });

      await expect(
        redirectOf(actions.revokeSession({ sessionId: current.sessionId })),
      ).resolves.toBe("/sign-in");
      expect(calls.signOut).toEqual(["/sign-in"]);
      await expect(
        prisma().session.findUniqueOrThrow({ where: { id: current.sessionId } }),
      ).resolves.toMatchObject({ revokedAt: T });
      await expect(eventsOf(user.id)).resolves.toEqual([
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: "revoked from the account page",
          ...eventContext,
        },
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: "revoked from the account page",
          ...eventContext,
        },
      ]);
    });

    it("revokeOtherSessions revokes every other session of the user and keeps this one", async () => {
      const user = await newUser({ identities: ["google"] });
      const bystander = await newUser({ identities: ["google"] });
      const current = await signIn(user.id);
      await signIn(user.id, at(-3_000), "laptop");
      await signIn(user.id, at(-2_000), "phone");
      await signIn(bystander.id, at(-100), "their browser");
      const bystanderBefore = await rowsOf(bystander.id);
      const { actions, calls } = harness({ session: current });

      await expect(actions.revokeOtherSessions()).resolves.toEqual({ data: { revoked: 2 } });

      await expect(
        prisma().session.findMany({
          where: { userId: user.id, revokedAt: null },
          select: { id: true },
        }),
      ).resolves.toEqual([{ id: current.sessionId }]);
      await expect(eventsOf(user.id)).resolves.toEqual([
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: "all other sessions revoked (2 sessions)",
          ...eventContext,
        },
      ]);
      await expect(rowsOf(bystander.id)).resolves.toEqual(bystanderBefore);
      expect(calls.signOut).toEqual([]);

      // Nothing left to revoke: zero, and no event.
      await expect(actions.revokeOtherSessions()).resolves.toEqual({ data: { revoked: 0 } });
      await expect(eventsOf(user.id)).resolves.toHaveLength(1);
    });

    it("revokeAllSessions revokes every session of the user, this one included, and signs this browser out", async () => {
      const user = await newUser({ identities: ["google"] });
      const bystander = await newUser({ identities: ["google"] });
      const current = await signIn(user.id);
      await signIn(user.id, at(-3_000), "laptop");
      await signIn(user.id, at(-2_000), "phone");
      await signIn(bystander.id, at(-100), "their browser");
      const bystanderBefore = await rowsOf(bystander.id);
      const { actions, calls } = harness({ session: current });

      await expect(redirectOf(actions.revokeAllSessions())).resolves.toBe(
        "/sign-in?signedOut=everywhere",
      );

      expect(calls).toEqual({ startOAuth: [], signOut: ["/sign-in?signedOut=everywhere"] });
      await expect(
        prisma().session.findMany({ where: { userId: user.id }, select: { revokedAt: true } }),
      ).resolves.toEqual([{ revokedAt: T }, { revokedAt: T }, { revokedAt: T }]);
      await expect(eventsOf(user.id)).resolves.toEqual([
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: "all sessions revoked (3 sessions)",
          ...eventContext,
        },
      ]);
      await expect(rowsOf(bystander.id)).resolves.toEqual(bystanderBefore);
    });

    // ---- Unexpected failures -----------------------------------------------------------

    it("an unexpected failure answers a generic message with the request id and logs the original error", async () => {
      const user = await newUser({ passwordHash: oldHash, identities: ["google"] });
      const noPassword = await newUser({ identities: ["google"] });
      const session = await signIn(user.id);
      const noPasswordSession = await signIn(noPassword.id);
      const before = await snapshot(user.id, noPassword.id);
      const generic = `${GENERIC_ACTION_ERROR} (Reference: ${context.requestId})`;
      expect(generic).toBe(
        "Something went wrong on our side. Please try again. (Reference: req-account-actions)",
      );

      const internal = [
        // The database fails in the middle of a request.
        {
          error: new Error(
            'could not obtain lock on row in relation "Session" (db.internal:5432, pool 4/4)',
          ),
          run: (error: Error) => {
            const real = prisma();
            const broken = new Proxy(real, {
              get: (target, key) =>
                key === "$transaction"
                  ? () => Promise.reject(error)
                  : (Reflect.get(target, key) as unknown),
            });
            return harness({ session, prisma: broken });
          },
          call: (actions: ReturnType<typeof harness>["actions"]) => actions.revokeOtherSessions(),
        },
        // The password hasher fails (out of memory in the native module, say).
        {
          error: new Error(
            "argon2: memory allocation of 19922944 bytes failed in /srv/app/argon2.node",
          ),
          run: (error: Error) =>
            harness({
              session,
              hasher: {
                hash: () => Promise.reject(error),
                verify: () => Promise.reject(error),
              },
            }),
          call: (actions: ReturnType<typeof harness>["actions"]) =>
            actions.changePassword({ currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD }),
        },
        {
          error: new Error("argon2: thread pool exhausted"),
          run: (error: Error) =>
            harness({
              session: noPasswordSession,
              hasher: { hash: () => Promise.reject(error), verify: () => Promise.reject(error) },
            }),
          call: (actions: ReturnType<typeof harness>["actions"]) =>
            actions.setPassword({ password: NEW_PASSWORD }),
        },
      ];

      for (const { error, run, call } of internal) {
        const { actions, logger, calls } = run(error);
        const result = await call(actions);

        expect(result).toEqual({ serverError: generic });
        // Nothing internal reaches the person: no message text, no stack, no path.
        const shown = JSON.stringify(result);
        for (const fragment of [
          error.message,
          "argon2",
          "Session",
          "db.internal",
          "/srv",
          " at ",
        ]) {
          expect(shown).not.toContain(fragment);
        }
        // The log has what the answer leaves out.
        expect(logger.lines.filter((line) => line.level === "error")).toEqual([
          expect.objectContaining({
            level: "error",
            message: "server action failed",
            requestId: context.requestId,
            error: expect.objectContaining({
              name: "Error",
              message: error.message,
              stack: expect.stringContaining(error.message) as string,
            }) as unknown,
          }),
        ]);
        expect(calls).toEqual({ startOAuth: [], signOut: [] });
      }

      await expect(snapshot(user.id, noPassword.id)).resolves.toEqual(before);
    });

    it("when even the request context cannot be read, the reference says unknown and the error is still logged", async () => {
      const user = await newUser({ identities: ["google"] });
      const session = await signIn(user.id);
      const broken = new Error("headers() called outside a request scope");
      const { actions, logger } = harness({
        session,
        requestContext: () => Promise.reject(broken),
      });

      await expect(actions.revokeOtherSessions()).resolves.toEqual({
        serverError: `${GENERIC_ACTION_ERROR} (Reference: unknown)`,
      });
      expect(logger.lines).toEqual([
        expect.objectContaining({
          level: "error",
          message: "server action failed",
          requestId: "unknown",
          error: expect.objectContaining({ message: broken.message }) as unknown,
        }),
      ]);
    });
  });
});
