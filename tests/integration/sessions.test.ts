// Revocable device sessions (docs/sign-in.md, "Sessions") against freshly migrated databases,
// PostgreSQL and PGlite. The clock is injected everywhere, so expiry and the touch
// interval are tested at exact instants instead of by sleeping.
import { createHash, randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import {
  createSession,
  endSession,
  listSessions,
  prismaSessionLookup,
  revokeAllSessions,
  revokeSession,
  sqlSessionLookup,
  validateSession,
} from "@/lib/auth/sessions";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";

const serverUrl = inject("databaseUrl");

const backends = databaseBackends(serverUrl);

const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const HOUR = 3_600;
const context = { ip: "192.0.2.44", userAgent: "Safari/18", requestId: "req-sessions" };
const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

describe.each(backends)("device sessions on $name", (backend) => {
  describe.runIf(backend.available)("sessions", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;

    const newUser = () =>
      prisma().user.create({ data: { email: `${randomBytes(6).toString("hex")}@example.com` } });

    const signIn = (userId: string, now = T, device = "Firefox/140") =>
      createSession(prisma(), {
        userId,
        method: "password",
        ip: "198.51.100.7",
        userAgent: device,
        maxAgeSeconds: HOUR,
        now,
      });

    /**
     * validateSession as the app runs it (the prepared statement), after checking that the
     * statement reads the very row Prisma reads (the default lookup) in this state.
     */
    const validate = async (sessionToken: string, now: Date, touchIntervalSeconds = 60) => {
      const lookup = sqlSessionLookup(db().sql);
      const hash = sha256(sessionToken);
      expect(await lookup(hash)).toEqual(await prismaSessionLookup(prisma())(hash));
      return validateSession(prisma(), {
        sessionToken,
        touchIntervalSeconds,
        maxAgeSeconds: HOUR,
        now,
        lookup,
      });
    };

    const row = (sessionId: string) => prisma().session.findUnique({ where: { id: sessionId } });

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

    it("creates a session whose token validates to its user; only the token's hash is stored", async () => {
      const user = await newUser();
      const created = await signIn(user.id);

      expect(created.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(created.expires).toEqual(at(HOUR));
      await expect(row(created.sessionId)).resolves.toMatchObject({
        userId: user.id,
        sessionToken: sha256(created.sessionToken),
        method: "password",
        ip: "198.51.100.7",
        userAgent: "Firefox/140",
        createdAt: T,
        lastSeenAt: T,
        expires: at(HOUR),
        revokedAt: null,
      });
      await expect(validate(created.sessionToken, at(1))).resolves.toEqual({
        userId: user.id,
        sessionId: created.sessionId,
        createdAt: T,
        email: user.email,
      });
      // Two sign-ins never share a token.
      const second = await signIn(user.id);
      expect(second.sessionToken).not.toBe(created.sessionToken);
      // A stored hash is not a token: presenting it validates nothing.
      await expect(validate(sha256(created.sessionToken), at(1))).resolves.toBeNull();
      await expect(validate("not-a-session-token", at(1))).resolves.toBeNull();
    });

    it("refuses a non-positive lifetime before touching the database", async () => {
      const user = await newUser();
      await expect(
        createSession(prisma(), {
          userId: user.id,
          method: "password",
          ip: null,
          userAgent: null,
          maxAgeSeconds: 0,
          now: T,
        }),
      ).rejects.toThrow(/maxAgeSeconds must be a positive number/);
      await expect(prisma().session.count({ where: { userId: user.id } })).resolves.toBe(0);
    });

    it("the prepared statement reads times as Prisma does, whatever the process's time zone", async () => {
      const user = await newUser();
      const created = await signIn(user.id, new Date("2026-06-01T10:00:00.123Z"));
      await revokeSession(prisma(), { userId: user.id, sessionId: created.sessionId, now: at(5) });
      const hash = sha256(created.sessionToken);
      const zone = process.env.TZ;
      // The columns hold UTC without a zone; read as local time they would shift by hours.
      process.env.TZ = "America/New_York";
      try {
        const row = await sqlSessionLookup(db().sql)(hash);
        expect(row).toEqual(await prismaSessionLookup(prisma())(hash));
        expect(row).toMatchObject({
          id: created.sessionId,
          userId: user.id,
          createdAt: new Date("2026-06-01T10:00:00.123Z"),
          expires: new Date(Date.parse("2026-06-01T10:00:00.123Z") + HOUR * 1000),
          revokedAt: at(5),
          email: user.email,
        });
      } finally {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      }
      await expect(sqlSessionLookup(db().sql)(sha256("no such token"))).resolves.toBeNull();
    });

    it("a revoked session validates to null", async () => {
      const user = await newUser();
      const created = await signIn(user.id);
      await revokeSession(prisma(), { userId: user.id, sessionId: created.sessionId, now: at(5) });

      await expect(validate(created.sessionToken, at(6))).resolves.toBeNull();
    });

    it("an expired session validates to null, from the instant it expires", async () => {
      const user = await newUser();
      const created = await signIn(user.id);

      // A touch interval longer than the lifetime: no validation slides the expiry here.
      const noTouch = 10 * HOUR;
      await expect(
        validate(created.sessionToken, at(HOUR - 0.001), noTouch),
      ).resolves.not.toBeNull();
      await expect(validate(created.sessionToken, at(HOUR), noTouch)).resolves.toBeNull();
      await expect(validate(created.sessionToken, at(HOUR + 1))).resolves.toBeNull();
      await expect(row(created.sessionId)).resolves.toMatchObject({ expires: at(HOUR) });
    });

    it("writes activity at most once per touch interval, sliding the expiry when it does", async () => {
      const user = await newUser();
      const created = await signIn(user.id);

      // Within the interval: a read, no write.
      await validate(created.sessionToken, at(30));
      await validate(created.sessionToken, at(60));
      await expect(row(created.sessionId)).resolves.toMatchObject({
        lastSeenAt: T,
        expires: at(HOUR),
      });

      // Past it: last seen moves and the session lives maxAge from now.
      await validate(created.sessionToken, at(61));
      await expect(row(created.sessionId)).resolves.toMatchObject({
        lastSeenAt: at(61),
        expires: at(61 + HOUR),
      });

      // The interval counts from the last write, not from sign-in.
      await validate(created.sessionToken, at(100));
      await expect(row(created.sessionId)).resolves.toMatchObject({ lastSeenAt: at(61) });

      // Kept busy, a session outlives its first expiry.
      await validate(created.sessionToken, at(HOUR - 10));
      await expect(validate(created.sessionToken, at(HOUR + 10))).resolves.toMatchObject({
        sessionId: created.sessionId,
      });
    });

    it("revokes only the owner's session: another user's session id returns false and stays untouched", async () => {
      const owner = await newUser();
      const other = await newUser();
      const mine = await signIn(owner.id);
      const theirs = await signIn(other.id);
      const theirsBefore = await row(theirs.sessionId);

      await expect(
        revokeSession(prisma(), {
          userId: owner.id,
          sessionId: theirs.sessionId,
          now: at(1),
          context,
        }),
      ).resolves.toBe(false);
      await expect(row(theirs.sessionId)).resolves.toEqual(theirsBefore);
      await expect(validate(theirs.sessionToken, at(2))).resolves.not.toBeNull();
      await expect(eventsOf(owner.id)).resolves.toEqual([]);
      await expect(eventsOf(other.id)).resolves.toEqual([]);

      await expect(
        revokeSession(prisma(), {
          userId: owner.id,
          sessionId: mine.sessionId,
          now: at(3),
          context,
          reason: "revoked from the account page",
        }),
      ).resolves.toBe(true);
      await expect(row(mine.sessionId)).resolves.toMatchObject({ revokedAt: at(3) });
      await expect(eventsOf(owner.id)).resolves.toEqual([
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: "revoked from the account page",
          ...context,
        },
      ]);
      // Revoking twice changes nothing and records nothing more.
      await expect(
        revokeSession(prisma(), { userId: owner.id, sessionId: mine.sessionId, now: at(4) }),
      ).resolves.toBe(false);
      await expect(row(mine.sessionId)).resolves.toMatchObject({ revokedAt: at(3) });
      await expect(eventsOf(owner.id)).resolves.toHaveLength(1);
    });

    it("revokes all sessions, or all others, of one user only", async () => {
      const user = await newUser();
      const bystander = await newUser();
      const current = await signIn(user.id, T, "current");
      const laptop = await signIn(user.id, T, "laptop");
      const phone = await signIn(user.id, T, "phone");
      const theirs = await signIn(bystander.id);

      await expect(
        revokeAllSessions(prisma(), {
          userId: user.id,
          exceptSessionId: current.sessionId,
          now: at(10),
          context,
        }),
      ).resolves.toBe(2);
      await expect(validate(current.sessionToken, at(11))).resolves.not.toBeNull();
      await expect(validate(laptop.sessionToken, at(11))).resolves.toBeNull();
      await expect(validate(phone.sessionToken, at(11))).resolves.toBeNull();

      await expect(
        revokeAllSessions(prisma(), { userId: user.id, now: at(20), context }),
      ).resolves.toBe(1);
      await expect(validate(current.sessionToken, at(21))).resolves.toBeNull();
      // Earlier revocations keep their time; nothing is left to revoke.
      await expect(row(laptop.sessionId)).resolves.toMatchObject({ revokedAt: at(10) });
      await expect(revokeAllSessions(prisma(), { userId: user.id, now: at(30) })).resolves.toBe(0);

      await expect(eventsOf(user.id)).resolves.toEqual([
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: "all other sessions revoked (2 sessions)",
          ...context,
        },
        {
          type: "SESSION_REVOKED",
          method: null,
          detail: "all sessions revoked (1 session)",
          ...context,
        },
      ]);
      await expect(validate(theirs.sessionToken, at(31))).resolves.not.toBeNull();
      await expect(eventsOf(bystander.id)).resolves.toEqual([]);
    });

    it("endSession (sign-out) deletes the row and records SIGN_OUT once", async () => {
      const user = await newUser();
      const created = await signIn(user.id);
      const kept = await signIn(user.id);

      await expect(endSession(prisma(), created.sessionToken, context)).resolves.toBe(true);
      await expect(row(created.sessionId)).resolves.toBeNull();
      await expect(validate(created.sessionToken, at(1))).resolves.toBeNull();
      await expect(endSession(prisma(), created.sessionToken, context)).resolves.toBe(false);
      await expect(validate(kept.sessionToken, at(1))).resolves.not.toBeNull();
      await expect(eventsOf(user.id)).resolves.toEqual([
        { type: "SIGN_OUT", method: "password", detail: null, ...context },
      ]);

      // A revoked session's row goes too, without claiming a sign-out happened.
      await revokeSession(prisma(), { userId: user.id, sessionId: kept.sessionId, now: at(2) });
      await expect(endSession(prisma(), kept.sessionToken)).resolves.toBe(true);
      await expect(row(kept.sessionId)).resolves.toBeNull();
      await expect(eventsOf(user.id)).resolves.toMatchObject([
        { type: "SIGN_OUT" },
        { type: "SESSION_REVOKED" },
      ]);
    });

    it("lists the user's active sessions, newest first, without revoked, expired or other users' ones", async () => {
      const user = await newUser();
      const other = await newUser();
      const oldest = await signIn(user.id, at(0), "oldest");
      const middle = await signIn(user.id, at(10), "middle");
      const newest = await signIn(user.id, at(20), "newest");
      const revoked = await signIn(user.id, at(30), "revoked");
      const expired = await signIn(user.id, at(-2 * HOUR), "expired");
      await signIn(other.id, at(40), "someone else");
      await revokeSession(prisma(), { userId: user.id, sessionId: revoked.sessionId, now: at(31) });

      const listed = await listSessions(prisma(), { userId: user.id, now: at(50) });

      expect(listed.map((session) => session.id)).toEqual([
        newest.sessionId,
        middle.sessionId,
        oldest.sessionId,
      ]);
      expect(listed.map((session) => session.id)).not.toContain(expired.sessionId);
      expect(listed[0]).toEqual({
        id: newest.sessionId,
        method: "password",
        ip: "198.51.100.7",
        userAgent: "newest",
        createdAt: at(20),
        lastSeenAt: at(20),
        expires: at(20 + HOUR),
      });
      // The stored token hash never leaves the data layer through the list.
      expect(Object.keys(listed[0] ?? {})).not.toContain("sessionToken");
    });
  });
});
