// The account page's passkey actions (lib/actions/account/passkeys.ts) against freshly
// migrated databases, PostgreSQL and PGlite: the real next-safe-action clients, the real
// services, Next's real redirect(), a fake session naming a real Session row, a cookie jar
// for the registration's challenge, and real WebAuthn answers from the software
// authenticator. Adding needs a recent sign-in and binds to the cookie; renaming and
// removing touch only the user's own passkeys; the last way in cannot be removed.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { accountErrorMessages } from "@/lib/account/errors";
import { createPasskeyActions } from "@/lib/actions/account/passkeys";
import type { ActionSession } from "@/lib/actions/clients";
import type { CookieJar } from "@/lib/auth/dependencies";
import { passkeyChallengeCookieName } from "@/lib/auth/passkey-ceremony";
import { createSession } from "@/lib/auth/sessions";
import { parseSettings } from "@/lib/env";
import type { RequestContext } from "@/lib/http/request-context";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { testPasswordGuard } from "@/tests/support/password-guard";
import {
  createSoftAuthenticator,
  type SoftAuthenticator,
} from "@/tests/support/soft-authenticator";

const serverUrl = inject("databaseUrl");
const APP_URL = "http://localhost:3000";
const settings = parseSettings({ APP_URL }, { devSecret: () => "d".repeat(43) });
const MAX_AGE = settings.auth.recentSignInMaxAgeSeconds;
const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const context: RequestContext = {
  ip: "203.0.113.78",
  userAgent:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
  requestId: "req-passkey-actions",
};
const REAUTH_URL = "/sign-in?callbackUrl=%2Faccount&reauth=1";
const COOKIE = passkeyChallengeCookieName("register", false);

/** The Next redirect an action rejected with (digest NEXT_REDIRECT;type;url;status;). */
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

