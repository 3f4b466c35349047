// Mail through the shared outbox, on PostgreSQL and PGlite, to a real SMTP server in this
// process (tests/support/smtp-sink.ts) through nodemailer: queued in the caller's
// transaction (a rollback leaves nothing), delivered after it, retried with backoff while
// SMTP is down (the clock is injected), FAILED on a permanent refusal, and the sealed link
// gone from the row once it is SENT or FAILED.
import { randomBytes } from "node:crypto";

import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";

import { createQueueMail, mailChannel } from "@/lib/mail/outbox";
import { createSmtpSender } from "@/lib/mail/sender";
import { createOutboxDelivery, SEALED_LINK_KEY } from "@/lib/notifications/outbox";
import { createLinkSealer } from "@/lib/security/sealed-link";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { startSmtpSink, type SmtpSink } from "@/tests/support/smtp-sink";

const backends = databaseBackends(inject("databaseUrl"));

const APP = "http://localhost:3999";
const FROM = "Gatehouse <no-reply@gatehouse.test>";
const SECRET = "m".repeat(44);
// The injected clock starts just after the database's own now(), which stamps new rows.
let T = new Date();

let sink: SmtpSink;
beforeAll(async () => {
  // Recipients starting with "bounce" get 550 mailbox unavailable.
  sink = await startSmtpSink({ rejectRecipient: (address) => address.startsWith("bounce") });
});
afterAll(async () => {
  await sink.stop();
});

