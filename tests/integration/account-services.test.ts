// The account services below the actions (lib/account/overview.ts, lib/account/methods.ts)
// against freshly migrated databases, PostgreSQL and PGlite: what the account page reads,
// and the row lock that keeps two parallel unlinks from removing the last two methods.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { AccountError } from "@/lib/account/errors";
import { unlinkIdentity } from "@/lib/account/methods";
import { ACCOUNT_EVENT_LIMIT, getAccountOverview, sqlAccountReader } from "@/lib/account/overview";
import type { OAuthProviderId } from "@/lib/sign-in-methods";
import { createSession } from "@/lib/auth/sessions";
import type { QueryOptions, SqlConnection } from "@/lib/db/sql-connection";
import type { SecurityEvent } from "@/lib/generated/prisma/client";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";

const serverUrl = inject("databaseUrl");

// The app's default pool size on PostgreSQL: parallel unlinks really run at once.
const backends = databaseBackends(serverUrl, { poolMax: 10 });

// A syntactically valid argon2id PHC string: the table's CHECK accepts nothing else.
const argon2idHash = `$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$RdescudvJCsgt3ub+b+dWRWJTmaaJObGq8CKvHDZ8c0`;

const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const HOUR = 3_600;
const DAY = 24 * HOUR;
const context = { ip: "203.0.113.12", userAgent: "Safari/18", requestId: "req-account-services" };