describe.each(databaseBackends(serverUrl))("passkey account actions on $name", (backend) => {
  describe.runIf(backend.available)("createPasskeyActions", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;

    /** The actions for a browser: its session and its cookies. */
    function harness(session: ActionSession | null) {
      const jar = new Map<string, string>();
      const cookies: CookieJar = {
        get: (name) => (jar.has(name) ? { value: jar.get(name) ?? "" } : undefined),
        set: (name, value, options) => {
          if (options.maxAge === 0) jar.delete(name);
          else jar.set(name, value);
        },
      };
      const guard = testPasswordGuard(settings);
      const actions = createPasskeyActions({
        services: () => ({
          settings,
          logger: memoryLogger(),
          database: db(),
          passwordGuard: guard.guard,
          afterRecord: () => Promise.resolve(),
        }),
        getSession: () => Promise.resolve(session),
        requestContext: () => Promise.resolve(context),
        now: () => T,
        cookies: () => Promise.resolve(cookies),
      });
      return { actions, jar };
    }

    /** A user (with a password unless said otherwise) and a recent session for them. */
    async function signedInUser({
      password = true,
      signedInAt = at(-60),
    }: { password?: boolean; signedInAt?: Date } = {}) {
      const user = await prisma().user.create({
        data: {
          email: `${randomBytes(5).toString("hex")}@example.com`,
          ...(password
            ? { password: { create: { hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y" } } }
            : {}),
        },
      });
      const created = await createSession(prisma(), {
        userId: user.id,
        method: "password",
        ip: context.ip,
        userAgent: context.userAgent,
        maxAgeSeconds: 86_400,
        now: signedInAt,
      });
      const session: ActionSession = {
        userId: user.id,
        sessionId: created.sessionId,
        authTime: signedInAt.getTime() / 1000,
      };
      return { user, session };
    }

    /** Start, the authenticator makes a passkey, finish; the finish's result. */
    async function add(
      h: ReturnType<typeof harness>,
      authenticator: SoftAuthenticator,
      name?: string,
    ) {
      const started = await h.actions.startPasskeyRegistration();
      const options = started?.data?.options;
      if (!options) throw new Error(`start: ${JSON.stringify(started)}`);
      const response = authenticator.register(options, { origin: APP_URL });
      return h.actions.finishPasskeyRegistration({ response, name });
    }

    it("adds a named passkey: the challenge cookie is set, then spent; PASSKEY_ADDED", async () => {
      const { user, session } = await signedInUser();
      const h = harness(session);
      const started = await h.actions.startPasskeyRegistration();
      expect(started?.data?.options.rp).toEqual({ id: "localhost", name: "Gatehouse" });
      expect(h.jar.has(COOKIE)).toBe(true);
      const response = createSoftAuthenticator().register(started?.data?.options ?? never(), {
        origin: APP_URL,
      });
      const finished = await h.actions.finishPasskeyRegistration({
        response,
        name: "  Work   laptop ",
      });
      expect(finished?.data).toEqual({ name: "Work laptop" });
      expect(h.jar.has(COOKIE)).toBe(false);
      expect(await prisma().passkey.findMany({ where: { userId: user.id } })).toMatchObject([
        { name: "Work laptop" },
      ]);
      const events = await prisma().securityEvent.findMany({ where: { userId: user.id } });
      expect(events.map((e) => e.type)).toEqual(["PASSKEY_ADDED"]);
    });

    it("a blank name becomes where and when; a bad name is refused and can be corrected", async () => {
      const { user, session } = await signedInUser();
      const h = harness(session);
      const authenticator = createSoftAuthenticator();
      const started = await h.actions.startPasskeyRegistration();
      const response = authenticator.register(started?.data?.options ?? never(), {
        origin: APP_URL,
      });
      const bad = await h.actions.finishPasskeyRegistration({ response, name: "a\u202Eb" });
      expect(bad?.validationErrors?.fieldErrors.name).toEqual([
        accountErrorMessages["invalid-passkey-name"],
      ]);
      // The same answer again, without a name: the challenge was kept for it.
      const good = await h.actions.finishPasskeyRegistration({ response, name: "" });
      expect(good?.data).toEqual({ name: "Chrome on Linux, 1 Jun 2026" });
      expect(await prisma().passkey.count({ where: { userId: user.id } })).toBe(1);
    });

    it("without the challenge cookie (another browser), or replayed, nothing is added", async () => {
      const { user, session } = await signedInUser();
      const h = harness(session);
      const started = await h.actions.startPasskeyRegistration();
      const response = createSoftAuthenticator().register(started?.data?.options ?? never(), {
        origin: APP_URL,
      });
      const elsewhere = harness(session);
      const refused = await elsewhere.actions.finishPasskeyRegistration({ response });
      expect(refused?.serverError).toBe(accountErrorMessages["passkey-not-added"]);
      expect(await h.actions.finishPasskeyRegistration({ response })).toMatchObject({
        data: { name: expect.any(String) as string },
      });
      // The cookie is gone; a copy of it finds a used challenge.
      const replay = await h.actions.finishPasskeyRegistration({ response });
      expect(replay?.serverError).toBe(accountErrorMessages["passkey-not-added"]);
      expect(await prisma().passkey.count({ where: { userId: user.id } })).toBe(1);
    });

    it("an oversized or malformed answer is refused before any service runs", async () => {
      const { session } = await signedInUser();
      const h = harness(session);
      await h.actions.startPasskeyRegistration();
      const huge = await h.actions.finishPasskeyRegistration({
        response: { id: "x".repeat(70_000) },
      });
      expect(huge?.validationErrors?.fieldErrors.response).toBeDefined();
      const notObject = await h.actions.finishPasskeyRegistration({
        response: "nope" as unknown as object,
      });
      expect(notObject?.validationErrors?.fieldErrors.response).toBeDefined();
      // The challenge is still there for the real answer.
      expect(h.jar.has(COOKIE)).toBe(true);
    });

    it("adding and removing need a recent sign-in; renaming does not", async () => {
      const { user, session } = await signedInUser();
      const recent = harness(session);
      await add(recent, createSoftAuthenticator(), "Phone");
      const [passkey] = await prisma().passkey.findMany({ where: { userId: user.id } });
      const stale = harness({ ...session, authTime: at(-MAX_AGE - 1).getTime() / 1000 });
      expect(await redirectOf(stale.actions.startPasskeyRegistration())).toBe(REAUTH_URL);
      expect(stale.jar.size).toBe(0);
      expect(await redirectOf(stale.actions.removePasskey({ passkeyId: passkey?.id ?? "" }))).toBe(
        REAUTH_URL,
      );
      const renamed = await stale.actions.renamePasskey({
        passkeyId: passkey?.id ?? "",
        name: "Old phone",
      });
      expect(renamed?.data).toEqual({ name: "Old phone" });
      expect(await prisma().passkey.count({ where: { userId: user.id } })).toBe(1);
      // Signed out: to the sign-in page.
      expect(await redirectOf(harness(null).actions.startPasskeyRegistration())).toBe(
        "/sign-in?callbackUrl=%2Faccount",
      );
    });

    it("another user's passkey id is 'not found' for renaming and removing, and stays", async () => {
      const owner = await signedInUser();
      await add(harness(owner.session), createSoftAuthenticator(), "Owner's key");
      const [theirs] = await prisma().passkey.findMany({ where: { userId: owner.user.id } });
      const intruder = harness((await signedInUser()).session);
      const rename = await intruder.actions.renamePasskey({
        passkeyId: theirs?.id ?? "",
        name: "Mine now",
      });
      expect(rename?.serverError).toBe(accountErrorMessages["not-found"]);
      const remove = await intruder.actions.removePasskey({ passkeyId: theirs?.id ?? "" });
      expect(remove?.serverError).toBe(accountErrorMessages["not-found"]);
      expect(await prisma().passkey.findUnique({ where: { id: theirs?.id ?? "" } })).toMatchObject({
        name: "Owner's key",
      });
    });

    it("removes a passkey while another way in remains; the last one is refused", async () => {
      const { user, session } = await signedInUser({ password: false });
      const h = harness(session);
      await add(h, createSoftAuthenticator(), "First");
      await add(h, createSoftAuthenticator(), "Second");
      const [first, second] = await prisma().passkey.findMany({
        where: { userId: user.id },
        orderBy: { name: "asc" },
      });
      expect(await h.actions.removePasskey({ passkeyId: first?.id ?? "" })).toMatchObject({
        data: { removed: true },
      });
      const last = await h.actions.removePasskey({ passkeyId: second?.id ?? "" });
      expect(last?.serverError).toBe(accountErrorMessages["last-sign-in-method"]);
      expect(await prisma().passkey.findMany({ where: { userId: user.id } })).toMatchObject([
        { name: "Second" },
      ]);
      const events = await prisma().securityEvent.findMany({
        where: { userId: user.id },
        orderBy: { createdAt: "asc" },
      });
      expect(events.map((e) => e.type)).toEqual([
        "PASSKEY_ADDED",
        "PASSKEY_ADDED",
        "PASSKEY_REMOVED",
      ]);
    });
  });
});

function never(): never {
  throw new Error("the registration did not start");
}
