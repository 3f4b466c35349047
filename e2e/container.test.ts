// The container image's contents, run without Docker: scripts/runtime-bundle.mjs (the step the
// Dockerfile's build stage runs) writes the runtime bundle from this run's e2e build, and the
// test starts what the image starts — compose.yaml's migrate command, the Dockerfile's CMD and
// HEALTHCHECK, compose.yaml's worker command — in that folder, with compose.yaml's settings
// (its addresses replaced by this machine's servers). What the bundle lacks, they lack.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { createPostgresDatabase } from "@/tests/support/databases";
import { startFakeTelegram } from "@/tests/support/fake-telegram";
import {
  execForm,
  healthcheck,
  readCompose,
  readDockerfile,
  serviceEnvironment,
} from "@/tests/support/container-files";

import { baseEnv, ensureBuilt, freePort, killGroup, OutputBuffer } from "./support/server";

const databaseUrl = inject("databaseUrl");
const redisUrl = inject("redisUrl");
const amqpUrl = inject("amqpUrl");
const root = join(import.meta.dirname, "..");
const run = promisify(execFile);

/**
 * The image's `USER node` (uid 1000) when this test can switch users (it runs as root, as CI
 * does): the bundle's files then belong to someone else, as the image's belong to root, so a
 * write outside .next/cache fails here as it would in the container.
 */
const IMAGE_USER: { uid?: number; gid?: number } =
  process.getuid?.() === 0 ? { uid: 1000, gid: 1000 } : {};

/** Longest a command may take to start or finish here (a busy 2-core machine). */
const PATIENCE_MS = 90_000;

/** The variables compose.yaml insists on, for reading its commands. */
const placeholders = {
  APP_URL: "https://auth.example.com",
  AUTH_SECRET: "x".repeat(32),
  POSTGRES_PASSWORD: "x",
  SMTP_URL: "smtp://smtp.example.com",
  EMAIL_FROM: "no-reply@example.com",
};

