// npm run worker
//
// Delivers what the outbox hands to RabbitMQ (docs/jobs.md), next to `npm start` when
// AMQP_URL is set: consumes `gatehouse.delivery`, WORKER_PREFETCH messages at a time, and
// sends each through the same channels the web process would use (Telegram alerts, mail).
// It also runs the outbox relay every OUTBOX_SWEEP_INTERVAL_SECONDS, so rows the web
// processes could not hand over (the broker was away) go out without waiting for traffic,
// and publishes the security events to `gatehouse.events` as they are recorded (it looks
// every EVENT_POLL_MS: one indexed statement on a table that is almost always empty).
//
// Stops on SIGTERM/SIGINT: no new messages, the ones in hand finish (a message left unacked
// goes back to the queue for another worker), then the connections close.
import { SettingsError, getSettings } from "@/lib/env";
import { createEventRelay } from "@/lib/queue/events";
import { createDeliveryWorker } from "@/lib/queue/worker";
import { createProtection } from "@/lib/root/protection";
import { createServices } from "@/lib/root/services";
import { describeUrl } from "@/lib/startup";

import { loadEnvFiles } from "./load-env";

/** How often the worker looks for security events to publish: well within a second. */
const EVENT_POLL_MS = 250;

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

  const events = createEventRelay({
    prisma: database.prisma,
    publisher: broker,
    source: settings.appUrl,
    logger: log,
  });
  let stopping = false;
  let eventTimer: NodeJS.Timeout | undefined;
  let eventRun: Promise<void> = Promise.resolve();
  // One run after another, never two at once; a failed run is logged and the next one tries.
  const publishEvents = () => {
    eventRun = events
      .relayDue()
      .then(
        () => undefined,
        (error: unknown) => log.error("event relay failed", { error }),
      )
      .then(() => {
        if (!stopping) eventTimer = setTimeout(publishEvents, EVENT_POLL_MS);
      });
  };
  publishEvents();

  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info("worker stopping");
  stopping = true;
  clearTimeout(eventTimer);
  if (timer) clearInterval(timer);
  await eventRun;
  await consuming.close();
  await broker.close();
  await database.close();
  await services.redis.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof SettingsError || error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
