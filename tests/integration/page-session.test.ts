// Server components read the session through lib/auth/page-session.ts, not Auth.js's auth().
// It must give the same answer as Auth.js's own session read (GET /api/auth/session, which
// is what auth() runs) in every state a session can be in, on both database backends: a
// fresh sign-in, a changed address, a revoked, expired or deleted row, a forged cookie.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { pageSessionDeps, readPageSession } from "@/lib/auth/page-session";
import { hashPassword } from "@/lib/auth/password";
import { revokeAllSessions } from "@/lib/auth/sessions";
import { parseSettings } from "@/lib/env";
import { authHarness, testBrowser, type TestBrowser } from "@/tests/support/auth-harness";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { testPasswordGuard } from "@/tests/support/password-guard";
import { createSecondFactorKeys } from "@/lib/auth/second-factor";

const serverUrl = inject("databaseUrl");
const PASSWORD = "correct horse battery staple";
const APP_URL = "http://localhost:3000";
const settings = parseSettings(
  { APP_URL, AUTH_SECRET: "p".repeat(43) },
  { devSecret: () => "d".repeat(43) },
);
const context = { ip: "203.0.113.9", userAgent: "Firefox/140", requestId: "req-page-session" };

describe.each(databaseBackends(serverUrl, { poolMax: 8 }))(
  "the page session on $name",
  (backend) => {
    describe.runIf(backend.available)("beside Auth.js's own session read", () => {
      const db = migratedDatabase(backend);
      const prisma = () => db().prisma;

      function signedInBrowser() {
        const client = testBrowser();
        const logger = memoryLogger("debug");
        const guard = testPasswordGuard(settings);
        const auth = authHarness(APP_URL, client, {
          services: {
            settings,
            database: db(),
            logger,
            passwordGuard: guard.guard,
            limiter: guard.limiter,
            secondFactorKeys: createSecondFactorKeys(settings.auth.secret),
            telegram: null,
            notifications: { deliverSoon: () => undefined },
          },
          requestContext: () => Promise.resolve(context),
          currentSession: () => Promise.resolve(null),
        });
        const deps = pageSessionDeps({
          config: auth.config,
          settings,
          logger,
          requestId: () => Promise.resolve(context.requestId),
        });
        const page = () =>
          readPageSession(
            deps,
            [...client.jar].map(([name, { value }]) => ({ name, value })),
          );
        return { client, auth, page, logger };
      }

      async function signIn(client: TestBrowser, auth: ReturnType<typeof authHarness>) {
        const email = `${randomBytes(5).toString("hex")}@example.com`;
        const user = await prisma().user.create({ data: { email, name: "Page Reader" } });
        await prisma().passwordCredential.create({
          data: { userId: user.id, hash: await hashPassword(PASSWORD) },
        });
        const outcome = await auth.signIn("password", { email, password: PASSWORD });
        expect(outcome.error).toBeNull();
        expect(client.jar.has("authjs.session-token")).toBe(true);
        return { user, email };
      }

      /** Both answers without `expires`, which each computes from its own clock. */
      async function both(browser: ReturnType<typeof signedInBrowser>) {
        const [ours, theirs] = [await browser.page(), await browser.auth.session()];
        const strip = (session: Record<string, unknown> | null) => {
          if (!session) return session;
          const { expires, ...rest } = session;
          expect(Math.abs(Date.parse(String(expires)) - Date.now())).toBeLessThan(
            settings.auth.sessionMaxAgeSeconds * 1000 + 60_000,
          );
          return rest;
        };
        return { ours: strip(ours as Record<string, unknown> | null), theirs: strip(theirs) };
      }

      it("answers a fresh sign-in exactly as Auth.js does", async () => {
        const browser = signedInBrowser();
        const { user, email } = await signIn(browser.client, browser.auth);
        const { ours, theirs } = await both(browser);
        expect(ours).toEqual(theirs);
        const row = await prisma().session.findFirstOrThrow({ where: { userId: user.id } });
        expect(ours).toEqual({
          user: { id: user.id, name: "Page Reader", email, image: null },
          sessionId: row.id,
          authTime: expect.any(Number) as unknown,
        });
      });

      it("shows a confirmed change of address at once, as Auth.js does", async () => {
        const browser = signedInBrowser();
        const { user } = await signIn(browser.client, browser.auth);
        const changed = `${randomBytes(5).toString("hex")}@example.com`;
        await prisma().user.update({ where: { id: user.id }, data: { email: changed } });
        const { ours, theirs } = await both(browser);
        expect(ours).toEqual(theirs);
        expect((ours?.user as { email?: string }).email).toBe(changed);
      });

      it("is signed out on the next read once the session is revoked", async () => {
        const browser = signedInBrowser();
        const { user } = await signIn(browser.client, browser.auth);
        expect(await browser.page()).not.toBeNull();
        await revokeAllSessions(prisma(), { userId: user.id, now: new Date() });
        expect(await both(browser)).toEqual({ ours: null, theirs: null });
      });

      it("is signed out when the row has expired or is gone", async () => {
        const expired = signedInBrowser();
        const first = await signIn(expired.client, expired.auth);
        await prisma().session.updateMany({
          where: { userId: first.user.id },
          // Created and last seen long ago (a row may not expire before it was created).
          data: {
            createdAt: new Date(Date.now() - 86_400_000),
            lastSeenAt: new Date(Date.now() - 86_400_000),
            expires: new Date(Date.now() - 1_000),
          },
        });
        expect(await both(expired)).toEqual({ ours: null, theirs: null });

        const deleted = signedInBrowser();
        const second = await signIn(deleted.client, deleted.auth);
        await prisma().user.delete({ where: { id: second.user.id } });
        expect(await both(deleted)).toEqual({ ours: null, theirs: null });
      });

      it("refuses a forged or altered cookie and logs it with the request id", async () => {
        const browser = signedInBrowser();
        await signIn(browser.client, browser.auth);
        const cookie = browser.client.jar.get("authjs.session-token");
        if (!cookie) throw new Error("no session cookie");
        const altered = `${cookie.value.slice(0, -2)}${cookie.value.endsWith("AA") ? "BB" : "AA"}`;
        browser.client.jar.set("authjs.session-token", { value: altered });
        expect(await both(browser)).toEqual({ ours: null, theirs: null });
        expect(browser.logger.lines).toContainEqual(
          expect.objectContaining({
            level: "warn",
            kind: "UnreadableSessionCookie",
            requestId: context.requestId,
          }),
        );
      });
    });
  },
);
