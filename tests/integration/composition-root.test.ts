// The composition root builds the same graph the app runs on; here it is built from
// settings (no Next runtime) and checked where features meet: a security event recorded
// with services.afterRecord reaches Telegram's outbox only when a bot is configured.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { parseSettings, type Settings } from "@/lib/env";
import { applyMigrations } from "@/lib/migrations/runner";
import { createProtection } from "@/lib/root/protection";
import { createServices, type Services } from "@/lib/root/services";
import { recordSecurityEvent } from "@/lib/security/events";
import { migrationsDir } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";
import { startSmtpSink } from "@/tests/support/smtp-sink";

const bot = {
  TELEGRAM_BOT_TOKEN: `123456:${"A".repeat(35)}`,
  TELEGRAM_BOT_USERNAME: "gatehouse_bot",
  TELEGRAM_WEBHOOK_SECRET: "s".repeat(32),
};

function settingsFor(env: Record<string, string>): Settings {
  const settings = parseSettings(env, { devSecret: () => "d".repeat(43) });
  // A throw-away database and the in-memory store: the wiring is the same on every backend.
  return { ...settings, database: { kind: "pglite", dataDir: "memory://" }, logLevel: "error" };
}

const opened: Services[] = [];

/** Services built from `env`, their database migrated; what they hand to after() is kept. */
async function servicesFor(env: Record<string, string>) {
  const afterResponse: unknown[] = [];
  const services = createServices(createProtection(settingsFor(env)), {
    runAfter: (work) => {
      afterResponse.push(work);
    },
  });
  opened.push(services);
  await applyMigrations({
    connection: services.database.sql,
    migrationsDir,
    logger: memoryLogger(),
  });
  return { services, afterResponse };
}

async function signInOfLinkedUser(services: Services) {
  const prisma = services.database.prisma;
  const user = await prisma.user.create({ data: { email: "ada@example.com", name: "Ada" } });
  await prisma.telegramLink.create({
    data: { userId: user.id, chatId: 4242n, telegramUserId: 4243n },
  });
  await recordSecurityEvent(
    prisma,
    { userId: user.id, type: "SIGN_IN", method: "google" },
    { afterRecord: services.afterRecord },
  );
  return prisma.notificationOutbox.findMany({ where: { userId: user.id } });
}

// Built once, in hooks (which have room for a slow machine): opening and migrating PGlite
// is the slow part, not what is checked.
let withBot: Awaited<ReturnType<typeof servicesFor>>;
let withoutBot: Awaited<ReturnType<typeof servicesFor>>;
beforeAll(async () => {
  withBot = await servicesFor(bot);
  withoutBot = await servicesFor({});
});
afterAll(async () => {
  await Promise.all(opened.splice(0).map((s) => s.database.close()));
});

describe("composition root", () => {
  it("with a bot configured, an event recorded through services.afterRecord queues its alert and delivers after the response", async () => {
    const { services, afterResponse } = withBot;
    expect(services.telegram?.botUsername).toBe("gatehouse_bot");

    const queued = await signInOfLinkedUser(services);
    expect(queued).toMatchObject([{ kind: "SIGN_IN", status: "PENDING" }]);
    // Delivery was handed to after(): the request that caused the alert never waits for it.
    expect(afterResponse).toHaveLength(1);
  });

  it("without a bot there is no Telegram feature and events queue nothing", async () => {
    const { services, afterResponse } = withoutBot;
    expect(services.telegram).toBeNull();
    await expect(signInOfLinkedUser(services)).resolves.toEqual([]);
    expect(afterResponse).toEqual([]);
  });

  it("the metrics count a sign-in recorded through services.afterRecord, and the outbox's backlog when scraped", async () => {
    const { services } = withBot;
    const prisma = services.database.prisma;
    const user = await prisma.user.create({ data: { email: "lin@example.com" } });
    await prisma.telegramLink.create({
      data: { userId: user.id, chatId: 5252n, telegramUserId: 5253n },
    });
    const scrape = () => services.metrics.registry.metrics();
    const series = 'gatehouse_sign_ins_total{method="github",result="success"}';
    expect(await scrape()).not.toContain(series);
    await recordSecurityEvent(
      prisma,
      { userId: user.id, type: "SIGN_IN", method: "github" },
      { afterRecord: services.afterRecord },
    );
    const text = await scrape();
    expect(text).toContain(`${series} 1`);
    const pending = await prisma.notificationOutbox.count({
      where: { status: "PENDING", channel: "TELEGRAM" },
    });
    expect(pending).toBeGreaterThan(0);
    expect(text).toContain(`gatehouse_outbox_pending{channel="TELEGRAM"} ${pending}`);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it("the services extend the proxy's protection slice instead of building a second one", () => {
    const settings = settingsFor({});
    const protection = createProtection(settings);
    const services = createServices(protection, { runAfter: () => undefined });
    opened.push(services);
    expect(services.limiter).toBe(protection.limiter);
    expect(services.redis).toBe(protection.redis);
    expect(services.passwordGuard).toBe(protection.passwordGuard);
    // One registry per process: the limiter's counts and the services' are scraped together.
    expect(services.metrics).toBe(protection.metrics);
    expect(services.settings).toBe(settings);
  });

  it("mail queued through services.mail goes out after the response, with no bot configured", async () => {
    const sink = await startSmtpSink();
    try {
      const { services, afterResponse } = await servicesFor({
        SMTP_URL: sink.url,
        EMAIL_FROM: "Gatehouse <no-reply@gatehouse.test>",
      });
      expect(services.telegram).toBeNull();
      const prisma = services.database.prisma;
      const user = await prisma.user.create({ data: { email: "grace@example.com" } });
      const link = `${services.settings.appUrl}/verify-email?token=abc`;
      await prisma.$transaction((tx) =>
        services.mail.queueMail(tx, {
          userId: user.id,
          to: "grace@example.com",
          kind: "VERIFY_EMAIL",
          data: { expiresInMinutes: 60 },
          link,
        }),
      );
      // Nothing was sent in the request; the delivery was handed to after().
      expect(sink.mails).toEqual([]);
      expect(afterResponse).toHaveLength(1);
      const work = afterResponse[0] as () => Promise<unknown>;
      await work();
      const mail = await sink.waitForMail((m) => m.to.includes("grace@example.com"));
      expect(mail.links).toEqual([link]);
      expect(
        await prisma.notificationOutbox.findFirst({ where: { userId: user.id } }),
      ).toMatchObject({ channel: "EMAIL", status: "SENT" });
    } finally {
      await sink.stop();
    }
  });
});