interface Process {
  child: ChildProcess;
  output: OutputBuffer;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe.runIf(databaseUrl !== null && redisUrl !== null)(
  "the container's runtime bundle, started as the image starts it",
  () => {
    let work = "";
    let bundle = "";
    let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
    let environment: Record<string, string> = {};
    let port = 0;
    const started: Process[] = [];

    const dockerfile = readDockerfile();
    const runtime = dockerfile.at(-1);
    const cmd = execForm(runtime?.instructions.findLast((i) => i.keyword === "CMD")?.args ?? "");
    const check = runtime ? healthcheck(runtime) : null;

    /** Starts a command in the bundle folder, as the image's WORKDIR, with compose's settings. */
    function start(command: string[], extra: Record<string, string> = {}): Process {
      const [program, ...args] = command;
      if (program !== "node") throw new Error(`the image runs node, not ${program}`);
      const child = spawn(process.execPath, args, {
        cwd: bundle,
        env: { ...environment, ...extra, NODE_ENV: "production" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
        ...IMAGE_USER,
      });
      const output = new OutputBuffer();
      output.attach(child);
      // A process that could not be started (EACCES, ENOENT) emits "error" and never "exit":
      // it counts as exited with no code, so a test fails at once instead of waiting.
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve) => {
          child.once("exit", (code, signal) => resolve({ code, signal }));
          child.once("error", (error) => {
            output.note(`could not start ${process.execPath}: ${error.message}`);
            resolve({ code: null, signal: null });
          });
        },
      );
      const process_ = { child, output, exited };
      started.push(process_);
      return process_;
    }

    async function finished(process_: Process): Promise<number | null> {
      const { code } = await process_.exited;
      return code;
    }

    /** Runs the Dockerfile's HEALTHCHECK command in the bundle; its exit code. */
    async function runHealthcheck(): Promise<number | null> {
      if (!check?.command) throw new Error("the Dockerfile has no exec-form HEALTHCHECK");
      return finished(start(check.command));
    }

    async function waitForOutput(process_: Process, text: string): Promise<void> {
      const deadline = Date.now() + PATIENCE_MS;
      while (!process_.output.text().includes(text)) {
        if (process_.child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`never printed ${JSON.stringify(text)}:\n${process_.output.text()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    let server: Process | undefined;
    let buildCacheCopied = true;

    beforeAll(async () => {
      await ensureBuilt();
      if (IMAGE_USER.uid !== undefined) {
        // Everything below runs this node as the image's user: say so plainly when it cannot
        // (a Node unpacked into a folder only root may enter, as mktemp makes them).
        await run(process.execPath, ["-e", "0"], IMAGE_USER).catch((error: unknown) => {
          throw new Error(
            `uid ${IMAGE_USER.uid} cannot run ${process.execPath}: make its folders readable ` +
              `(${error instanceof Error ? error.message : String(error)})`,
          );
        });
      }
      // Inside the project (git-ignored tmp/): the same file system, so --link can hard-link.
      mkdirSync(join(root, "tmp"), { recursive: true });
      work = mkdtempSync(join(root, "tmp", "container-"));
      // mkdtemp makes it private to root; the image's /app is readable by its user.
      chmodSync(work, 0o755);
      bundle = join(work, "app");
      await run(process.execPath, ["scripts/runtime-bundle.mjs", bundle, "--link"], {
        cwd: root,
      });
      buildCacheCopied = existsSync(join(bundle, ".next", "cache"));
      // The Dockerfile's `mkdir -p .next/cache && chown node:node .next/cache`.
      mkdirSync(join(bundle, ".next", "cache"));
      if (IMAGE_USER.uid !== undefined && IMAGE_USER.gid !== undefined) {
        chownSync(join(bundle, ".next", "cache"), IMAGE_USER.uid, IMAGE_USER.gid);
      }

      database = await createPostgresDatabase(databaseUrl ?? "");
      port = await freePort();
      const composeApp = serviceEnvironment(
        readCompose({
          APP_URL: `http://localhost:${port}`,
          AUTH_SECRET: randomBytes(32).toString("base64"),
          POSTGRES_PASSWORD: "unused-here",
          // Nothing listens there: mail is queued and retried, never sent.
          SMTP_URL: "smtp://127.0.0.1:9",
          EMAIL_FROM: "Gatehouse <no-reply@gatehouse.test>",
        }).services.app ?? {},
      );
      environment = {
        ...baseEnv(),
        ...composeApp,
        // Compose's network names, as this machine's servers.
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl ?? "",
        // The image's ENV (Dockerfile), on loopback here rather than every interface.
        NODE_ENV: "production",
        HOSTNAME: "127.0.0.1",
        PORT: String(port),
        GATEHOUSE_DATA_DIR: join(work, "data"),
      };
    }, 600_000);

    afterAll(async () => {
      for (const { child } of started) killGroup(child, "SIGKILL");
      await Promise.all(started.map(({ exited }) => exited));
      await database?.drop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it("holds the build, the files read at run time and production packages only", () => {
      for (const file of [
        ".next/BUILD_ID",
        "server.mjs",
        "next.config.mjs",
        "lib/auth/common-passwords.txt",
        "prisma/migrations/migration_lock.toml",
        "dist/db-migrate.mjs",
        "dist/worker.mjs",
        "dist/bot-webhook.mjs",
        "node_modules/next/package.json",
        "node_modules/@prisma/client/package.json",
        "node_modules/pg/package.json",
      ]) {
        expect(existsSync(join(bundle, file)), file).toBe(true);
      }
      expect(buildCacheCopied, ".next/cache").toBe(false);
      for (const absent of [
        "node_modules/typescript",
        "node_modules/tsx",
        "node_modules/esbuild",
        "node_modules/vitest",
        "node_modules/prisma",
        "node_modules/@next/swc-linux-x64-gnu",
        "lib/env.ts",
        "scripts",
      ]) {
        expect(existsSync(join(bundle, absent)), absent).toBe(false);
      }
    });

    it("migrates a fresh database with compose.yaml's migrate command", async () => {
      const command = readCompose(placeholders).services.migrate?.command;
      expect(command).toBeDefined();
      const migrate = start(command ?? []);
      expect(await finished(migrate), migrate.output.text()).toBe(0);

      const folders = readdirSync(join(root, "prisma", "migrations"), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
      const client = new pg.Client({ connectionString: database?.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ migration_name: string }>(
          "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name",
        );
        expect(rows.map((row) => row.migration_name)).toEqual(folders);
      } finally {
        await client.end();
      }

      // A second run (every `docker compose up`) finds nothing to do and succeeds.
      const again = start(command ?? []);
      expect(await finished(again), again.output.text()).toBe(0);
      expect(again.output.text()).toContain("Database is up to date");
    });

    it("starts with the Dockerfile's CMD and answers /api/health with both backends up", async () => {
      expect(cmd).toEqual(["node", "server.mjs"]);
      server = start(cmd ?? []);
      await waitForOutput(server, "Gatehouse listening");
      // Its start-up checks have reached PostgreSQL and Redis (lib/startup.ts).
      await waitForOutput(server, '"message":"server ready"');
      const response = await fetch(`http://127.0.0.1:${port}/api/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        status: "ok",
        checks: { database: "ok", redis: "ok" },
      });
      if (IMAGE_USER.uid !== undefined) {
        const status = readFileSync(`/proc/${server.child.pid}/status`, "utf8");
        expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(IMAGE_USER.uid));
      }
      // A page whose code reads lib/auth/common-passwords.txt when it loads.
      const signUp = await fetch(`http://127.0.0.1:${port}/sign-up`);
      expect(signUp.status).toBe(200);
    });

    it("passes the Dockerfile's HEALTHCHECK: /api/health/live answers 200", async () => {
      const live = await fetch(`http://127.0.0.1:${port}/api/health/live`);
      await live.body?.cancel();
      expect(live.status).toBe(200);
      expect(await runHealthcheck()).toBe(0);
    });

    it("registers the Telegram webhook with dist/bot-webhook.mjs (npm run bot:webhook)", async () => {
      const telegram = await startFakeTelegram();
      try {
        const register = start(["node", "dist/bot-webhook.mjs"], {
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_BOT_USERNAME: telegram.botInfo.username,
          TELEGRAM_WEBHOOK_SECRET: "container-webhook-secret-0123456789",
          TELEGRAM_TEST_API_URL: telegram.url,
          // Telegram calls https:// webhooks only; loopback, as the fake Bot API requires.
          APP_URL: "https://localhost:8443",
        });
        expect(await finished(register), register.output.text()).toBe(0);
        expect(telegram.calls("setWebhook").map((call) => call.params.url)).toEqual([
          "https://localhost:8443/api/telegram",
        ]);
      } finally {
        await telegram.close();
      }
    });

    describe.runIf(amqpUrl !== null)("with the queue profile", () => {
      it("starts compose.yaml's worker command, which stops cleanly on SIGTERM", async () => {
        const command = readCompose(placeholders).services.worker?.command;
        const worker = start(command ?? [], {
          AMQP_URL: amqpUrl ?? "",
          LOG_LEVEL: "info",
        });
        await waitForOutput(worker, '"message":"worker started"');
        // `docker stop` signals the main process only (not a process group).
        worker.child.kill("SIGTERM");
        expect(await finished(worker), worker.output.text()).toBe(0);
        expect(worker.output.text()).toContain('"message":"worker stopping"');
      });
    });

    it("exits 0 on SIGTERM (docker stop), and the HEALTHCHECK then fails", async () => {
      if (!server) throw new Error("the server did not start (see above)");
      server.child.kill("SIGTERM");
      expect(await finished(server), server.output.text()).toBe(0);
      // Nothing it tried to write was refused (the image's files belong to root).
      expect(server.output.text()).not.toMatch(/EACCES|EPERM|EROFS/);
      expect(await runHealthcheck()).toBe(1);
    });
  },
);