describe.each(backends)("account services on $name", (backend) => {
  describe.runIf(backend.available)("overview and sign-in methods", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    let counter = 0;
    const unique = (prefix: string) => `${prefix}-${++counter}-${randomBytes(3).toString("hex")}`;

    /**
     * getAccountOverview through Prisma (the default reader), checked against the page's
     * reader (sqlAccountReader, one statement on the driver): every overview below is
     * read both ways and must come out the same.
     */
    async function readOverview(input: Parameters<typeof getAccountOverview>[1]) {
      const viaPrisma = await getAccountOverview(prisma(), input);
      const sql = db().sql;
      const statements: string[] = [];
      const counting: SqlConnection = {
        ...sql,
        query<T>(text: string, params?: readonly unknown[], options?: QueryOptions) {
          statements.push(text);
          return sql.query<T>(text, params, options);
        },
      };
      const viaSql = await getAccountOverview(prisma(), {
        ...input,
        reader: sqlAccountReader(counting),
      });
      expect(viaSql).toEqual(viaPrisma);
      // The point of the page's reader: one round trip, however much the account holds.
      expect(statements).toHaveLength(1);
      return viaPrisma;
    }

    async function newUser({
      email = `${unique("person")}@example.com`,
      password = false,
      identities = [],
    }: {
      email?: string | null;
      password?: boolean;
      identities?: { provider: OAuthProviderId; linkedAt?: Date }[];
    } = {}) {
      const user = await prisma().user.create({
        data: {
          email,
          name: "Hedy",
          emailVerified: email === null ? null : at(-30 * DAY),
          createdAt: at(-60 * DAY),
          ...(password ? { password: { create: { hash: argon2idHash } } } : {}),
        },
      });
      const accounts = [];
      for (const { provider, linkedAt } of identities) {
        accounts.push(
          await prisma().account.create({
            data: {
              userId: user.id,
              type: "oauth",
              provider,
              providerAccountId: unique(provider),
              label: `hedy on ${provider}`,
              ...(linkedAt ? { createdAt: linkedAt } : {}),
            },
          }),
        );
      }
      return { ...user, accounts };
    }

    const signIn = (userId: string, now: Date, device: string, maxAgeSeconds = 24 * HOUR) =>
      createSession(prisma(), {
        userId,
        method: "google",
        ip: "198.51.100.20",
        userAgent: device,
        maxAgeSeconds,
        now,
      });

    // ---- getAccountOverview ------------------------------------------------------------

    it("getAccountOverview shows the user's own identities by link time, active sessions with the current one marked, and the newest 50 of 60 events", async () => {
      const user = await newUser({
        password: true,
        // Created out of order: the overview sorts by link time, not by insertion.
        identities: [
          { provider: "github", linkedAt: at(-2 * DAY) },
          { provider: "google", linkedAt: at(-10 * DAY) },
          { provider: "stackoverflow", linkedAt: at(-5 * DAY) },
        ],
      });
      const other = await newUser({
        password: true,
        identities: [{ provider: "google", linkedAt: at(-20 * DAY) }],
      });

      const older = await signIn(user.id, at(-3 * HOUR), "laptop");
      const current = await signIn(user.id, at(-HOUR), "this browser");
      const newer = await signIn(user.id, at(-60), "phone");
      const revoked = await signIn(user.id, at(-30), "revoked tablet");
      // Revoked directly: revokeSession would add an event of its own.
      await prisma().session.update({
        where: { id: revoked.sessionId },
        data: { revokedAt: at(-20) },
      });
      const expired = await signIn(user.id, at(-2 * HOUR), "expired kiosk", HOUR);
      const theirs = await signIn(other.id, at(-10), "their browser");

      // 60 events, one a second, plus some of the other user's, newer than all of them.
      await prisma().securityEvent.createMany({
        data: Array.from({ length: 60 }, (_, index) => ({
          userId: user.id,
          type: "SIGN_IN" as const,
          method: "google",
          detail: `event ${index}`,
          ip: "198.51.100.20",
          userAgent: "laptop",
          requestId: `req-${index}`,
          createdAt: at(-1 * DAY + index),
        })),
      });
      await prisma().securityEvent.createMany({
        data: Array.from({ length: 5 }, (_, index) => ({
          userId: other.id,
          type: "SIGN_IN_FAILED" as const,
          detail: `their event ${index}`,
          createdAt: at(-index),
        })),
      });

      const overview = await readOverview({
        userId: user.id,
        currentSessionId: current.sessionId,
        now: T,
      });
      if (!overview) throw new Error("expected an overview");

      expect(overview.user).toEqual({
        id: user.id,
        name: "Hedy",
        email: user.email,
        emailVerified: true,
        createdAt: at(-60 * DAY),
      });
      expect(overview.hasPassword).toBe(true);
      expect(overview.identities).toEqual([
        {
          id: user.accounts[1]?.id,
          provider: "google",
          label: "hedy on google",
          linkedAt: at(-10 * DAY),
          // Only a Telegram identity whose chat gets the alerts is one.
          alertsChat: false,
        },
        {
          id: user.accounts[2]?.id,
          provider: "stackoverflow",
          label: "hedy on stackoverflow",
          linkedAt: at(-5 * DAY),
          // Only a Telegram identity whose chat gets the alerts is one.
          alertsChat: false,
        },
        {
          id: user.accounts[0]?.id,
          provider: "github",
          label: "hedy on github",
          linkedAt: at(-2 * DAY),
          // Only a Telegram identity whose chat gets the alerts is one.
          alertsChat: false,
        },
      ]);

      // Newest sign-in first; revoked and expired ones are gone; only this browser is current.
      expect(overview.sessions.map(({ id, current: isCurrent }) => [id, isCurrent])).toEqual([
        [newer.sessionId, false],
        [current.sessionId, true],
        [older.sessionId, false],
      ]);
      expect(overview.sessions[1]).toEqual({
        id: current.sessionId,
        method: "google",
        ip: "198.51.100.20",
        userAgent: "this browser",
        createdAt: at(-HOUR),
        lastSeenAt: at(-HOUR),
        expires: at(-HOUR + 24 * HOUR),
        current: true,
      });
      const sessionIds = overview.sessions.map((session) => session.id);
      expect(sessionIds).not.toContain(revoked.sessionId);
      expect(sessionIds).not.toContain(expired.sessionId);
      expect(sessionIds).not.toContain(theirs.sessionId);

      // The newest 50, newest first: events 59 down to 10.
      expect(ACCOUNT_EVENT_LIMIT).toBe(50);
      expect(overview.events).toHaveLength(50);
      expect(overview.events.map((event) => event.detail)).toEqual(
        Array.from({ length: 50 }, (_, index) => `event ${59 - index}`),
      );
      expect(overview.events[0]).toEqual({
        id: expect.any(String) as string,
        type: "SIGN_IN",
        method: "google",
        ip: "198.51.100.20",
        userAgent: "laptop",
        detail: "event 59",
        createdAt: at(-1 * DAY + 59),
      });
      // What the page lists carries no request id (that is for the logs).
      expect(Object.keys(overview.events[0] ?? {})).not.toContain("requestId");

      // Another user's rows never appear.
      const otherIds = new Set([
        ...other.accounts.map((account) => account.id),
        theirs.sessionId,
        ...(await prisma().securityEvent.findMany({ where: { userId: other.id } })).map(
          (event) => event.id,
        ),
      ]);
      const shownIds = [
        ...overview.identities.map((identity) => identity.id),
        ...overview.sessions.map((session) => session.id),
        ...overview.events.map((event) => event.id),
      ];
      expect(shownIds.filter((id) => otherIds.has(id))).toEqual([]);

      // Without a current session id nothing is marked current; a smaller limit is honoured.
      const anonymous = await readOverview({
        userId: user.id,
        currentSessionId: null,
        now: T,
        eventLimit: 3,
      });
      expect(anonymous?.sessions.map((session) => session.current)).toEqual([false, false, false]);
      expect(anonymous?.events.map((event) => event.detail)).toEqual([
        "event 59",
        "event 58",
        "event 57",
      ]);

      // From the moment a session expires, it is no longer listed.
      const later = await readOverview({
        userId: user.id,
        currentSessionId: current.sessionId,
        now: at(-HOUR + 24 * HOUR),
      });
      expect(later?.sessions.map((session) => session.id)).toEqual([newer.sessionId]);
    });

    // ---- failed password attempts --------------------------------------------------------

    /** Failed password attempts on `userId`, `count` of them, one a second from `start`. */
    async function failures(
      userId: string | null,
      start: number,
      count: number,
      ip: (index: number) => string | null = (index) => `203.0.113.${index % 3}`,
      method = "password",
    ) {
      await prisma().securityEvent.createMany({
        data: Array.from({ length: count }, (_, index) => ({
          userId,
          type: "SIGN_IN_FAILED" as const,
          method,
          detail: "wrong email or password",
          ip: ip(index),
          userAgent: `attacker ${index}`,
          createdAt: at(start + index),
        })),
      });
    }

    async function realEvents(userId: string, start: number, count: number) {
      await prisma().securityEvent.createMany({
        data: Array.from({ length: count }, (_, index) => ({
          userId,
          type: "SIGN_IN" as const,
          method: "google",
          detail: `real ${index}`,
          createdAt: at(start + index),
        })),
      });
    }

    const overviewOf = (userId: string, options: { eventLimit?: number } = {}) =>
      readOverview({ userId, currentSessionId: null, now: T, ...options });

    it("getAccountOverview: 500 failed password attempts newer than 10 real events leave all 10 shown, plus one summed-up run", async () => {
      const user = await newUser({ password: true });
      await realEvents(user.id, -2 * HOUR, 10);
      await failures(user.id, -HOUR, 500);
      // Someone else's attempts, and ones that named no account, are never counted.
      const other = await newUser({ password: true });
      await failures(other.id, -HOUR + 1000, 20);
      await failures(null, -HOUR + 2000, 20);

      for (const eventLimit of [ACCOUNT_EVENT_LIMIT, 10]) {
        const overview = await overviewOf(user.id, { eventLimit });
        expect(overview?.events.map((event) => event.detail)).toEqual(
          Array.from({ length: 10 }, (_, index) => `real ${9 - index}`),
        );
        expect(overview?.failedAttempts).toEqual([
          {
            id: expect.any(String) as string,
            attempts: 500,
            countCapped: false,
            addresses: 3,
            last: { ip: "203.0.113.1", userAgent: "attacker 499", createdAt: at(-HOUR + 499) },
          },
        ]);
      }
      const latest = await prisma().securityEvent.findFirst({
        where: { userId: user.id, type: "SIGN_IN_FAILED" },
        orderBy: { createdAt: "desc" },
      });
      expect((await overviewOf(user.id))?.failedAttempts[0]?.id).toBe(latest?.id);
    });

    it("getAccountOverview sums up each run between two events; runs older than a cut history are left out with it", async () => {
      const user = await newUser({ password: true });
      await failures(user.id, -10 * HOUR, 2, () => "192.0.2.1"); // before every event
      await realEvents(user.id, -9 * HOUR, 1); // real 0
      await failures(user.id, -8 * HOUR, 3, (index) => (index === 0 ? null : `192.0.2.${index}`));
      await realEvents(user.id, -7 * HOUR, 1); // real 0 again, a later one
      await failures(user.id, -6 * HOUR, 1, () => "192.0.2.9");
      // A failure of another method (a refused link) is an event of its own, not a run.
      await failures(user.id, -5 * HOUR, 1, () => "192.0.2.10", "github");
      await failures(user.id, -4 * HOUR, 4, () => "192.0.2.11");

      const overview = await overviewOf(user.id);
      expect(overview?.events.map((event) => [event.type, event.method])).toEqual([
        ["SIGN_IN_FAILED", "github"],
        ["SIGN_IN", "google"],
        ["SIGN_IN", "google"],
      ]);
      expect(
        overview?.failedAttempts.map((run) => [
          run.attempts,
          run.addresses,
          run.last.ip,
          run.last.createdAt,
        ]),
      ).toEqual([
        [4, 1, "192.0.2.11", at(-4 * HOUR + 3)],
        [1, 1, "192.0.2.9", at(-6 * HOUR)],
        // An attempt with no recorded address counts as an attempt, not as an address.
        [3, 2, "192.0.2.2", at(-8 * HOUR + 2)],
        [2, 1, "192.0.2.1", at(-10 * HOUR + 1)],
      ]);

      // With only the newest two events shown, the attempts before them are not either.
      const cut = await overviewOf(user.id, { eventLimit: 2 });
      expect(cut?.events).toHaveLength(2);
      expect(cut?.failedAttempts.map((run) => run.attempts)).toEqual([4, 1]);
    });

    it("getAccountOverview counts a run up to the cap and says there were more", async () => {
      const user = await newUser({ password: true });
      await failures(user.id, -HOUR, 8, (index) => `198.51.100.${index}`);
      const overview = await readOverview({
        userId: user.id,
        currentSessionId: null,
        now: T,
        failedAttemptCountCap: 5,
      });
      expect(overview?.events).toEqual([]);
      expect(overview?.failedAttempts).toEqual([
        {
          id: expect.any(String) as string,
          attempts: 5,
          countCapped: true,
          // The newest six counted: 198.51.100.2 to .7.
          addresses: 6,
          last: { ip: "198.51.100.7", userAgent: "attacker 7", createdAt: at(-HOUR + 7) },
        },
      ]);
      const exact = await readOverview({
        userId: user.id,
        currentSessionId: null,
        now: T,
        failedAttemptCountCap: 8,
      });
      expect(exact?.failedAttempts.map((run) => [run.attempts, run.countCapped])).toEqual([
        [8, false],
      ]);
    });

    it("getAccountOverview puts an attempt made in the same millisecond as an event on the side its id sorts to", async () => {
      const user = await newUser({ password: true });
      const moment = at(-HOUR);
      const ids = ["evt-m", "evt-a", "evt-z"];
      await prisma().securityEvent.createMany({
        data: [
          { id: ids[0], userId: user.id, type: "SIGN_IN", method: "google", createdAt: moment },
          ...[ids[1], ids[2]].map((id) => ({
            id,
            userId: user.id,
            type: "SIGN_IN_FAILED" as const,
            method: "password",
            createdAt: moment,
          })),
        ],
      });
      const overview = await overviewOf(user.id);
      expect(overview?.events.map((event) => event.id)).toEqual(["evt-m"]);
      // Newest first, ties by id descending: evt-z, then the event, then evt-a.
      expect(overview?.failedAttempts.map((run) => [run.id, run.attempts])).toEqual([
        ["evt-z", 1],
        ["evt-a", 1],
      ]);
    });

    it("getAccountOverview of an account with no email, password, identities, sessions or events", async () => {
      const user = await newUser({ email: null });

      await expect(
        readOverview({ userId: user.id, currentSessionId: null, now: T }),
      ).resolves.toEqual({
        user: {
          id: user.id,
          name: "Hedy",
          email: null,
          emailVerified: false,
          createdAt: at(-60 * DAY),
        },
        hasPassword: false,
        telegram: null,
        identities: [],
        passkeys: [],
        sessions: [],
        events: [],
        failedAttempts: [],
        secondFactor: { totp: null, recoveryCodesLeft: 0 },
      });
    });

    it("getAccountOverview shows the connected Telegram chat and whether it approves sign-ins", async () => {
      const user = await newUser({ email: null });
      await prisma().telegramLink.create({
        data: {
          userId: user.id,
          chatId: BigInt(Date.now()),
          telegramUserId: 42n,
          username: "hedy",
          createdAt: at(-DAY),
        },
      });
      const overview = await readOverview({
        userId: user.id,
        currentSessionId: null,
        now: T,
      });
      expect(overview?.telegram).toEqual({
        username: "hedy",
        linkedAt: at(-DAY),
        approveSignIns: false,
      });
      // Approving sign-ins from the chat shows as on.
      await prisma().telegramLink.update({
        where: { userId: user.id },
        data: { approveSignIns: true },
      });
      const approving = await readOverview({
        userId: user.id,
        currentSessionId: null,
        now: T,
      });
      expect(approving?.telegram).toEqual({
        username: "hedy",
        linkedAt: at(-DAY),
        approveSignIns: true,
      });
    });

    it("getAccountOverview reads an account with every kind of record the same through Prisma and through the page's SQL, in any process time zone", async () => {
      const user = await newUser({
        password: true,
        identities: [{ provider: "github", linkedAt: at(-3 * DAY) }],
      });
      // A chat id past 2^53 (a bigint in its table): compared as text, digit for digit.
      const chatId = 9_007_199_254_740_993n + BigInt(randomBytes(2).readUInt16BE());
      await prisma().account.create({
        data: {
          userId: user.id,
          type: "oauth",
          provider: "telegram",
          providerAccountId: chatId.toString(),
          createdAt: at(-3 * DAY),
        },
      });
      await prisma().telegramLink.create({
        data: {
          userId: user.id,
          chatId,
          telegramUserId: 42n,
          username: null,
          createdAt: at(-DAY + 0.123),
          approveSignIns: true,
        },
      });
      await prisma().totpCredential.create({
        data: {
          userId: user.id,
          secret: "v1.a2V5",
          createdAt: at(-2 * DAY),
          confirmedAt: at(-2 * DAY + 30.5),
          lastUsedStep: 59_012_345,
        },
      });
      for (const used of [false, false, true]) {
        await prisma().recoveryCode.create({
          data: {
            userId: user.id,
            hash: randomBytes(32).toString("hex"),
            createdAt: at(-2 * DAY),
            usedAt: used ? at(-DAY) : null,
          },
        });
      }
      const passkey = (name: string, createdAt: Date, lastUsedAt: Date | null, synced: boolean) =>
        prisma().passkey.create({
          data: {
            userId: user.id,
            credentialId: randomBytes(16).toString("base64url"),
            publicKey: new Uint8Array([0xa5]),
            deviceType: synced ? "MULTI_DEVICE" : "SINGLE_DEVICE",
            backedUp: synced,
            userHandle: randomBytes(32).toString("base64url"),
            aaguid: "00000000-0000-0000-0000-000000000000",
            name,
            createdAt,
            lastUsedAt,
          },
        });
      // Two added in the same millisecond: the id decides, the same way on both paths.
      await passkey("Security key", at(-4 * DAY), null, false);
      await passkey("Phone “Pixel” \u00e9\u{1F511}", at(-4 * DAY), at(-0.001), true);
      await passkey("Laptop", at(-5 * DAY + 0.999), at(-HOUR), true);
      const first = await signIn(user.id, at(-HOUR), "Firefox/140");
      await signIn(user.id, at(-HOUR), "Safari/18");
      await signIn(user.id, at(-2 * HOUR), "expires at T", 2 * HOUR);
      await prisma().securityEvent.create({
        data: {
          userId: user.id,
          type: "PASSWORD_CHANGED",
          detail: "a detail",
          ip: "2001:db8::1",
          userAgent: "Firefox/140",
          createdAt: at(-30.25),
        },
      });
      await failures(user.id, -20, 3);

      // The columns hold UTC without a zone; read as local time they would shift by hours.
      const zone = process.env.TZ;
      process.env.TZ = "America/New_York";
      try {
        const overview = await readOverview({
          userId: user.id,
          currentSessionId: first.sessionId,
          now: T,
        });
        expect(overview?.user.createdAt).toEqual(at(-60 * DAY));
        // Linked in the same millisecond: the id decides, the same way on both paths.
        expect(
          overview?.identities.map((identity) => [identity.provider, identity.alertsChat]).sort(),
        ).toEqual([
          ["github", false],
          ["telegram", true],
        ]);
        expect(overview?.telegram).toEqual({
          username: null,
          linkedAt: at(-DAY + 0.123),
          approveSignIns: true,
        });
        expect(overview?.secondFactor).toEqual({
          totp: { confirmedAt: at(-2 * DAY + 30.5) },
          recoveryCodesLeft: 2,
        });
        expect(overview?.passkeys[0]?.name).toBe("Laptop");
        expect(
          overview?.passkeys
            .slice(1)
            .map((key) => key.name)
            .sort(),
        ).toEqual(["Phone “Pixel” \u00e9\u{1F511}", "Security key"]);
        expect(overview?.passkeys.find((key) => key.name === "Laptop")).toMatchObject({
          deviceType: "multi-device",
          backedUp: true,
          createdAt: at(-5 * DAY + 0.999),
          lastUsedAt: at(-HOUR),
        });
        // The session that expires at this very moment is gone on both paths.
        expect(overview?.sessions.map((session) => session.userAgent).sort()).toEqual([
          "Firefox/140",
          "Safari/18",
        ]);
        expect(overview?.events.map((event) => [event.type, event.createdAt])).toEqual([
          ["PASSWORD_CHANGED", at(-30.25)],
        ]);
        expect(overview?.failedAttempts).toEqual([
          {
            id: expect.any(String) as string,
            attempts: 3,
            countCapped: false,
            addresses: 3,
            last: { ip: "203.0.113.2", userAgent: "attacker 2", createdAt: at(-18) },
          },
        ]);
      } finally {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      }
    });

    it("getAccountOverview of an unknown user is null", async () => {
      await expect(
        readOverview({ userId: "no-such-user", currentSessionId: null, now: T }),
      ).resolves.toBeNull();
    });

    // ---- unlinkIdentity ----------------------------------------------------------------

    it("unlinkIdentity records ACCOUNT_UNLINKED with the provider, the context and the injected time, inside its transaction", async () => {
      const user = await newUser({
        identities: [{ provider: "google" }, { provider: "github" }],
      });
      const seen: SecurityEvent[] = [];

      await expect(
        unlinkIdentity(prisma(), {
          userId: user.id,
          accountId: user.accounts[1]?.id ?? "",
          now: at(5),
          context,
          afterRecord: (_tx, event) => {
            seen.push(event);
            return Promise.resolve();
          },
        }),
      ).resolves.toEqual({ provider: "github" });

      const events = await prisma().securityEvent.findMany({ where: { userId: user.id } });
      expect(events).toEqual([
        {
          id: expect.any(String) as string,
          userId: user.id,
          type: "ACCOUNT_UNLINKED",
          method: "github",
          detail: "unlinked from the account page",
          createdAt: at(5),
          ...context,
        },
      ]);
      expect(seen).toEqual(events);
      await expect(
        prisma().account.findMany({ where: { userId: user.id }, select: { provider: true } }),
      ).resolves.toEqual([{ provider: "google" }]);

      // A failing hook rolls the unlink back with its event.
      await newUser(); // unrelated rows do not matter
      const withThree = await newUser({
        identities: [{ provider: "google" }, { provider: "github" }, { provider: "stackoverflow" }],
      });
      await expect(
        unlinkIdentity(prisma(), {
          userId: withThree.id,
          accountId: withThree.accounts[0]?.id ?? "",
          now: at(6),
          context,
          afterRecord: () => Promise.reject(new Error("outbox unavailable")),
        }),
      ).rejects.toThrow(/outbox unavailable/);
      await expect(prisma().account.count({ where: { userId: withThree.id } })).resolves.toBe(3);
      await expect(prisma().securityEvent.count({ where: { userId: withThree.id } })).resolves.toBe(
        0,
      );
    });

    it("unlinkIdentity of another user's identity, or for an unknown user, is not-found and changes nothing", async () => {
      const me = await newUser({ identities: [{ provider: "google" }, { provider: "github" }] });
      const them = await newUser({ identities: [{ provider: "google" }, { provider: "github" }] });
      const accountsBefore = await prisma().account.findMany({ orderBy: { id: "asc" } });
      const eventsBefore = await prisma().securityEvent.count();

      for (const input of [
        { userId: me.id, accountId: them.accounts[0]?.id ?? "" },
        { userId: "no-such-user", accountId: me.accounts[0]?.id ?? "" },
      ]) {
        const error = await unlinkIdentity(prisma(), { ...input, now: T, context }).catch(
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(AccountError);
        expect(error).toMatchObject({ code: "not-found" });
      }

      await expect(prisma().account.findMany({ orderBy: { id: "asc" } })).resolves.toEqual(
        accountsBefore,
      );
      await expect(prisma().securityEvent.count()).resolves.toBe(eventsBefore);
    });

    it("unlinkIdentity counts each passkey as a way in, and a password only with an email", async () => {
      const addPasskey = (userId: string) =>
        prisma().passkey.create({
          data: {
            userId,
            credentialId: randomBytes(16).toString("base64url"),
            publicKey: new Uint8Array([0xa5]),
            deviceType: "MULTI_DEVICE",
            backedUp: true,
            userHandle: randomBytes(32).toString("base64url"),
            aaguid: "00000000-0000-0000-0000-000000000000",
            name: "Phone",
          },
        });
      // A password without an email cannot sign in: Google stays the only way.
      const noEmail = await newUser({
        email: null,
        password: true,
        identities: [{ provider: "google" }],
      });
      const unlinkOnly = (user: typeof noEmail) =>
        unlinkIdentity(prisma(), {
          userId: user.id,
          accountId: user.accounts[0]?.id ?? "",
          now: T,
          context,
        });
      await expect(unlinkOnly(noEmail)).rejects.toMatchObject({ code: "last-sign-in-method" });
      // With a passkey, Google can go.
      await addPasskey(noEmail.id);
      await expect(unlinkOnly(noEmail)).resolves.toEqual({ provider: "google" });
    });

    it("two parallel unlinks of a user's only two identities: exactly one succeeds, the other is refused as the last sign-in method", async () => {
      // Several rounds: on PostgreSQL the two transactions really overlap and only the
      // row lock keeps both from seeing "two left"; PGlite runs them one after the other.
      for (let round = 0; round < 5; round++) {
        const user = await newUser({
          identities: [{ provider: "google" }, { provider: "github" }],
        });

        const results = await Promise.allSettled(
          user.accounts.map((account) =>
            unlinkIdentity(prisma(), { userId: user.id, accountId: account.id, now: T, context }),
          ),
        );

        const fulfilled = results.filter((result) => result.status === "fulfilled");
        const rejected = results.filter((result) => result.status === "rejected");
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(1);
        expect(rejected[0]?.reason).toBeInstanceOf(AccountError);
        expect(rejected[0]?.reason).toMatchObject({ code: "last-sign-in-method" });
        const remaining = await prisma().account.findMany({ where: { userId: user.id } });
        expect(remaining).toHaveLength(1);
        expect(fulfilled[0]?.value.provider).not.toBe(remaining[0]?.provider);
        await expect(
          prisma().securityEvent.findMany({
            where: { userId: user.id },
            select: { type: true, method: true },
          }),
        ).resolves.toEqual([{ type: "ACCOUNT_UNLINKED", method: fulfilled[0]?.value.provider }]);
      }
    });

    // PostgreSQL only: PGlite has one connection, so a second transaction cannot start
    // while the first is open, and there is no lock to wait on.
    if (backend.name === "PostgreSQL") {
      it("a second unlink that starts while the first holds the lock waits for it, then sees one method left", async () => {
        const user = await newUser({
          identities: [{ provider: "google" }, { provider: "github" }],
        });
        const [first, second] = user.accounts;
        if (!first || !second) throw new Error("expected two identities");
        let secondUnlink: Promise<unknown> | undefined;
        let secondSettled = false;
        let sawSecondWaiting = false;

        const result = await unlinkIdentity(prisma(), {
          userId: user.id,
          accountId: first.id,
          now: T,
          context,
          // Runs inside the first transaction: its delete is done, not yet committed, and
          // it still holds the user's row lock.
          afterRecord: async () => {
            secondUnlink = unlinkIdentity(prisma(), {
              userId: user.id,
              accountId: second.id,
              now: T,
              context,
            }).finally(() => {
              secondSettled = true;
            });
            // Without the lock the second would read the committed state (two identities),
            // delete the other one and finish now. With it, it waits on a lock.
            for (let poll = 0; poll < 2_000 && !secondSettled && !sawSecondWaiting; poll++) {
              const [row] = await db().sql.query<{ waiting: number }>(
                `SELECT count(*)::int AS waiting FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'`,
              );
              sawSecondWaiting = (row?.waiting ?? 0) > 0;
            }
          },
        });

        expect(result).toEqual({ provider: "google" });
        expect(sawSecondWaiting).toBe(true);
        const error = await secondUnlink?.catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(AccountError);
        expect(error).toMatchObject({ code: "last-sign-in-method" });
        await expect(
          prisma().account.findMany({ where: { userId: user.id }, select: { id: true } }),
        ).resolves.toEqual([{ id: second.id }]);
      });
    }
  });
});
