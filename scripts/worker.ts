// npm run worker
//
// Delivers what the outbox hands to RabbitMQ (docs/jobs.md), next to `npm start` when
// AMQP_URL is set: consumes `gatehouse.delivery`, WORKER_PREFETCH messages at a time, and
// sends each through the same channels the web process would use (Telegram alerts, mail).
// It also runs the outbox relay every OUTBOX_SWEEP_INTERVAL_SECONDS, so rows the web
// processes could not hand over (the broker was away) go out without waiting for traffic.
//
// Stops on SIGTERM/SIGINT: no new messages, the ones in hand finish (a message left unacked
// goes back to the queue for another worker), then the connections close.
import { SettingsError, getSettings } from "@/lib/env";
import { createDeliveryWorker } from "@/lib/queue/worker";
import { createProtection } from "@/lib/root/protection";
import { createServices } from "@/lib/root/services";
import { describeUrl } from "@/lib/startup";

import { loadEnvFiles } from "./load-env";

async function main(): Promise<void> {
  loadEnvFiles(process.env.NODE_ENV !== "production");
  const settings = getSettings();
  if (!settings.queue) {
    throw new Error("AMQP_URL is not set: without RabbitMQ the web process delivers by itself");
  }
  const services = createServices(createProtection(settings), {
    // No response to wait for here: the work runs at once.
    runAfter: (work) => void (typeof work === "function" ? work() : work),
  });
  const { broker, channels, database, logger, notifications } = services;
  if (!broker) throw new Error("no broker: AMQP_URL is set but the services made none");
  const log = logger.child({ feature: "worker" });

  const worker = createDeliveryWorker({
    prisma: database.prisma,
    channels,
    logger: log,
    maxAttempts: settings.outbox.maxAttempts,
    retries: broker,
  });
  const consuming = await broker.consumeDeliveries(
    (body) => worker.handle(body),
    settings.queue.prefetch,
  );
  log.info("worker started", {
    broker: describeUrl(settings.queue.url),
    prefetch: settings.queue.prefetch,
    channels: Object.keys(channels),
  });

  const sweepMs = settings.outbox.sweepIntervalSeconds * 1_000;
  const sweep = () =>
    notifications.delivery
      .deliverDue()
      .then((totals) => {
        if (Object.values(totals).some((count) => count > 0)) log.info("outbox relayed", totals);
      })
      .catch((error: unknown) => log.error("outbox relay failed", { error }));
  void sweep();
  const timer = sweepMs > 0 ? setInterval(() => void sweep(), sweepMs) : null;

  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info("worker stopping");
  if (timer) clearInterval(timer);
  await consuming.close();
  await broker.close();
  await database.close();
  await services.redis.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof SettingsError || error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
