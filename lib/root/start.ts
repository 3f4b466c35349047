// What runs when the server starts (instrumentation.ts calls runServerStart once): the
// start-up procedure of lib/startup.ts (reach the database and Redis with bounded retries,
// migrate in development), wired to the composition root's real services, then the
// warm-ups, the self-hosted outbox sweeper and a line saying how mail leaves.
import "server-only";
import path from "node:path";
import { getDummyHash } from "@/lib/auth/password";
import { SettingsError, type Settings } from "@/lib/env";
import type { Logger } from "@/lib/logger";
import { applyMigrations } from "@/lib/migrations/runner";
import { getServices, type Services } from "@/lib/root";
import { describeUrl, startServer, StartupError } from "@/lib/startup";

/**
 * Self-hosted: deliver what an after() left behind (Telegram alerts, mails whose SMTP server
 * was down), every OUTBOX_SWEEP_INTERVAL_SECONDS; with RabbitMQ, hand it and the security
 * events to the broker; without, empty the events queued for publishing. So it runs with
 * no channel too. On Vercel there is no long-lived process; Vercel Cron calls
 * /api/outbox/sweep instead.
 */
function startOutboxSweeper(settings: Settings, services: Services, logger: Logger): void {
  const seconds = settings.outbox.sweepIntervalSeconds;
  if (settings.rateLimits.onVercel || seconds === 0) return;
  const timer = setInterval(() => {
    services.notifications.sweep
      .deliverDue()
      .catch((error: unknown) => logger.error("outbox sweep failed", { error }));
  }, seconds * 1_000);
  // The sweeper alone must not keep the process alive at shutdown.
  timer.unref();
  logger.info("outbox sweeper started", { intervalSeconds: seconds });
}

/** Says, once, how mail leaves this server (never the SMTP password). */
function logMailTransport(settings: Settings, logger: Logger): void {
  const mail = settings.mail;
  if (mail?.kind === "smtp") {
    logger.info("mail goes out through SMTP", { server: describeUrl(mail.url), from: mail.from });
  } else if (mail?.kind === "dev-mailbox") {
    logger.info("development mailbox: mails are written to files, see /dev/mail", {
      dir: mail.dir,
    });
  } else if (settings.auth.passwordEnabled) {
    logger.warn("no SMTP_URL: mails are queued but not sent from this server");
  }
}

export async function runServerStart(): Promise<void> {
  try {
    const services = getServices();
    const { settings, logger, database, redis, limiter } = services;
    const db = settings.database;
    const r = settings.redis;
    await startServer({
      logger,
      databaseLabel:
        db.kind === "postgres"
          ? `PostgreSQL at ${describeUrl(db.url)}`
          : `embedded PGlite in ${db.dataDir}`,
      redisLabel:
        r.kind === "ioredis"
          ? `Redis at ${describeUrl(r.url)}`
          : r.kind === "upstash"
            ? `Upstash at ${describeUrl(r.url)}`
            : "in-memory store",
      pingDatabase: () => database.ping(),
      pingRedis: () => redis.ping(),
      migrate: settings.migrateOnStart
        ? () =>
            applyMigrations({
              connection: database.sql,
              migrationsDir: path.join(process.cwd(), "prisma", "migrations"),
              logger,
            })
        : null,
      maxAttempts: settings.startup.maxAttempts,
      retryBaseMs: settings.startup.retryBaseMs,
    });
    // The limiter's script is loaded before the first request needs a decision.
    await limiter.warmUp();
    // Computed now so the first sign-in with an unknown email costs the same as the others.
    void getDummyHash().catch((error: unknown) =>
      logger.warn("could not precompute the dummy password hash", { error }),
    );
    const { peerSecret, onVercel, trustedProxies } = settings.rateLimits;
    if (settings.isProduction && peerSecret === null && !onVercel) {
      // Plain `next start`: X-Forwarded-For is whatever the client sent (lib/http/client-ip).
      logger.warn(
        "client addresses come from X-Forwarded-For, which clients can forge: start with `npm start` (server.mjs) so per-IP limits hold",
        { trustedProxies },
      );
    }
    startOutboxSweeper(settings, services, logger);
    logMailTransport(settings, logger);
    if (settings.auth.secretIsGenerated) {
      logger.info("using the generated development AUTH_SECRET", {
        file: `${settings.dataDir}/dev-auth-secret`,
      });
    }
  } catch (error) {
    if (error instanceof SettingsError || error instanceof StartupError) {
      // One readable message, no stack trace: this is an operator's configuration problem.
      console.error(`\n${error.message}\n`);
    } else {
      console.error("Gatehouse failed to start:", error);
    }
    // Serving requests without settings or a database would only turn every request into
    // an error; stopping makes the problem visible to the process manager at once.
    process.exit(1);
  }
}
