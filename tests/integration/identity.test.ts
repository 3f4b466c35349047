// The same-email policy (docs/sign-in.md, "Same email across providers") against freshly
// migrated databases, PostgreSQL and PGlite: one test per row of the table, then the edges around
// it (no email, already linked, events, sign-in bookkeeping, parallel first sign-ins).
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { issueEmailToken } from "@/lib/auth/email-tokens";
import { verifyEmail } from "@/lib/auth/email-verification";
import {
  CurrentUserNotFoundError,
  recordSignIn,
  recordSignInFailure,
  resolveOAuthSignIn,
  TAKEOVER_DETAIL,
  type IdentityDependencies,
  type OAuthIdentity,
} from "@/lib/auth/identity";
import { CLAIM_DETAIL } from "@/lib/auth/claim";
import { createSession } from "@/lib/auth/sessions";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";

const serverUrl = inject("databaseUrl");

// The app's default pool size on PostgreSQL: parallel arrivals really run at once.
const backends = databaseBackends(serverUrl, { poolMax: 10 });

// A syntactically valid argon2id PHC string: the table's CHECK accepts nothing else.
const argon2idHash = `$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$RdescudvJCsgt3ub+b+dWRWJTmaaJObGq8CKvHDZ8c0`;

// The injected clock: every time the policy writes comes from here, so tests can name it.
const T = new Date("2026-06-01T10:00:00.000Z");
const context = { ip: "203.0.113.9", userAgent: "Firefox/140", requestId: "req-identity" };

