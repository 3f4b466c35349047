// Signing in with Telegram connects the alerts chat in the same step when the person let the
// bot write to them (lib/telegram/sign-in-alerts.ts), and unlinking the Telegram identity
// asks whether to keep those alerts (lib/account/methods.ts). On both database backends:
// what is linked, which events are recorded, what the chat is sent, and that nobody else's
// alerts are ever moved.
import { randomBytes } from "node:crypto";

import { describe, expect, inject, it } from "vitest";

import { unlinkIdentity } from "@/lib/account/methods";
import { connectAlertsFromSignIn } from "@/lib/telegram/sign-in-alerts";
import { alertHook, createOutboxDelivery } from "@/lib/telegram/outbox";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { scriptedSender } from "@/tests/support/scripted-sender";

const T = new Date("2026-06-01T10:00:00.000Z");
const context = { ip: "203.0.113.4", userAgent: "Chrome/140", requestId: "req-tg-sign-in" };

let telegramIds = 880_000_000;
const nextTelegramId = () => String(++telegramIds);

describe.each(databaseBackends(inject("databaseUrl")))(
  "Telegram sign-in alerts on $name",
  (backend) => {
    describe.runIf(backend.available)("connecting and disconnecting the chat", () => {
      const db = migratedDatabase(backend);
      const prisma = () => db().prisma;

      async function newUser(
        email: string | null = `${randomBytes(5).toString("hex")}@example.com`,
      ) {
        return prisma().user.create({ data: { email, name: "Ada Lovelace" } });
      }

      /** A user with a linked Telegram identity (as the same-email policy leaves it). */
      async function telegramUser(telegramUserId = nextTelegramId()) {
        const user = await newUser(null);
        await prisma().account.create({
          data: {
            userId: user.id,
            type: "oidc",
            provider: "telegram",
            providerAccountId: telegramUserId,
            label: "@ada",
          },
        });
        // A second way in, so the identity may be unlinked.
        await prisma().account.create({
          data: {
            userId: user.id,
            type: "oauth",
            provider: "github",
            providerAccountId: `gh-${telegramUserId}`,
          },
        });
        return { user, telegramUserId };
      }

      const connect = (userId: string, telegramUserId: string, username: string | null = "ada") =>
        connectAlertsFromSignIn(prisma(), {
          userId,
          telegramUserId,
          username,
          now: T,
          context,
          afterRecord: alertHook({ deliverSoon: () => undefined }),
        });

      const eventsOf = (userId: string) =>
        prisma().securityEvent.findMany({
          where: { userId },
          select: { type: true, method: true, detail: true, ip: true },
          orderBy: { createdAt: "asc" },
        });

      it("connects the person's own chat, records it and says so in the chat", async () => {
        const { user, telegramUserId } = await telegramUser();
        await expect(connect(user.id, telegramUserId)).resolves.toBe("connected");
        const link = await prisma().telegramLink.findUniqueOrThrow({ where: { userId: user.id } });
        expect(link.chatId).toBe(BigInt(telegramUserId));
        expect(link.telegramUserId).toBe(BigInt(telegramUserId));
        expect(link.username).toBe("ada");
        expect(await eventsOf(user.id)).toEqual([
          {
            type: "TELEGRAM_LINKED",
            method: "telegram",
            detail: "@ada, when signing in with Telegram",
            ip: context.ip,
          },
        ]);
        const { sender, sent } = scriptedSender();
        const delivery = createOutboxDelivery({
          prisma: prisma(),
          sender,
          logger: memoryLogger(),
          maxAttempts: 5,
          now: () => T,
        });
        await expect(delivery.deliverDue()).resolves.toMatchObject({ sent: 1, failed: 0 });
        expect(sent).toHaveLength(1);
        expect(sent[0]?.chatId).toBe(Number(telegramUserId));
        expect(sent[0]?.text).toMatch(/^Connected to Ada Lovelace\. You'll get a message here/);
        expect(sent[0]?.keyboard).toBeUndefined();
        // Signing in again changes nothing and sends nothing.
        await expect(connect(user.id, telegramUserId)).resolves.toBe("already");
        expect(await eventsOf(user.id)).toHaveLength(1);
        await expect(delivery.deliverDue()).resolves.toMatchObject({ sent: 0 });
      });

      it("leaves an account's alerts in the chat they already go to", async () => {
        const { user, telegramUserId } = await telegramUser();
        const otherChat = BigInt(nextTelegramId());
        await prisma().telegramLink.create({
          data: { userId: user.id, chatId: otherChat, telegramUserId: otherChat },
        });
        await expect(connect(user.id, telegramUserId)).resolves.toBe("other-chat");
        const link = await prisma().telegramLink.findUniqueOrThrow({ where: { userId: user.id } });
        expect(link.chatId).toBe(otherChat);
        expect(await eventsOf(user.id)).toEqual([]);
      });

      it("never takes a chat that gets another account's alerts", async () => {
        const first = await telegramUser();
        await connect(first.user.id, first.telegramUserId);
        // The same person signs in with Telegram to a second Gatehouse account.
        const second = await newUser();
        await expect(connect(second.id, first.telegramUserId)).resolves.toBe("chat-taken");
        expect(await prisma().telegramLink.findUnique({ where: { userId: second.id } })).toBeNull();
        const kept = await prisma().telegramLink.findUniqueOrThrow({
          where: { chatId: BigInt(first.telegramUserId) },
        });
        expect(kept.userId).toBe(first.user.id);
      });

      it("settles two sign-ins at once: one link, one event", async () => {
        const { user, telegramUserId } = await telegramUser();
        const outcomes = await Promise.all([
          connect(user.id, telegramUserId),
          connect(user.id, telegramUserId),
        ]);
        expect(outcomes.sort()).toEqual(["already", "connected"]);
        expect(await prisma().telegramLink.count({ where: { userId: user.id } })).toBe(1);
        expect((await eventsOf(user.id)).map((event) => event.type)).toEqual(["TELEGRAM_LINKED"]);
      });

      // The interleaving behind a flaky CI run, made certain: the same person's other arrival
      // commits its link after this one looked for the user's link and before it looks for
      // the chat's. Each statement sees what is committed when it runs, so the chat is found
      // taken — by this very user, which is "already", not "chat-taken". PostgreSQL only: the
      // other arrival writes on a second connection while this transaction is open, which
      // PGlite's single connection cannot do.
      if (backend.name === "PostgreSQL") {
        it("a parallel arrival committing between the two reads is 'already', not 'chat-taken'", async () => {
          const { user, telegramUserId } = await telegramUser();
          const base = prisma();
          let interleaved = false;
          const racing = base.$extends({
            query: {
              telegramLink: {
                async findUnique({ args, query }) {
                  const found = await query(args);
                  if (!interleaved && args.where.userId === user.id && found === null) {
                    interleaved = true;
                    await base.telegramLink.create({
                      data: {
                        userId: user.id,
                        chatId: BigInt(telegramUserId),
                        telegramUserId: BigInt(telegramUserId),
                      },
                    });
                  }
                  return found;
                },
              },
            },
          });
          await expect(
            connectAlertsFromSignIn(racing as unknown as typeof base, {
              userId: user.id,
              telegramUserId,
              username: "ada",
              now: T,
              context,
            }),
          ).resolves.toBe("already");
          expect(interleaved).toBe(true);
        });
      }

      describe("unlinking the Telegram identity", () => {
        async function connected() {
          const person = await telegramUser();
          await connect(person.user.id, person.telegramUserId);
          const account = await prisma().account.findFirstOrThrow({
            where: { userId: person.user.id, provider: "telegram" },
          });
          return { ...person, accountId: account.id };
        }

        it("keeps the alerts unless asked to stop them", async () => {
          const { user, accountId } = await connected();
          await unlinkIdentity(prisma(), { userId: user.id, accountId, now: T, context });
          expect(await prisma().telegramLink.count({ where: { userId: user.id } })).toBe(1);
          expect((await eventsOf(user.id)).map((event) => event.type)).toEqual([
            "TELEGRAM_LINKED",
            "ACCOUNT_UNLINKED",
          ]);
        });

        it("stops them too when asked, recording both", async () => {
          const { user, accountId } = await connected();
          await unlinkIdentity(prisma(), {
            userId: user.id,
            accountId,
            keepAlerts: false,
            now: T,
            context,
          });
          expect(await prisma().telegramLink.count({ where: { userId: user.id } })).toBe(0);
          expect(await eventsOf(user.id)).toEqual([
            expect.objectContaining({ type: "TELEGRAM_LINKED" }),
            expect.objectContaining({ type: "ACCOUNT_UNLINKED", method: "telegram" }),
            {
              type: "TELEGRAM_UNLINKED",
              method: "telegram",
              detail: "disconnected with the Telegram sign-in",
              ip: context.ip,
            },
          ]);
        });

        it("never stops alerts that go to another chat", async () => {
          const { user, telegramUserId } = await telegramUser();
          const otherChat = BigInt(nextTelegramId());
          await prisma().telegramLink.create({
            data: { userId: user.id, chatId: otherChat, telegramUserId: otherChat },
          });
          const account = await prisma().account.findFirstOrThrow({
            where: { userId: user.id, provider: "telegram", providerAccountId: telegramUserId },
          });
          await unlinkIdentity(prisma(), {
            userId: user.id,
            accountId: account.id,
            keepAlerts: false,
            now: T,
            context,
          });
          expect(await prisma().telegramLink.count({ where: { userId: user.id } })).toBe(1);
          expect((await eventsOf(user.id)).map((event) => event.type)).toEqual([
            "ACCOUNT_UNLINKED",
          ]);
        });
      });
    });
  },
);