describe.each(backends)("mail through the outbox on $name", (backend) => {
  describe.runIf(backend.available)("queue, deliver, retry", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;
    const sealer = createLinkSealer(SECRET);
    let clock = T;
    let asked = 0;
    const logger = memoryLogger();

    const queueMail = createQueueMail({
      sealer,
      appUrl: APP,
      deliverSoon: () => (asked += 1),
    });
    const delivery = () =>
      createOutboxDelivery({
        prisma: prisma(),
        channels: {
          EMAIL: mailChannel({
            sender: createSmtpSender({ url: sink.url }),
            sealer,
            appUrl: APP,
            from: FROM,
          }),
        },
        logger,
        maxAttempts: 5,
        now: () => clock,
        sleep: () => Promise.resolve(),
      });

    beforeEach(async () => {
      await prisma().notificationOutbox.deleteMany({});
      sink.clear();
      await sink.restart();
      T = new Date(Date.now() + 1_000);
      clock = T;
      asked = 0;
    });

    const newUser = (prefix = "ada") =>
      prisma().user.create({
        data: { email: `${prefix}-${randomBytes(4).toString("hex")}@example.com`, name: "Ada" },
      });
    const token = () => randomBytes(32).toString("base64url");
    const rowOf = (id: string) => prisma().notificationOutbox.findUniqueOrThrow({ where: { id } });

    async function queueReset(to: string, userId: string, link: string) {
      return prisma().$transaction((tx) =>
        queueMail(tx, { userId, to, kind: "RESET_PASSWORD", data: { expiresInMinutes: 30 }, link }),
      );
    }

    it("a mail queued in a transaction goes out through SMTP after it, link and all", async () => {
      const user = await newUser();
      const raw = token();
      const link = `${APP}/reset-password?token=${raw}`;
      const id = await queueReset(user.email ?? "", user.id, link);
      expect(asked).toBe(1);

      // At rest the link is sealed: the raw token is nowhere in the row.
      const queued = await rowOf(id);
      expect(queued).toMatchObject({ channel: "EMAIL", kind: "RESET_PASSWORD", status: "PENDING" });
      expect(JSON.stringify(queued.payload)).not.toContain(raw);
      const payload = queued.payload as Record<string, unknown>;
      expect(payload.to).toBe(user.email);
      expect(typeof payload[SEALED_LINK_KEY]).toBe("string");

      await expect(delivery().deliverDue()).resolves.toEqual({ sent: 1, failed: 0, deferred: 0 });
      const mail = await sink.waitForMail((m) => m.to.includes(user.email ?? ""));
      expect(mail.subject).toBe("Reset your Gatehouse password");
      expect(mail.from).toBe(`"Gatehouse" <no-reply@gatehouse.test>`);
      expect(mail.links).toEqual([link]);
      expect(mail.text).toContain("works once and for 30 minutes");
      expect(mail.html).toContain(`href="${link}"`);
      expect(mail.html).toContain("Choose a new password");

      const sent = await rowOf(id);
      expect(sent).toMatchObject({ status: "SENT", attempts: 1, externalId: mail.messageId });
      expect(sent.sentAt?.toISOString()).toBe(T.toISOString());
      // Delivered: the sealed link is gone, the rest of the payload stays.
      expect(sent.payload).toEqual({ to: user.email, data: { expiresInMinutes: 30 } });
    });

    it("a rolled-back transaction queues nothing and sends nothing", async () => {
      const user = await newUser();
      await expect(
        prisma().$transaction(async (tx) => {
          await queueMail(tx, {
            userId: user.id,
            to: user.email ?? "",
            kind: "SIGN_UP_EXISTING",
            data: {},
          });
          throw new Error("the sign-up failed after queueing");
        }),
      ).rejects.toThrow(/sign-up failed/);
      expect(await prisma().notificationOutbox.count({ where: { userId: user.id } })).toBe(0);
      await expect(delivery().deliverDue()).resolves.toEqual({ sent: 0, failed: 0, deferred: 0 });
      expect(sink.mails).toEqual([]);
    });

    it("SMTP down: the row waits with a backoff, then goes out once the server is back", async () => {
      const user = await newUser();
      const link = `${APP}/verify-email?token=${token()}`;
      const id = await prisma().$transaction((tx) =>
        queueMail(tx, {
          userId: user.id,
          to: user.email ?? "",
          kind: "VERIFY_EMAIL",
          data: { expiresInMinutes: 1_440 },
          link,
        }),
      );
      await sink.stop();
      await expect(delivery().deliverDue()).resolves.toEqual({ sent: 0, failed: 0, deferred: 1 });
      const deferred = await rowOf(id);
      expect(deferred).toMatchObject({ status: "PENDING", attempts: 1 });
      expect(deferred.lastError).toMatch(/ECONNREFUSED|ECONNECTION|connect/i);
      // 30 s ± 20 % later, not sooner.
      const wait = deferred.nextAttemptAt.getTime() - T.getTime();
      expect(wait).toBeGreaterThanOrEqual(24_000);
      expect(wait).toBeLessThanOrEqual(36_000);
      expect(deferred.payload).toHaveProperty(SEALED_LINK_KEY);

      // Not due yet: nothing is tried even with the server back.
      await sink.restart();
      clock = new Date(T.getTime() + 10_000);
      await expect(delivery().deliverDue()).resolves.toEqual({ sent: 0, failed: 0, deferred: 0 });

      clock = new Date(deferred.nextAttemptAt.getTime() + 1);
      await expect(delivery().deliverDue()).resolves.toEqual({ sent: 1, failed: 0, deferred: 0 });
      const mail = await sink.waitForMail((m) => m.to.includes(user.email ?? ""));
      expect(mail.links).toEqual([link]);
      expect(await rowOf(id)).toMatchObject({ status: "SENT", attempts: 2, lastError: null });
    });

    it("550 mailbox unavailable is permanent: FAILED, logged, link gone", async () => {
      const user = await newUser("bounce");
      const id = await queueReset(
        user.email ?? "",
        user.id,
        `${APP}/reset-password?token=${token()}`,
      );
      await expect(delivery().deliverDue()).resolves.toEqual({ sent: 0, failed: 1, deferred: 0 });
      const failed = await rowOf(id);
      expect(failed).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(failed.lastError).toMatch(/550/);
      expect(failed.payload).not.toHaveProperty(SEALED_LINK_KEY);
      expect(sink.mails).toEqual([]);
      expect(logger.lines).toContainEqual(
        expect.objectContaining({ message: "mail not delivered", notificationId: id }),
      );
    });

    it("a sealed link that does not open (edited row, another AUTH_SECRET) fails without a mail", async () => {
      const user = await newUser();
      const id = await queueReset(
        user.email ?? "",
        user.id,
        `${APP}/reset-password?token=${token()}`,
      );
      const other = createLinkSealer("o".repeat(44)).seal(`${APP}/reset-password?token=x`, user.id);
      await prisma().notificationOutbox.update({
        where: { id },
        data: {
          payload: { to: user.email, data: { expiresInMinutes: 30 }, [SEALED_LINK_KEY]: other },
        },
      });
      await expect(delivery().deliverDue()).resolves.toEqual({ sent: 0, failed: 1, deferred: 0 });
      expect(await rowOf(id)).toMatchObject({
        status: "FAILED",
        lastError: "the sealed link cannot be opened",
        payload: { to: user.email, data: { expiresInMinutes: 30 } },
      });
      expect(sink.mails).toEqual([]);
    });

    it("refuses a link outside APP_URL and a linked kind without its link", async () => {
      const user = await newUser();
      await expect(
        queueReset(user.email ?? "", user.id, "https://evil.example/reset-password?token=x"),
      ).rejects.toThrow(/APP_URL/);
      await expect(
        prisma().$transaction((tx) =>
          queueMail(tx, {
            userId: user.id,
            to: user.email ?? "",
            kind: "VERIFY_EMAIL",
            data: { expiresInMinutes: 60 },
          } as never),
        ),
      ).rejects.toThrow(/one-time link/);
      expect(await prisma().notificationOutbox.count({ where: { userId: user.id } })).toBe(0);
    });

    it("a mail-only deliverer leaves Telegram rows alone", async () => {
      const user = await newUser();
      const telegramRow = await prisma().notificationOutbox.create({
        data: {
          userId: user.id,
          channel: "TELEGRAM",
          kind: "SIGN_IN",
          payload: {},
          nextAttemptAt: T,
        },
      });
      await expect(delivery().deliverDue()).resolves.toEqual({ sent: 0, failed: 0, deferred: 0 });
      expect(await rowOf(telegramRow.id)).toMatchObject({ status: "PENDING", attempts: 0 });
    });
  });
});
