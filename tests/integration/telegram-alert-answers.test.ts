// Who may answer an alert's buttons, and what "Not me" does, against freshly migrated
// databases (PostgreSQL and PGlite). The buttons through the real bot are in telegram-bot.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { createSession } from "@/lib/auth/sessions";
import { alertAnswerer, signOutEverywhereFromAlert } from "@/lib/telegram/alert-answers";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";

const backends = databaseBackends(inject("databaseUrl"));
const T = new Date("2026-06-01T10:00:00.000Z");

let chatCounter = 8_500_000;

describe.each(backends)("Alert answers on $name", (backend) => {
  describe.runIf(backend.available)("alertAnswerer and signOutEverywhereFromAlert", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;

    /** A user with a linked chat and an alert sent there as message 555. */
    async function linkedUserWithAlert() {
      const email = `${randomBytes(6).toString("hex")}@example.com`;
      const user = await prisma().user.create({ data: { email, name: "Ada" } });
      chatCounter += 1;
      const chatId = chatCounter;
      await prisma().telegramLink.create({
        data: { userId: user.id, chatId: BigInt(chatId), telegramUserId: BigInt(chatId) },
      });
      const alert = await prisma().notificationOutbox.create({
        data: { userId: user.id, kind: "SIGN_IN", payload: {}, status: "SENT", externalId: "555" },
      });
      return { user, email, chatId, notificationId: alert.id };
    }

    it("names the linked account when its chat presses a button on the alert itself", async () => {
      const { user, email, chatId, notificationId } = await linkedUserWithAlert();
      await expect(
        alertAnswerer(prisma(), { notificationId, chatId, messageId: 555 }),
      ).resolves.toEqual({ userId: user.id, accountName: email });
    });

    it("refuses another account's chat, an unlinked chat, another message, an unknown alert", async () => {
      const mine = await linkedUserWithAlert();
      const theirs = await linkedUserWithAlert();
      const refused = [
        { notificationId: mine.notificationId, chatId: theirs.chatId, messageId: 555 },
        { notificationId: mine.notificationId, chatId: 1, messageId: 555 },
        { notificationId: mine.notificationId, chatId: undefined, messageId: 555 },
        { notificationId: mine.notificationId, chatId: mine.chatId, messageId: 556 },
        { notificationId: mine.notificationId, chatId: mine.chatId, messageId: undefined },
        { notificationId: "no-such-alert", chatId: mine.chatId, messageId: 555 },
      ];
      for (const input of refused) {
        await expect(alertAnswerer(prisma(), input)).resolves.toBeNull();
      }
    });

    it("'Not me' revokes every session of the user and records why", async () => {
      const { user } = await linkedUserWithAlert();
      for (let i = 0; i < 2; i += 1) {
        await createSession(prisma(), {
          userId: user.id,
          method: "password",
          ip: null,
          userAgent: null,
          maxAgeSeconds: 3_600,
          now: T,
        });
      }
      await expect(signOutEverywhereFromAlert(prisma(), { userId: user.id, now: T })).resolves.toBe(
        2,
      );
      const active = await prisma().session.count({ where: { userId: user.id, revokedAt: null } });
      expect(active).toBe(0);
      const events = await prisma().securityEvent.findMany({ where: { userId: user.id } });
      expect(events.map((e) => [e.type, e.detail, e.userAgent])).toEqual([
        [
          "SESSION_REVOKED",
          "signed out everywhere from Telegram (“Not me”) (2 sessions)",
          "Telegram bot",
        ],
      ]);
    });
  });
});
