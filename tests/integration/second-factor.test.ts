// The second factor's services (lib/auth/second-factor) on freshly migrated databases,
// PostgreSQL and PGlite: enrolment and its confirmation, what is stored (a sealed key and
// keyed hashes, never a key or a code in clear), a code accepted once and never again in
// its window, races of ten on one TOTP code and on one recovery code, regenerating and
// turning off, and the events with their Telegram alerts. Codes are computed here from the
// key with otpauth, at moments the test chooses: no test waits for a clock.
import { randomBytes } from "node:crypto";

import { Secret, TOTP } from "otpauth";
import { describe, expect, inject, it } from "vitest";

import {
  cancelTotpEnrolment,
  confirmTotpEnrolment,
  createSecondFactorKeys,
  disableTotp,
  pendingTotpEnrolment,
  regenerateRecoveryCodes,
  secondFactorStatus,
  startTotpEnrolment,
  redeemRecoveryCode,
  verifyTotpCode,
} from "@/lib/auth/second-factor";
import { spendTotpStep } from "@/lib/auth/second-factor/authenticator";
import type { Prisma, SecurityEvent } from "@/lib/generated/prisma/client";
import type { AfterRecordHook } from "@/lib/security/events";
import { alertHook } from "@/lib/telegram/outbox";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";

const serverUrl = inject("databaseUrl");
const keys = createSecondFactorKeys("s".repeat(43));
// 10:00:00 UTC is a step boundary: at(30 * n) is the start of the n-th step after it.
const T = new Date("2026-06-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T.getTime() + seconds * 1_000);
const STEP_T = Math.floor(T.getTime() / 30_000);
const CODE_FORMAT = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;
const context = { ip: "203.0.113.7", userAgent: "Firefox/140", requestId: "req-2fa" };

/** What an authenticator app shows for `secret` at `moment` (SHA-1, 6 digits, 30 s). */
function appCode(secret: string, moment: Date): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    timestamp: moment.getTime(),
  });
}

/** A six-digit code that is not `secret`'s at any step within a minute of `moment`. */
function wrongCode(secret: string, moment: Date): string {
  const near = new Set(
    [-30_000, 0, 30_000].map((ms) => appCode(secret, new Date(moment.getTime() + ms))),
  );
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, "0");
    if (!near.has(candidate)) return candidate;
  }
}

/** An afterRecord hook that remembers the events it saw. */
function recordingHook(): { hook: AfterRecordHook; seen: SecurityEvent[] } {
  const seen: SecurityEvent[] = [];
  return {
    seen,
    hook: (_tx, event) => {
      seen.push(event);
      return Promise.resolve();
    },
  };
}