describe.each(backends)("same-email policy on $name", (backend) => {
  describe.runIf(backend.available)("resolveOAuthSignIn", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    let counter = 0;
    const unique = (prefix: string) => `${prefix}-${++counter}-${randomBytes(3).toString("hex")}`;
    const uniqueEmail = () => `${unique("person")}@example.com`;

    const deps = (overrides: Partial<IdentityDependencies> = {}): IdentityDependencies => ({
      prisma: prisma(),
      now: () => T,
      logger: memoryLogger(),
      ...overrides,
    });

    const identity = (overrides: Partial<OAuthIdentity> = {}): OAuthIdentity => ({
      provider: "google",
      providerAccountId: unique("sub"),
      type: "oidc",
      email: null,
      emailVerified: false,
      name: "Ada Lovelace",
      image: "https://example.com/ada.png",
      label: "ada@example.com",
      tokens: { access_token: "access-1", refresh_token: "refresh-1", expires_at: 1_900_000_000 },
      ...overrides,
    });

    const arrive = (
      arriving: OAuthIdentity,
      currentUserId: string | null = null,
      dependencies = deps(),
      recentSignIn = true,
    ) =>
      resolveOAuthSignIn(dependencies, {
        identity: arriving,
        currentUser: currentUserId === null ? null : { id: currentUserId, recentSignIn },
        context,
      });

    /** A user who signed up with email + password (email unverified), signed in twice. */
    async function passwordUser(email: string, emailVerified: Date | null = null) {
      const user = await prisma().user.create({
        data: { email, emailVerified, name: "Pat", password: { create: { hash: argon2idHash } } },
      });
      for (const device of ["laptop", "phone"]) {
        await createSession(prisma(), {
          userId: user.id,
          method: "password",
          ip: "198.51.100.1",
          userAgent: device,
          maxAgeSeconds: 3_600,
          now: new Date(T.getTime() - 60_000),
        });
      }
      return user;
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

    /** Row counts of every table the policy may write. */
    async function tableCounts() {
      return {
        users: await prisma().user.count(),
        accounts: await prisma().account.count(),
        sessions: await prisma().session.count(),
        passwords: await prisma().passwordCredential.count(),
        events: await prisma().securityEvent.count(),
        outbox: await prisma().notificationOutbox.count(),
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
        },
        orderBy: { id: "asc" },
      });

    // ---- docs/sign-in.md's table, one test per row -------------------------------------

    it("none | any sign-in → new user; the email is stored with its verified flag", async () => {
      const email = uniqueEmail();
      const verified = identity({ email: `  ${email.toUpperCase()} `, emailVerified: true });
      const result = await arrive(verified);

      expect(result).toEqual({
        outcome: "sign-in",
        userId: expect.any(String) as string,
        created: true,
        linked: false,
        takeover: false,
      });
      if (result.outcome !== "sign-in") throw new Error("unreachable");
      const rows = await rowsOf(result.userId);
      // Stored normalized (trim + lower case), proven at the injected time.
      expect(rows.user).toMatchObject({
        email,
        emailVerified: T,
        name: "Ada Lovelace",
        image: "https://example.com/ada.png",
      });
      expect(rows.accounts).toMatchObject([
        {
          provider: "google",
          providerAccountId: verified.providerAccountId,
          type: "oidc",
          label: "ada@example.com",
          access_token: "access-1",
          refresh_token: "refresh-1",
          expires_at: 1_900_000_000,
        },
      ]);
      expect(rows.password).toBeNull();
      await expect(eventsOf(result.userId)).resolves.toEqual([
        {
          type: "SIGN_UP",
          method: "google",
          detail: "new user from google with a verified email",
          ...context,
        },
      ]);

      // An unverified email is stored too, but marked unproven.
      const otherEmail = uniqueEmail();
      const unverified = await arrive(
        identity({ provider: "github", email: otherEmail, emailVerified: false }),
      );
      if (unverified.outcome !== "sign-in") throw new Error(`refused: ${unverified.reason}`);
      expect(unverified.created).toBe(true);
      await expect(
        prisma().user.findUnique({ where: { id: unverified.userId } }),
      ).resolves.toMatchObject({ email: otherEmail, emailVerified: null });
      await expect(eventsOf(unverified.userId)).resolves.toMatchObject([
        {
          type: "SIGN_UP",
          method: "github",
          detail: "new user from github with an unverified email",
        },
      ]);
    });

    it("email verified | OAuth, same email, verified → linked to the existing user", async () => {
      const email = uniqueEmail();
      const existing = await passwordUser(email, new Date("2026-01-01T00:00:00.000Z"));
      const before = await rowsOf(existing.id);
      const usersBefore = await prisma().user.count();

      const arriving = identity({ email: email.toUpperCase(), emailVerified: true });
      const result = await arrive(arriving);

      expect(result).toEqual({
        outcome: "sign-in",
        userId: existing.id,
        created: false,
        linked: true,
        takeover: false,
      });
      expect(await prisma().user.count()).toBe(usersBefore);
      const after = await rowsOf(existing.id);
      expect(after.accounts).toMatchObject([
        { provider: "google", providerAccountId: arriving.providerAccountId },
      ]);
      // The same person proved the email twice: nothing is taken away or changed.
      expect(after.user).toEqual(before.user);
      expect(after.password).toEqual(before.password);
      expect(after.sessions).toEqual(before.sessions);
      await expect(eventsOf(existing.id)).resolves.toEqual([
        {
          type: "ACCOUNT_LINKED",
          method: "google",
          detail: "matched by verified email",
          ...context,
        },
      ]);
    });

    it("email verified by our link (password sign-up, then the mailed link) | OAuth, same email, verified → linked, password kept", async () => {
      const email = uniqueEmail();
      const existing = await passwordUser(email);
      const { token } = await issueEmailToken(prisma(), {
        userId: existing.id,
        kind: "VERIFY_EMAIL",
        email,
        now: T,
        lifetimes: { VERIFY_EMAIL: 86_400, RESET_PASSWORD: 1_800, CHANGE_EMAIL: 86_400 },
      });
      await expect(verifyEmail(prisma(), { token, now: T, ...context })).resolves.toMatchObject({
        status: "verified",
      });
      const before = await rowsOf(existing.id);

      const arriving = identity({ email, emailVerified: true });
      await expect(arrive(arriving)).resolves.toEqual({
        outcome: "sign-in",
        userId: existing.id,
        created: false,
        linked: true,
        takeover: false,
      });
      const after = await rowsOf(existing.id);
      expect(after.accounts).toMatchObject([{ provider: "google" }]);
      // The address was proven by the link: no claim, the password and sessions stay.
      expect(after.password).toEqual(before.password);
      expect(after.sessions).toEqual(before.sessions);
      expect(after.events.map((event) => event.type)).toEqual(["EMAIL_VERIFIED", "ACCOUNT_LINKED"]);
    });

    it("email unverified (password-only, never proven) | OAuth, same email, verified → the claim rule: stripped back to the claimant (password deleted, sessions revoked, profile replaced); events say why", async () => {
      const email = uniqueEmail();
      const victim = await passwordUser(email);
      // Someone else, with their own password and sessions: the claim must not touch them.
      const bystander = await passwordUser(uniqueEmail());
      const bystanderBefore = await rowsOf(bystander.id);

      const arriving = identity({ email, emailVerified: true });
      const result = await arrive(arriving);

      expect(result).toEqual({
        outcome: "sign-in",
        userId: victim.id,
        created: false,
        linked: true,
        takeover: true,
      });
      const after = await rowsOf(victim.id);
      // The name the previous holder typed ("Pat") gives way to the claimant's.
      expect(after.user).toMatchObject({
        email,
        emailVerified: T,
        name: "Ada Lovelace",
        image: "https://example.com/ada.png",
      });
      expect(after.password).toBeNull();
      expect(after.sessions).toHaveLength(2);
      expect(after.sessions.map((session) => session.revokedAt)).toEqual([T, T]);
      expect(after.accounts).toMatchObject([
        { provider: "google", providerAccountId: arriving.providerAccountId },
      ]);
      await expect(eventsOf(victim.id)).resolves.toEqual([
        {
          type: "PASSWORD_REMOVED",
          method: "google",
          detail: `${CLAIM_DETAIL}: password set before the email was proven`,
          ...context,
        },
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: `${CLAIM_DETAIL}: all sessions revoked (2 sessions)`,
          ...context,
        },
        {
          type: "ACCOUNT_LINKED",
          method: "google",
          detail: `matched by verified email; ${TAKEOVER_DETAIL}`,
          ...context,
        },
      ]);
      expect(TAKEOVER_DETAIL).toBe(
        "pre-registration takeover protection: the account was stripped back to this identity",
      );
      await expect(rowsOf(bystander.id)).resolves.toEqual(bystanderBefore);
    });

    it("any | OAuth, same email, unverified → refused, nothing changes", async () => {
      const unprovenEmail = uniqueEmail();
      const provenEmail = uniqueEmail();
      const unproven = await passwordUser(unprovenEmail);
      const proven = await passwordUser(provenEmail, new Date("2026-01-01T00:00:00.000Z"));
      const before = {
        counts: await tableCounts(),
        unproven: await rowsOf(unproven.id),
        proven: await rowsOf(proven.id),
      };

      for (const email of [unprovenEmail, provenEmail.toUpperCase()]) {
        await expect(arrive(identity({ email, emailVerified: false }))).resolves.toEqual({
          outcome: "refused",
          reason: "unverified-email-match",
        });
      }

      await expect(tableCounts()).resolves.toEqual(before.counts);
      await expect(rowsOf(unproven.id)).resolves.toEqual(before.unproven);
      await expect(rowsOf(proven.id)).resolves.toEqual(before.proven);
    });

    it("(signed in, linking on purpose) | OAuth identity not linked to anyone → joins the current user whatever its email", async () => {
      const current = await passwordUser(uniqueEmail());
      // Another user's verified email does not pull the identity over to them.
      const someoneElse = await passwordUser(uniqueEmail(), new Date("2026-01-01T00:00:00.000Z"));
      const someoneElseBefore = await rowsOf(someoneElse.id);
      const before = await rowsOf(current.id);

      const arriving = identity({
        provider: "github",
        email: someoneElse.email,
        emailVerified: true,
      });
      const result = await arrive(arriving, current.id);

      expect(result).toEqual({
        outcome: "sign-in",
        userId: current.id,
        created: false,
        linked: true,
        takeover: false,
      });
      const after = await rowsOf(current.id);
      expect(after.accounts).toMatchObject([
        { provider: "github", providerAccountId: arriving.providerAccountId },
      ]);
      // Different email: the user's own email, password and sessions stay exactly as they were.
      expect(after.user).toEqual(before.user);
      expect(after.password).toEqual(before.password);
      expect(after.sessions).toEqual(before.sessions);
      await expect(eventsOf(current.id)).resolves.toEqual([
        {
          type: "ACCOUNT_LINKED",
          method: "github",
          detail: "linked from the account page",
          ...context,
        },
      ]);
      await expect(rowsOf(someoneElse.id)).resolves.toEqual(someoneElseBefore);

      // An identity without any email joins the same way.
      const stackOverflow = identity({ provider: "stackoverflow", email: null });
      await expect(arrive(stackOverflow, current.id)).resolves.toMatchObject({
        outcome: "sign-in",
        userId: current.id,
        linked: true,
      });
    });

    it("(signed in, linking on purpose) without a recent sign-in → refused, nothing changes; an identity already theirs still signs in", async () => {
      const current = await passwordUser(uniqueEmail());
      const before = { counts: await tableCounts(), current: await rowsOf(current.id) };

      const arriving = identity({ provider: "github", email: null });
      await expect(arrive(arriving, current.id, deps(), false)).resolves.toEqual({
        outcome: "refused",
        reason: "recent-sign-in-required",
      });
      await expect(tableCounts()).resolves.toEqual(before.counts);
      await expect(rowsOf(current.id)).resolves.toEqual(before.current);

      // Re-proving with an identity the user already has is how a stale session becomes
      // recent again, so that path needs no recent sign-in.
      await arrive(arriving, current.id);
      await expect(arrive(arriving, current.id, deps(), false)).resolves.toMatchObject({
        outcome: "sign-in",
        userId: current.id,
        linked: false,
      });
    });

    it("(signed in, linking on purpose) | its verified email equals the user's → the user's email becomes verified, nothing deleted", async () => {
      const email = uniqueEmail();
      const current = await passwordUser(email);
      const before = await rowsOf(current.id);

      const result = await arrive(
        identity({ email: ` ${email.toUpperCase()}`, emailVerified: true }),
        current.id,
      );

      expect(result).toEqual({
        outcome: "sign-in",
        userId: current.id,
        created: false,
        linked: true,
        takeover: false,
      });
      const after = await rowsOf(current.id);
      expect(after.user).toMatchObject({ email, emailVerified: T });
      // The same person proved both: the password and every session survive.
      expect(after.password).toEqual(before.password);
      expect(after.sessions).toEqual(before.sessions);
      expect(after.sessions.every((session) => session.revokedAt === null)).toBe(true);
      await expect(eventsOf(current.id)).resolves.toEqual([
        {
          type: "ACCOUNT_LINKED",
          method: "google",
          detail: "linked from the account page; its verified email proved the account's email",
          ...context,
        },
      ]);

      // Unverified, the same email proves nothing.
      const other = await passwordUser(uniqueEmail());
      await arrive(identity({ email: other.email, emailVerified: false }), other.id);
      await expect(
        prisma().user.findUniqueOrThrow({ where: { id: other.id } }),
      ).resolves.toMatchObject({ emailVerified: null });
    });

    it("(signed in) | OAuth identity linked to another user → refused, nothing changes", async () => {
      const owner = await passwordUser(uniqueEmail());
      const linked = identity({ provider: "github" });
      await arrive(linked, owner.id);
      const current = await passwordUser(uniqueEmail());
      const before = {
        counts: await tableCounts(),
        owner: await rowsOf(owner.id),
        current: await rowsOf(current.id),
      };

      const result = await arrive(
        { ...linked, tokens: { access_token: "stolen-or-new" }, label: "changed" },
        current.id,
      );

      expect(result).toEqual({ outcome: "refused", reason: "identity-linked-to-another-user" });
      await expect(tableCounts()).resolves.toEqual(before.counts);
      // Not even the owner's stored tokens or label move.
      await expect(rowsOf(owner.id)).resolves.toEqual(before.owner);
      await expect(rowsOf(current.id)).resolves.toEqual(before.current);
    });

    // ---- Around the table -------------------------------------------------------------

    it("an identity without an email (Stack Overflow) creates a user without email, every time", async () => {
      const first = await arrive(
        identity({ provider: "stackoverflow", email: null, label: "ada" }),
      );
      // A blank email is no email, not an empty string that the CHECK would refuse.
      const second = await arrive(
        identity({ provider: "stackoverflow", email: "   ", emailVerified: true }),
      );

      for (const result of [first, second]) {
        if (result.outcome !== "sign-in") throw new Error(`refused: ${result.reason}`);
        expect(result).toMatchObject({ created: true, linked: false, takeover: false });
        await expect(
          prisma().user.findUniqueOrThrow({ where: { id: result.userId } }),
        ).resolves.toMatchObject({ email: null, emailVerified: null });
        await expect(eventsOf(result.userId)).resolves.toMatchObject([
          {
            type: "SIGN_UP",
            method: "stackoverflow",
            detail: "new user from stackoverflow without an email",
          },
        ]);
      }
      expect(first).not.toEqual(second);
    });

    it("an identity already linked signs in as its user and refreshes its stored tokens", async () => {
      const arriving = identity({ email: uniqueEmail(), emailVerified: true });
      const first = await arrive(arriving);
      if (first.outcome !== "sign-in") throw new Error(`refused: ${first.reason}`);
      const counts = await tableCounts();

      // Google sends no refresh token after the first consent: the stored one must stay.
      const again = await arrive({
        ...arriving,
        label: "ada.renamed@example.com",
        tokens: { access_token: "access-2", expires_at: 1_900_003_600 },
      });

      expect(again).toEqual({
        outcome: "sign-in",
        userId: first.userId,
        created: false,
        linked: false,
        takeover: false,
      });
      await expect(tableCounts()).resolves.toEqual(counts);
      await expect(
        prisma().account.findUniqueOrThrow({
          where: {
            provider_providerAccountId: {
              provider: arriving.provider,
              providerAccountId: arriving.providerAccountId,
            },
          },
        }),
      ).resolves.toMatchObject({
        userId: first.userId,
        label: "ada.renamed@example.com",
        access_token: "access-2",
        refresh_token: "refresh-1",
        expires_at: 1_900_003_600,
      });

      // Signed in as its own user (linking it twice from the account page): still fine.
      await expect(arrive(arriving, first.userId)).resolves.toMatchObject({
        outcome: "sign-in",
        userId: first.userId,
        linked: false,
      });
      await expect(tableCounts()).resolves.toEqual(counts);
    });

    it("linking while signed in as a user who no longer exists fails with a named error and writes nothing", async () => {
      const counts = await tableCounts();
      await expect(arrive(identity(), "no-such-user")).rejects.toBeInstanceOf(
        CurrentUserNotFoundError,
      );
      await expect(tableCounts()).resolves.toEqual(counts);
    });

    it("afterRecord runs inside the arrival's transaction: its rows commit with the event, and its failure rolls everything back", async () => {
      const seen: string[] = [];
      const withOutbox = deps({
        afterRecord: async (tx, event) => {
          seen.push(event.type);
          if (event.userId === null) throw new Error("events of this test name a user");
          await tx.notificationOutbox.create({
            data: { userId: event.userId, securityEventId: event.id, kind: "test", payload: {} },
          });
        },
      });
      const result = await arrive(
        identity({ email: uniqueEmail(), emailVerified: true }),
        null,
        withOutbox,
      );
      if (result.outcome !== "sign-in") throw new Error(`refused: ${result.reason}`);
      expect(seen).toEqual(["SIGN_UP"]);

      // Every event of one arrival passes through the hook, the claim's three included.
      seen.length = 0;
      const victim = await passwordUser(uniqueEmail());
      await arrive(identity({ email: victim.email, emailVerified: true }), null, withOutbox);
      expect(seen).toEqual(["PASSWORD_REMOVED", "SESSION_REVOKED", "ACCOUNT_LINKED"]);
      await expect(
        prisma().notificationOutbox.count({ where: { userId: victim.id } }),
      ).resolves.toBe(3);
      await expect(
        prisma().notificationOutbox.findMany({
          where: { userId: result.userId },
          include: { securityEvent: true },
        }),
      ).resolves.toMatchObject([{ kind: "test", securityEvent: { type: "SIGN_UP" } }]);

      const counts = await tableCounts();
      const failing = deps({
        afterRecord: () => Promise.reject(new Error("outbox unavailable")),
      });
      const email = uniqueEmail();
      await expect(arrive(identity({ email, emailVerified: true }), null, failing)).rejects.toThrow(
        /resolving a google sign-in failed/,
      );
      await expect(tableCounts()).resolves.toEqual(counts);
      await expect(prisma().user.findUnique({ where: { email } })).resolves.toBeNull();
    });

    it("recordSignIn moves lastSignInAt, not updatedAt, and writes SIGN_IN", async () => {
      const user = await passwordUser(uniqueEmail());
      const at = new Date("2026-07-04T12:34:56.789Z");

      const eventId = await recordSignIn(prisma(), {
        userId: user.id,
        method: "password",
        now: at,
        ...context,
      });

      const after = await prisma().user.findUniqueOrThrow({ where: { id: user.id } });
      expect(after.lastSignInAt).toEqual(at);
      expect(after.updatedAt).toEqual(user.updatedAt);
      await expect(
        prisma().securityEvent.findUniqueOrThrow({ where: { id: eventId } }),
      ).resolves.toMatchObject({
        userId: user.id,
        type: "SIGN_IN",
        method: "password",
        createdAt: at,
        ...context,
      });
      // A profile change still moves updatedAt: the raw update did not break @updatedAt.
      const renamed = await prisma().user.update({
        where: { id: user.id },
        data: { name: "Renamed" },
      });
      expect(renamed.updatedAt.getTime()).toBeGreaterThan(user.updatedAt.getTime());
    });

    it("recordSignIn is one transaction with its afterRecord hook, and refuses an unknown user", async () => {
      const user = await passwordUser(uniqueEmail());
      const events = await prisma().securityEvent.count({ where: { userId: user.id } });

      await expect(
        recordSignIn(
          prisma(),
          { userId: user.id, method: "google", now: T, ...context },
          { afterRecord: () => Promise.reject(new Error("outbox unavailable")) },
        ),
      ).rejects.toThrow(/outbox unavailable/);
      await expect(
        prisma().user.findUniqueOrThrow({ where: { id: user.id } }),
      ).resolves.toMatchObject({ lastSignInAt: null });
      await expect(prisma().securityEvent.count({ where: { userId: user.id } })).resolves.toBe(
        events,
      );

      await expect(
        recordSignIn(prisma(), { userId: "no-such-user", method: "google", ...context }),
      ).rejects.toThrow(/no user no-such-user/);
    });

    it("recordSignInFailure writes SIGN_IN_FAILED with its reason, with or without a user", async () => {
      const user = await passwordUser(uniqueEmail());
      const named = await recordSignInFailure(prisma(), {
        userId: user.id,
        method: "password",
        reason: "wrong password",
        ...context,
      });
      const anonymous = await recordSignInFailure(prisma(), {
        userId: null,
        method: "google",
        reason: "unverified-email-match",
        ...context,
      });

      await expect(
        prisma().securityEvent.findMany({
          where: { id: { in: [named, anonymous] } },
          orderBy: { method: "desc" },
        }),
      ).resolves.toMatchObject([
        {
          userId: user.id,
          type: "SIGN_IN_FAILED",
          method: "password",
          detail: "wrong password",
          ...context,
        },
        {
          userId: null,
          type: "SIGN_IN_FAILED",
          method: "google",
          detail: "unverified-email-match",
          ...context,
        },
      ]);
    });

    it("10 parallel first sign-ins of the same new identity create exactly one user and one account", async () => {
      const email = uniqueEmail();
      const arriving = identity({ email, emailVerified: true });

      const results = await Promise.all(Array.from({ length: 10 }, () => arrive(arriving)));

      const user = await prisma().user.findUniqueOrThrow({ where: { email } });
      expect(results.map((result) => result.outcome)).toEqual(Array(10).fill("sign-in"));
      expect(
        new Set(results.map((result) => result.outcome === "sign-in" && result.userId)),
      ).toEqual(new Set([user.id]));
      expect(
        results.filter((result) => result.outcome === "sign-in" && result.created),
      ).toHaveLength(1);
      await expect(
        prisma().account.count({
          where: { provider: arriving.provider, providerAccountId: arriving.providerAccountId },
        }),
      ).resolves.toBe(1);
      await expect(prisma().account.count({ where: { userId: user.id } })).resolves.toBe(1);
      await expect(eventsOf(user.id)).resolves.toMatchObject([{ type: "SIGN_UP" }]);
    });

    it("10 parallel first sign-ins of the same identity without an email create one user: the account's unique key decides", async () => {
      const arriving = identity({ provider: "stackoverflow", email: null });
      const users = await prisma().user.count();

      const results = await Promise.all(Array.from({ length: 10 }, () => arrive(arriving)));

      const account = await prisma().account.findUniqueOrThrow({
        where: {
          provider_providerAccountId: {
            provider: "stackoverflow",
            providerAccountId: arriving.providerAccountId,
          },
        },
      });
      // The losers' users (no email, so no unique index to collide on) rolled back with them.
      await expect(prisma().user.count()).resolves.toBe(users + 1);
      expect(
        results.every((result) => result.outcome === "sign-in" && result.userId === account.userId),
      ).toBe(true);
    });

    it("10 parallel first sign-ins of different identities sharing one verified email make one user with 10 accounts", async () => {
      const email = uniqueEmail();
      const arrivals = Array.from({ length: 10 }, (_, index) =>
        identity({ provider: index % 2 ? "github" : "google", email, emailVerified: true }),
      );

      const results = await Promise.all(arrivals.map((arriving) => arrive(arriving)));

      const user = await prisma().user.findUniqueOrThrow({ where: { email } });
      expect(
        results.every((result) => result.outcome === "sign-in" && result.userId === user.id),
      ).toBe(true);
      // One created the user; every other one matched it by its verified email.
      expect(
        results.filter((result) => result.outcome === "sign-in" && result.created),
      ).toHaveLength(1);
      expect(
        results.filter((result) => result.outcome === "sign-in" && result.linked),
      ).toHaveLength(9);
      await expect(prisma().account.count({ where: { userId: user.id } })).resolves.toBe(10);
      const types = (await eventsOf(user.id)).map((event) => event.type).sort();
      expect(types).toEqual(["SIGN_UP", ...Array<string>(9).fill("ACCOUNT_LINKED")].sort());
    });
  });
});
