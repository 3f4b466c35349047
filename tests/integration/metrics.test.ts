// The metrics that read or follow the database, on PostgreSQL and PGlite: the outbox's
// backlog counted at scrape time (and left out, not stale, when the count fails), a
// delivery's time from its row to SENT, and a failed sign-in counted through the same
// afterRecord hook its security event runs.
import { randomBytes } from "node:crypto";

import { beforeEach, describe, expect, inject, it } from "vitest";

import { recordSignInFailure } from "@/lib/auth/identity";
import { createMetrics } from "@/lib/metrics";
import { pendingByChannel, registerOutboxBacklog } from "@/lib/metrics/outbox-backlog";
import { signInMetricsHook } from "@/lib/metrics/sign-ins";
import {
  createOutboxDelivery,
  queueNotification,
  type ChannelSender,
} from "@/lib/notifications/outbox";
import { createSecurityEventHooks } from "@/lib/security/events";
import { databaseBackends, migratedDatabase } from "@/tests/support/backends";
import { memoryLogger } from "@/tests/support/logger";

const backends = databaseBackends(inject("databaseUrl"));

/** A channel that sends every row at once. */
const instantChannel: ChannelSender = {
  label: "test message",
  send: () => Promise.resolve({ externalId: "1" }),
  classifyError: () => ({ retryAfterMs: null, description: "never" }),
};

describe.each(backends)("metrics on $name", (backend) => {
  describe.runIf(backend.available)("from the database", () => {
    const db = migratedDatabase(backend);
    const prisma = () => db().prisma;

    beforeEach(async () => {
      await prisma().notificationOutbox.deleteMany({});
    });

    const newUser = () =>
      prisma().user.create({
        data: { email: `m-${randomBytes(4).toString("hex")}@example.com` },
      });

    async function queue(userId: string, channel: "TELEGRAM" | "EMAIL", at?: Date) {
      return prisma().$transaction((tx) =>
        queueNotification(tx, { userId, channel, kind: "SIGN_IN", ...(at ? { at } : {}) }),
      );
    }

    it("counts PENDING rows by channel when scraped, every channel present", async () => {
      const metrics = createMetrics({ defaultMetrics: false });
      const logger = memoryLogger();
      registerOutboxBacklog({
        registry: metrics.registry,
        pending: () => pendingByChannel(prisma()),
        timeoutMs: 5_000,
        logger,
      });
      const user = await newUser();
      await queue(user.id, "TELEGRAM");
      await queue(user.id, "TELEGRAM");
      const sent = await queue(user.id, "TELEGRAM");
      await prisma().notificationOutbox.update({ where: { id: sent }, data: { status: "SENT" } });

      let text = await metrics.registry.metrics();
      expect(text).toContain('gatehouse_outbox_pending{channel="TELEGRAM"} 2');
      expect(text).toContain('gatehouse_outbox_pending{channel="EMAIL"} 0');

      // Counted afresh at each scrape.
      await queue(user.id, "EMAIL");
      text = await metrics.registry.metrics();
      expect(text).toContain('gatehouse_outbox_pending{channel="EMAIL"} 1');
      expect(logger.lines).toEqual([]);
    });

    it("a count that fails leaves the gauge empty (not stale) and the rest of the scrape intact", async () => {
      const metrics = createMetrics({ defaultMetrics: false });
      const logger = memoryLogger();
      let fail = false;
      registerOutboxBacklog({
        registry: metrics.registry,
        pending: () =>
          fail ? Promise.reject(new Error("database down")) : pendingByChannel(prisma()),
        timeoutMs: 5_000,
        logger,
      });
      metrics.signIn("password", "success");
      await queue((await newUser()).id, "TELEGRAM");
      expect(await metrics.registry.metrics()).toContain(
        'gatehouse_outbox_pending{channel="TELEGRAM"} 1',
      );
      fail = true;
      const text = await metrics.registry.metrics();
      expect(text).not.toMatch(/^gatehouse_outbox_pending\{/m);
      expect(text).toContain('gatehouse_sign_ins_total{method="password",result="success"} 1');
      expect(logger.lines).toMatchObject([
        { level: "warn", message: "metrics: the outbox backlog could not be counted" },
      ]);
    });

    it("observes a delivery's time from its row to SENT, by channel", async () => {
      const metrics = createMetrics({ defaultMetrics: false });
      const queuedAt = new Date(Date.now() - 60_000);
      const sentAt = new Date(queuedAt.getTime() + 7_500);
      await queue((await newUser()).id, "TELEGRAM", queuedAt);
      const delivery = createOutboxDelivery({
        prisma: prisma(),
        channels: { TELEGRAM: instantChannel },
        logger: memoryLogger(),
        maxAttempts: 3,
        now: () => sentAt,
        metrics,
      });
      expect(await delivery.deliverDue()).toEqual({ sent: 1, failed: 0, deferred: 0 });
      const text = await metrics.registry.metrics();
      const series = "gatehouse_notification_delivery_seconds";
      expect(text).toContain(`${series}_count{channel="TELEGRAM"} 1`);
      expect(text).toContain(`${series}_sum{channel="TELEGRAM"} 7.5`);
      // In the 10 s bucket, not the 5 s one.
      expect(text).toContain(`${series}_bucket{le="5",channel="TELEGRAM"} 0`);
      expect(text).toContain(`${series}_bucket{le="10",channel="TELEGRAM"} 1`);
    });

    it("a failed sign-in is counted through the afterRecord hooks its event runs", async () => {
      const metrics = createMetrics({ defaultMetrics: false });
      const hooks = createSecurityEventHooks();
      hooks.register(signInMetricsHook(metrics));
      const user = await newUser();
      await recordSignInFailure(
        prisma(),
        { userId: user.id, method: "password", reason: "wrong email or password" },
        { afterRecord: hooks.afterRecord },
      );
      expect(await metrics.registry.metrics()).toContain(
        'gatehouse_sign_ins_total{method="password",result="failure"} 1',
      );
      expect(
        await prisma().securityEvent.count({ where: { userId: user.id, type: "SIGN_IN_FAILED" } }),
      ).toBe(1);
    });
  });
});