describe.each(databaseBackends(serverUrl, { poolMax: 10 }))(
  "the second factor on $name",
  (backend) => {
    describe.runIf(backend.available)("TOTP and recovery codes", () => {
      const db = migratedDatabase(backend);
      const prisma = () => db().prisma;

      const newUser = () =>
        prisma().user.create({ data: { email: `${randomBytes(4).toString("hex")}@example.com` } });

      async function start(userId: string, now = T) {
        const started = await startTotpEnrolment(prisma(), {
          userId,
          now,
          keys,
          issuer: "Gatehouse",
          accountLabel: "ada@example.com",
        });
        if (started.status !== "started") throw new Error(`enrolment: ${started.status}`);
        return started;
      }

      /** A user with a confirmed authenticator (confirmed at T with T's code). */
      async function enrolledUser(afterRecord?: AfterRecordHook) {
        const user = await newUser();
        const { secret } = await start(user.id);
        const confirmed = await confirmTotpEnrolment(prisma(), {
          userId: user.id,
          code: appCode(secret, T),
          now: T,
          keys,
          context,
          afterRecord,
        });
        if (confirmed.status !== "enabled") throw new Error(`confirmation: ${confirmed.status}`);
        return { user, secret, recoveryCodes: confirmed.recoveryCodes };
      }

      /**
       * Runs `work` in `n` transactions at once. On PostgreSQL each transaction first holds its
       * own connection and waits for the others, so the `n` requests really overlap; PGlite has
       * one connection and runs transactions one after another (a gate would never open).
       */
      async function atOnce<T>(n: number, work: (tx: Prisma.TransactionClient) => Promise<T>) {
        let arrived = 0;
        let open = () => {};
        const gate = new Promise<void>((resolve) => (open = resolve));
        return Promise.all(
          Array.from({ length: n }, () =>
            prisma().$transaction(async (tx) => {
              if (backend.name === "PostgreSQL") {
                await tx.$queryRaw`SELECT 1`;
                if (++arrived === n) open();
                await gate;
              }
              return work(tx);
            }),
          ),
        );
      }

      const verify = (userId: string, code: unknown, now: Date) =>
        verifyTotpCode(prisma(), { userId, code, now, keys }).then((result) => result.status);

      const events = (userId: string) =>
        prisma()
          .securityEvent.findMany({ where: { userId }, orderBy: { createdAt: "asc" } })
          .then((rows) => rows.map((e) => [e.type, e.detail]));

      describe("enrolment", () => {
        it("hands out the key, its otpauth:// URI and a QR code, and stores the key only sealed, pending", async () => {
          const user = await newUser();
          const started = await start(user.id);
          expect(started.secret).toMatch(/^[A-Z2-7]{32}$/);
          expect(started.uri).toBe(
            `otpauth://totp/Gatehouse:ada%40example.com?issuer=Gatehouse&secret=${started.secret}&algorithm=SHA1&digits=6&period=30`,
          );
          expect(started.qrSvg).toMatch(/^<svg [^>]*>.*<\/svg>$/s);

          const row = await prisma().totpCredential.findUniqueOrThrow({
            where: { userId: user.id },
          });
          expect(row).toMatchObject({ confirmedAt: null, lastUsedStep: null, createdAt: T });
          expect(row.secret).toMatch(/^v1\./);
          expect(row.secret).not.toContain(started.secret);
          expect(keys.totpSecret.open(row.secret, user.id)).toBe(started.secret);
          // Bound to its user, and to this AUTH_SECRET.
          expect(keys.totpSecret.open(row.secret, "someone-else")).toBeNull();
          expect(
            createSecondFactorKeys("t".repeat(43)).totpSecret.open(row.secret, user.id),
          ).toBeNull();

          // Pending changes nothing about signing in.
          await expect(secondFactorStatus(prisma(), user.id)).resolves.toEqual({
            totp: false,
            recoveryCodesLeft: 0,
          });
          expect(await verify(user.id, appCode(started.secret, T), T)).toBe("not-enabled");
        });

        it("each enrolment has a fresh key; starting again replaces the pending one", async () => {
          const user = await newUser();
          const first = await start(user.id);
          const second = await start(user.id, at(5));
          expect(second.secret).not.toBe(first.secret);
          expect(await prisma().totpCredential.count({ where: { userId: user.id } })).toBe(1);
          const confirm = (secret: string) =>
            confirmTotpEnrolment(prisma(), {
              userId: user.id,
              code: appCode(secret, at(10)),
              now: at(10),
              keys,
            }).then((result) => result.status);
          expect(await confirm(first.secret)).toBe("wrong-code");
          expect(await confirm(second.secret)).toBe("enabled");
        });

        it("refuses a wrong code and changes nothing; a right one (±1 step, spaces allowed) turns it on once", async () => {
          const { hook, seen } = recordingHook();
          const user = await newUser();
          const { secret } = await start(user.id);
          const before = await prisma().totpCredential.findUniqueOrThrow({
            where: { userId: user.id },
          });
          const confirm = (code: unknown, now = T) =>
            confirmTotpEnrolment(prisma(), {
              userId: user.id,
              code,
              now,
              keys,
              context,
              afterRecord: hook,
            });

          const refused: unknown[] = [
            wrongCode(secret, T),
            appCode(secret, at(-60)), // two steps old: outside the window
            appCode(secret, at(60)), // two steps ahead
            appCode(secret, T).slice(1),
            `${appCode(secret, T)}0`,
            "abcdef",
            "",
            null,
            Number(appCode(secret, T)),
            [appCode(secret, T)],
          ];
          for (const code of refused) {
            await expect(confirm(code), JSON.stringify(code)).resolves.toEqual({
              status: "wrong-code",
            });
          }
          await expect(
            prisma().totpCredential.findUniqueOrThrow({ where: { userId: user.id } }),
          ).resolves.toEqual(before);
          expect(await prisma().recoveryCode.count({ where: { userId: user.id } })).toBe(0);
          expect(await events(user.id)).toEqual([]);
          expect(seen).toEqual([]);

          // The previous step's code, typed the way apps show it ("123 456").
          const code = appCode(secret, at(-30));
          const result = await confirm(`${code.slice(0, 3)} ${code.slice(3)}`);
          if (result.status !== "enabled") throw new Error(`confirmation: ${result.status}`);
          expect(result.recoveryCodes).toHaveLength(10);
          expect(new Set(result.recoveryCodes).size).toBe(10);
          for (const recoveryCode of result.recoveryCodes)
            expect(recoveryCode).toMatch(CODE_FORMAT);

          await expect(
            prisma().totpCredential.findUniqueOrThrow({ where: { userId: user.id } }),
          ).resolves.toMatchObject({ confirmedAt: T, lastUsedStep: STEP_T - 1 });
          expect(await events(user.id)).toEqual([["TOTP_ENABLED", null]]);
          expect(seen.map((e) => [e.type, e.ip, e.userAgent, e.requestId])).toEqual([
            ["TOTP_ENABLED", context.ip, context.userAgent, context.requestId],
          ]);
          await expect(secondFactorStatus(prisma(), user.id)).resolves.toEqual({
            totp: true,
            recoveryCodesLeft: 10,
          });

          // Once on, it stays as it is: no second confirmation, no new enrolment over it.
          expect((await confirm(appCode(secret, T))).status).toBe("already-enabled");
          await expect(
            startTotpEnrolment(prisma(), {
              userId: user.id,
              now: at(1),
              keys,
              issuer: "Gatehouse",
              accountLabel: "ada@example.com",
            }),
          ).resolves.toEqual({ status: "already-enabled" });
          expect(
            keys.totpSecret.open(
              (await prisma().totpCredential.findUniqueOrThrow({ where: { userId: user.id } }))
                .secret,
              user.id,
            ),
          ).toBe(secret);
        });

        it("answers not-started with nothing pending, and unknown-user for no such user", async () => {
          const user = await newUser();
          await expect(
            confirmTotpEnrolment(prisma(), { userId: user.id, code: "123456", now: T, keys }),
          ).resolves.toEqual({ status: "not-started" });
          await expect(
            startTotpEnrolment(prisma(), {
              userId: "no-such-user",
              now: T,
              keys,
              issuer: "Gatehouse",
              accountLabel: "x",
            }),
          ).resolves.toEqual({ status: "unknown-user" });
        });

        it("a pending enrolment reads back as it was started, until it is confirmed, cancelled or its key no longer opens", async () => {
          const pendingOf = (userId: string, withKeys = keys) =>
            pendingTotpEnrolment(prisma(), {
              userId,
              keys: withKeys,
              issuer: "Gatehouse",
              accountLabel: "ada@example.com",
            });
          const user = await newUser();
          await expect(pendingOf(user.id)).resolves.toBeNull();
          const started = await start(user.id);
          const { status: _status, ...enrolment } = started;
          await expect(pendingOf(user.id)).resolves.toEqual(enrolment);
          // Another user's id, and another AUTH_SECRET, open nothing.
          await expect(pendingOf((await newUser()).id)).resolves.toBeNull();
          await expect(
            pendingOf(user.id, createSecondFactorKeys("t".repeat(43))),
          ).resolves.toBeNull();
          // Reading changed nothing: the key shown is still the one that confirms.
          const confirmed = await confirmTotpEnrolment(prisma(), {
            userId: user.id,
            code: appCode(started.secret, T),
            now: T,
            keys,
          });
          expect(confirmed.status).toBe("enabled");
          // Once on, the key is never shown again.
          await expect(pendingOf(user.id)).resolves.toBeNull();
        });

        it("cancelling drops a pending enrolment only: a confirmed app stays on, and a second cancel finds nothing", async () => {
          const { hook, seen } = recordingHook();
          const user = await newUser();
          await start(user.id);
          await expect(cancelTotpEnrolment(prisma(), { userId: user.id })).resolves.toEqual({
            status: "cancelled",
          });
          expect(await prisma().totpCredential.count({ where: { userId: user.id } })).toBe(0);
          await expect(cancelTotpEnrolment(prisma(), { userId: user.id })).resolves.toEqual({
            status: "not-started",
          });

          const { user: enrolled } = await enrolledUser(hook);
          const before = await prisma().totpCredential.findUniqueOrThrow({
            where: { userId: enrolled.id },
          });
          await expect(cancelTotpEnrolment(prisma(), { userId: enrolled.id })).resolves.toEqual({
            status: "already-enabled",
          });
          await expect(
            prisma().totpCredential.findUniqueOrThrow({ where: { userId: enrolled.id } }),
          ).resolves.toEqual(before);
          await expect(secondFactorStatus(prisma(), enrolled.id)).resolves.toEqual({
            totp: true,
            recoveryCodesLeft: 10,
          });
          expect(seen.map((event) => event.type)).toEqual(["TOTP_ENABLED"]);
        });

        it("keeps neither the key nor any recovery code in clear anywhere in the database", async () => {
          const { hook } = recordingHook();
          const { user, secret, recoveryCodes } = await enrolledUser(hook);
          await redeemRecoveryCode(prisma(), {
            userId: user.id,
            code: recoveryCodes[0],
            now: at(1),
            keys,
          });
          const dump = JSON.stringify([
            await db().sql.query(`SELECT * FROM "TotpCredential" WHERE "userId" = $1`, [user.id]),
            await db().sql.query(`SELECT * FROM "RecoveryCode" WHERE "userId" = $1`, [user.id]),
            await db().sql.query(`SELECT * FROM "SecurityEvent" WHERE "userId" = $1`, [user.id]),
            await db().sql.query(`SELECT * FROM "NotificationOutbox" WHERE "userId" = $1`, [
              user.id,
            ]),
          ]).toLowerCase();
          expect(dump).toContain(user.id.toLowerCase());
          expect(dump).not.toContain(secret.toLowerCase());
          for (const code of recoveryCodes) {
            expect(dump).not.toContain(code);
            expect(dump).not.toContain(code.replace("-", ""));
          }
          const hashes = await prisma().recoveryCode.findMany({
            where: { userId: user.id },
            select: { hash: true },
          });
          expect(hashes.map((row) => row.hash).sort()).toEqual(
            recoveryCodes
              .map((code) => keys.recoveryCodeHash(user.id, code.replace("-", "")))
              .sort(),
          );
        });
      });

      describe("a TOTP code", () => {
        it("is accepted once: the confirming code, a replay and an older step after a newer are refused", async () => {
          const { user, secret } = await enrolledUser();
          // The code that confirmed the app cannot be used again to sign in.
          expect(await verify(user.id, appCode(secret, T), at(10))).toBe("reused");
          // The next step's code, once.
          expect(await verify(user.id, appCode(secret, at(30)), at(31))).toBe("accepted");
          expect(await verify(user.id, appCode(secret, at(30)), at(32))).toBe("reused");
          // Ahead of the server's clock by one step (the phone's clock is fast): accepted once;
          // after it, the current step's code is older and refused.
          expect(await verify(user.id, appCode(secret, at(90)), at(60))).toBe("accepted");
          expect(await verify(user.id, appCode(secret, at(60)), at(61))).toBe("reused");
          expect(await verify(user.id, appCode(secret, at(90)), at(62))).toBe("reused");
          // Wrong codes and codes outside the window are wrong, whatever the state.
          expect(await verify(user.id, wrongCode(secret, at(120)), at(120))).toBe("wrong-code");
          expect(await verify(user.id, appCode(secret, at(60)), at(150))).toBe("wrong-code");
          expect(await verify(user.id, "12 34", at(150))).toBe("wrong-code");
          expect(await verify(user.id, "１２３４５６", at(150))).toBe("wrong-code");
          await expect(
            prisma().totpCredential.findUniqueOrThrow({ where: { userId: user.id } }),
          ).resolves.toMatchObject({ lastUsedStep: STEP_T + 3 });
        });

        it("from the previous step (the phone's clock is slow) is accepted once", async () => {
          const { user, secret } = await enrolledUser();
          expect(await verify(user.id, appCode(secret, at(30)), at(60))).toBe("accepted");
          expect(await verify(user.id, appCode(secret, at(30)), at(61))).toBe("reused");
          expect(await verify(user.id, appCode(secret, at(60)), at(62))).toBe("accepted");
        });

        it("ten checks of one code at once, each in its own transaction: exactly one is accepted", async () => {
          const { user, secret } = await enrolledUser();
          const code = appCode(secret, at(300));
          const results = await atOnce(10, (tx) =>
            verifyTotpCode(tx, { userId: user.id, code, now: at(300), keys }),
          );
          expect(results.map((result) => result.status).sort()).toEqual([
            "accepted",
            ...Array<string>(9).fill("reused"),
          ]);
          await expect(
            prisma().totpCredential.findUniqueOrThrow({ where: { userId: user.id } }),
          ).resolves.toMatchObject({ lastUsedStep: STEP_T + 10 });
        });

        it("the step is spent by a conditional update: a read that went stale cannot win twice", async () => {
          // What a request that read lastUsedStep before its rival's update committed does next.
          const { user } = await enrolledUser();
          expect(await spendTotpStep(prisma(), user.id, STEP_T + 1)).toBe(true);
          expect(await spendTotpStep(prisma(), user.id, STEP_T + 1)).toBe(false);
          expect(await spendTotpStep(prisma(), user.id, STEP_T)).toBe(false);
          expect(await spendTotpStep(prisma(), user.id, STEP_T + 2)).toBe(true);
          // A pending enrolment has nothing to claim.
          const pending = await newUser();
          await start(pending.id);
          expect(await spendTotpStep(prisma(), pending.id, STEP_T + 5)).toBe(false);
        });

        it("is refused without a confirmed app, and says so when the key does not open", async () => {
          const user = await newUser();
          expect(await verify(user.id, "123456", T)).toBe("not-enabled");
          const { user: enrolled, secret } = await enrolledUser();
          // The same database under another AUTH_SECRET: the sealed key opens to nothing.
          const otherKeys = createSecondFactorKeys("t".repeat(43));
          await expect(
            verifyTotpCode(prisma(), {
              userId: enrolled.id,
              code: appCode(secret, at(30)),
              now: at(30),
              keys: otherKeys,
            }),
          ).resolves.toEqual({ status: "key-unreadable" });
          // Nothing was used up by that.
          expect(await verify(enrolled.id, appCode(secret, at(30)), at(30))).toBe("accepted");
        });
      });

      describe("recovery codes", () => {
        it("each works once, typed loosely; the event says how many are left", async () => {
          const { hook, seen } = recordingHook();
          const { user, recoveryCodes } = await enrolledUser();
          const [first = "", second = ""] = recoveryCodes;
          const use = (code: unknown, now = at(10)) =>
            redeemRecoveryCode(prisma(), {
              userId: user.id,
              code,
              now,
              keys,
              context,
              afterRecord: hook,
            });

          // Upper case, spaces for the dash, a typographic dash, Crockford's look-alikes.
          const loosely = ` ${first.toUpperCase().replace("-", " ")} `;
          await expect(use(loosely)).resolves.toEqual({ status: "accepted", codesLeft: 9 });
          await expect(use(first)).resolves.toEqual({ status: "used" });
          const lookAlikes = second.replace("-", "–").replace(/0/g, "O").replace(/1/g, "l");
          await expect(use(lookAlikes, at(20))).resolves.toEqual({
            status: "accepted",
            codesLeft: 8,
          });

          const other = await enrolledUser();
          for (const code of [other.recoveryCodes[0], "00000-00000", "", "not a code", null, 42]) {
            await expect(use(code), JSON.stringify(code)).resolves.toEqual({
              status: "wrong-code",
            });
          }
          // The other account's code still works for its owner.
          await expect(
            redeemRecoveryCode(prisma(), {
              userId: other.user.id,
              code: other.recoveryCodes[0],
              now: at(30),
              keys,
            }),
          ).resolves.toEqual({ status: "accepted", codesLeft: 9 });

          const rows = await prisma().recoveryCode.findMany({ where: { userId: user.id } });
          expect(
            rows
              .map((row) => row.usedAt)
              .filter((usedAt) => usedAt !== null)
              .sort(),
          ).toEqual([at(10), at(20)]);
          await expect(secondFactorStatus(prisma(), user.id)).resolves.toEqual({
            totp: true,
            recoveryCodesLeft: 8,
          });
          expect(await events(user.id)).toEqual([
            ["TOTP_ENABLED", null],
            ["RECOVERY_CODE_USED", "9 codes left"],
            ["RECOVERY_CODE_USED", "8 codes left"],
          ]);
          expect(seen.map((e) => [e.type, e.ip, e.requestId])).toEqual([
            ["RECOVERY_CODE_USED", context.ip, context.requestId],
            ["RECOVERY_CODE_USED", context.ip, context.requestId],
          ]);
        });

        it("ten uses of one code at once, each in its own transaction: exactly one wins", async () => {
          const { user, recoveryCodes } = await enrolledUser();
          const results = await atOnce(10, (tx) =>
            redeemRecoveryCode(tx, { userId: user.id, code: recoveryCodes[3], now: at(5), keys }),
          );
          expect(results.map((result) => result.status).sort()).toEqual([
            "accepted",
            ...Array<string>(9).fill("used"),
          ]);
          expect(
            await prisma().recoveryCode.count({ where: { userId: user.id, usedAt: null } }),
          ).toBe(9);
          expect(
            (await events(user.id)).filter(([type]) => type === "RECOVERY_CODE_USED"),
          ).toHaveLength(1);
        });

        it("open nothing without a confirmed app, even if a row were left behind", async () => {
          const { user, recoveryCodes } = await enrolledUser();
          // Not a path the services take (turning off deletes the codes first): the row alone.
          await prisma().totpCredential.delete({ where: { userId: user.id } });
          await expect(
            redeemRecoveryCode(prisma(), {
              userId: user.id,
              code: recoveryCodes[0],
              now: at(1),
              keys,
            }),
          ).resolves.toEqual({ status: "wrong-code" });
          expect(
            await prisma().recoveryCode.count({ where: { userId: user.id, usedAt: null } }),
          ).toBe(10);
        });

        it("regenerating hands out ten new ones; every earlier one stops working, used or not", async () => {
          const { hook, seen } = recordingHook();
          const { user, recoveryCodes } = await enrolledUser();
          await redeemRecoveryCode(prisma(), {
            userId: user.id,
            code: recoveryCodes[0],
            now: at(1),
            keys,
          });
          const result = await regenerateRecoveryCodes(prisma(), {
            userId: user.id,
            now: at(2),
            keys,
            context,
            afterRecord: hook,
          });
          if (result.status !== "regenerated") throw new Error(`regenerate: ${result.status}`);
          expect(result.recoveryCodes).toHaveLength(10);
          for (const code of result.recoveryCodes) {
            expect(code).toMatch(CODE_FORMAT);
            expect(recoveryCodes).not.toContain(code);
          }
          await expect(secondFactorStatus(prisma(), user.id)).resolves.toEqual({
            totp: true,
            recoveryCodesLeft: 10,
          });
          for (const old of recoveryCodes) {
            expect(
              (await redeemRecoveryCode(prisma(), { userId: user.id, code: old, now: at(3), keys }))
                .status,
            ).toBe("wrong-code");
          }
          expect(
            (
              await redeemRecoveryCode(prisma(), {
                userId: user.id,
                code: result.recoveryCodes[9],
                now: at(4),
                keys,
              })
            ).status,
          ).toBe("accepted");
          expect(seen.map((e) => [e.type, e.detail])).toEqual([
            ["RECOVERY_CODES_REGENERATED", "the earlier codes no longer work"],
          ]);
          // No app, nothing to recover: no codes.
          const plain = await newUser();
          await expect(
            regenerateRecoveryCodes(prisma(), { userId: plain.id, now: T, keys }),
          ).resolves.toEqual({ status: "not-enabled" });
          await start(plain.id);
          await expect(
            regenerateRecoveryCodes(prisma(), { userId: plain.id, now: T, keys }),
          ).resolves.toEqual({ status: "not-enabled" });
          expect(await prisma().recoveryCode.count({ where: { userId: plain.id } })).toBe(0);
        });
      });

      describe("turning it off", () => {
        it("deletes the key and every recovery code, records TOTP_DISABLED; the app can be enrolled again", async () => {
          const { hook, seen } = recordingHook();
          const { user, secret, recoveryCodes } = await enrolledUser();
          const bystander = await enrolledUser();
          await expect(
            disableTotp(prisma(), { userId: user.id, now: at(5), context, afterRecord: hook }),
          ).resolves.toEqual({ status: "disabled" });

          expect(await prisma().totpCredential.count({ where: { userId: user.id } })).toBe(0);
          expect(await prisma().recoveryCode.count({ where: { userId: user.id } })).toBe(0);
          await expect(secondFactorStatus(prisma(), user.id)).resolves.toEqual({
            totp: false,
            recoveryCodesLeft: 0,
          });
          expect(await verify(user.id, appCode(secret, at(30)), at(30))).toBe("not-enabled");
          expect(
            (
              await redeemRecoveryCode(prisma(), {
                userId: user.id,
                code: recoveryCodes[1],
                now: at(6),
                keys,
              })
            ).status,
          ).toBe("wrong-code");
          expect(seen.map((e) => [e.type, e.userId, e.ip])).toEqual([
            ["TOTP_DISABLED", user.id, context.ip],
          ]);
          expect((await events(user.id)).map(([type]) => type)).toEqual([
            "TOTP_ENABLED",
            "TOTP_DISABLED",
          ]);

          // Turning off what is off records nothing.
          await expect(
            disableTotp(prisma(), { userId: user.id, now: at(6), afterRecord: hook }),
          ).resolves.toEqual({ status: "not-enabled" });
          expect(seen).toHaveLength(1);

          // Someone else's stays.
          await expect(secondFactorStatus(prisma(), bystander.user.id)).resolves.toEqual({
            totp: true,
            recoveryCodesLeft: 10,
          });

          const again = await start(user.id, at(7));
          expect(again.secret).not.toBe(secret);
          expect(
            (
              await confirmTotpEnrolment(prisma(), {
                userId: user.id,
                code: appCode(again.secret, at(7)),
                now: at(7),
                keys,
              })
            ).status,
          ).toBe("enabled");
        });

        it("a pending enrolment is dropped quietly: nothing was on", async () => {
          const { hook, seen } = recordingHook();
          const user = await newUser();
          await start(user.id);
          await expect(
            disableTotp(prisma(), { userId: user.id, now: at(1), afterRecord: hook }),
          ).resolves.toEqual({ status: "not-enabled" });
          expect(await prisma().totpCredential.count({ where: { userId: user.id } })).toBe(0);
          expect(seen).toEqual([]);
        });
      });

      it("with a Telegram chat linked, each change queues its alert through the real hook", async () => {
        const deliveries: number[] = [];
        const afterRecord = alertHook({ deliverSoon: () => deliveries.push(1) });
        const user = await newUser();
        await prisma().telegramLink.create({
          data: { userId: user.id, chatId: BigInt(Date.now()) * 100n + 7n, telegramUserId: 9n },
        });
        const { secret } = await start(user.id);
        const confirmed = await confirmTotpEnrolment(prisma(), {
          userId: user.id,
          code: appCode(secret, T),
          now: T,
          keys,
          afterRecord,
        });
        if (confirmed.status !== "enabled") throw new Error(`confirmation: ${confirmed.status}`);
        await redeemRecoveryCode(prisma(), {
          userId: user.id,
          code: confirmed.recoveryCodes[0],
          now: at(1),
          keys,
          afterRecord,
        });
        await regenerateRecoveryCodes(prisma(), { userId: user.id, now: at(2), keys, afterRecord });
        await disableTotp(prisma(), { userId: user.id, now: at(3), afterRecord });

        const queued = await prisma().notificationOutbox.findMany({
          where: { userId: user.id },
          orderBy: { createdAt: "asc" },
          select: { channel: true, kind: true, status: true, securityEventId: true },
        });
        expect(queued.map((row) => [row.channel, row.kind, row.status])).toEqual([
          ["TELEGRAM", "TOTP_ENABLED", "PENDING"],
          ["TELEGRAM", "RECOVERY_CODE_USED", "PENDING"],
          ["TELEGRAM", "RECOVERY_CODES_REGENERATED", "PENDING"],
          ["TELEGRAM", "TOTP_DISABLED", "PENDING"],
        ]);
        expect(queued.every((row) => row.securityEventId !== null)).toBe(true);
        expect(deliveries).toHaveLength(4);
      });
    });
  },
);
