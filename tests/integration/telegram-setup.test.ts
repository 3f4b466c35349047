// What `npm run bot:webhook` and `npm run bot:dev` do (lib/telegram/setup.ts), against the
// local fake Bot API: registering the webhook with its secret and update types, and the
// development forwarder that long-polls and posts each update to the app's webhook route;
// then the two scripts as people run them (settings from the environment, exit codes).
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { BOT_COMMANDS } from "@/lib/telegram/bot";
import { forwardUpdates, registerWebhook, type BotSetup } from "@/lib/telegram/setup";
import { SECRET_HEADER } from "@/lib/telegram/webhook";
import { startFakeTelegram, type FakeTelegram } from "@/tests/support/fake-telegram";

const SECRET = "setup-secret-".padEnd(40, "s");

let fake: FakeTelegram;
beforeAll(async () => {
  fake = await startFakeTelegram();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function setup(appUrl: string): BotSetup {
  return { token: fake.token, apiRoot: fake.url, webhookSecret: SECRET, appUrl };
}

function textUpdate(text: string) {
  return {
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      chat: { id: 42, type: "private", first_name: "Ada" },
      from: { id: 42, is_bot: false, first_name: "Ada" },
      text,
    },
  };
}

describe("registerWebhook (npm run bot:webhook)", () => {
  it("points Telegram at APP_URL/api/telegram with the secret and the update types used", async () => {
    const result = await registerWebhook(setup("https://gatehouse.example"));

    expect(result).toEqual({ url: "https://gatehouse.example/api/telegram", pending: 0 });
    expect(fake.webhook()).toMatchObject({
      url: "https://gatehouse.example/api/telegram",
      secretToken: SECRET,
      allowedUpdates: ["message", "callback_query"],
    });
    const [commands] = fake.calls("setMyCommands");
    expect(commands?.params.commands).toEqual(BOT_COMMANDS);
  });

  it("refuses an http:// APP_URL before calling Telegram", async () => {
    await expect(registerWebhook(setup("http://localhost:3000"))).rejects.toThrow(
      "Telegram only calls https:// webhooks; APP_URL is http://localhost:3000",
    );
    expect(fake.calls()).toEqual([]);
  });
});

describe("forwardUpdates (npm run bot:dev)", () => {
  interface Posted {
    url: string;
    secret: string | null;
    body: { update_id: number };
  }

  /** A stand-in for the running app: records posts and answers with `statuses` in turn. */
  function stubApp(statuses: number[] = []) {
    const posted: Posted[] = [];
    const waiters: (() => void)[] = [];
    const post: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      posted.push({
        url: input instanceof Request ? input.url : input.toString(),
        secret: headers.get(SECRET_HEADER),
        body: JSON.parse(typeof init?.body === "string" ? init.body : "null") as {
          update_id: number;
        },
      });
      for (const wake of waiters.splice(0)) wake();
      return Promise.resolve(new Response(null, { status: statuses.shift() ?? 200 }));
    };
    async function waitForPosts(count: number): Promise<Posted[]> {
      const deadline = Date.now() + 5_000;
      while (posted.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${posted.length} of ${count} posts`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return posted;
    }
    return { post, posted, waitForPosts };
  }

  async function run(app: ReturnType<typeof stubApp>, work: () => Promise<void>) {
    const stop = new AbortController();
    const lines: string[] = [];
    const forwarding = forwardUpdates(setup("http://localhost:3000"), {
      pollSeconds: 1,
      signal: stop.signal,
      log: (line) => lines.push(line),
      sleep: () => Promise.resolve(),
      fetch: app.post,
    });
    try {
      await work();
    } finally {
      stop.abort();
      await forwarding;
    }
    return lines;
  }

  it("removes the webhook, then posts each update once to the app's route with the secret", async () => {
    await registerWebhook(setup("https://gatehouse.example"));
    const app = stubApp();

    const lines = await run(app, async () => {
      await fake.waitForCall("getUpdates");
      expect(fake.webhook()).toBeNull();
      const first = fake.pushUpdate(textUpdate("/help"));
      const second = fake.pushUpdate(textUpdate("hello"));
      const posted = await app.waitForPosts(2);
      expect(posted.map((p) => p.body.update_id)).toEqual([first, second]);
      // The next poll starts after the last update handed over: nothing comes twice.
      await fake.waitForCall("getUpdates", (c) => c.params.offset === second + 1);
    });

    expect(app.posted).toHaveLength(2);
    for (const post of app.posted) {
      expect(post.url).toBe("http://localhost:3000/api/telegram");
      expect(post.secret).toBe(SECRET);
    }
    expect(app.posted[0]?.body).toMatchObject({ message: { text: "/help", chat: { id: 42 } } });
    expect(lines[0]).toBe(
      `@${fake.botInfo.username}: forwarding updates to http://localhost:3000/api/telegram (Ctrl-C to stop)`,
    );
  });

  it("retries an update the app failed with 5xx, and does not retry one it refused with 4xx", async () => {
    const app = stubApp([503, 200, 400]);

    await run(app, async () => {
      const retried = fake.pushUpdate(textUpdate("one"));
      const refused = fake.pushUpdate(textUpdate("two"));
      const next = fake.pushUpdate(textUpdate("three"));
      const posted = await app.waitForPosts(4);
      expect(posted.map((p) => p.body.update_id)).toEqual([retried, retried, refused, next]);
      await fake.waitForCall("getUpdates", (c) => c.params.offset === next + 1);
    });

    expect(app.posted).toHaveLength(4);
  });

  it("keeps polling after getUpdates fails", async () => {
    const app = stubApp();
    fake.failNext("getUpdates", { status: 502 });

    const lines = await run(app, async () => {
      const id = fake.pushUpdate(textUpdate("after the outage"));
      const [posted] = await app.waitForPosts(1);
      expect(posted?.body.update_id).toBe(id);
    });

    expect(lines.some((line) => line.startsWith("getUpdates failed"))).toBe(true);
  });
});

describe("the scripts themselves", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));

  function runScript(script: string, env: Record<string, string>) {
    // As package.json runs them: tsx as a loader in the one process, so Ctrl-C (SIGINT) reaches
    // the script itself.
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "scripts", script)], {
      cwd: root,
      env: {
        ...process.env,
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_BOT_USERNAME: fake.botInfo.username,
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        TELEGRAM_TEST_API_URL: fake.url,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    return { child, exited, output: () => output };
  }

  // TELEGRAM_TEST_API_URL is refused unless APP_URL is a loopback address too (lib/env.ts),
  // so the webhook registered here is an https://localhost one.
  it("npm run bot:webhook registers the webhook and says so", async () => {
    const run = runScript("bot-webhook.ts", { APP_URL: "https://localhost:8443" });
    const code = await run.exited;
    expect(run.output()).toContain(
      "Webhook set: https://localhost:8443/api/telegram (0 pending updates)",
    );
    expect(code).toBe(0);
    expect(fake.webhook()).toMatchObject({ secretToken: SECRET });
  });

  it("npm run bot:webhook refuses an http:// APP_URL, and exits 1", async () => {
    const run = runScript("bot-webhook.ts", { APP_URL: "http://localhost:3000" });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain("Telegram only calls https:// webhooks");
    expect(fake.webhook()).toBeNull();
  });

  it("without a bot configured, both scripts say what to set", async () => {
    const unset = {
      TELEGRAM_BOT_TOKEN: "",
      TELEGRAM_BOT_USERNAME: "",
      TELEGRAM_WEBHOOK_SECRET: "",
      TELEGRAM_TEST_API_URL: "",
    };
    for (const script of ["bot-webhook.ts", "bot-dev.ts"]) {
      const run = runScript(script, unset);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain("No bot configured: set TELEGRAM_BOT_TOKEN");
    }
  });

  it("npm run bot:dev forwards updates to the app until Ctrl-C", async () => {
    const received: { secret: string | undefined; body: string }[] = [];
    const app = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        const secret = request.headers[SECRET_HEADER];
        received.push({ secret: typeof secret === "string" ? secret : undefined, body });
        response.end();
      });
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const { port } = app.address() as AddressInfo;
    try {
      const run = runScript("bot-dev.ts", { APP_URL: `http://localhost:${port}` });
      await fake.waitForCall("getUpdates", undefined, 20_000);
      const id = fake.pushUpdate(textUpdate("/help"));
      await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 5_000 });
      expect(received[0]?.secret).toBe(SECRET);
      expect(JSON.parse(received[0]?.body ?? "null")).toMatchObject({ update_id: id });

      run.child.kill("SIGINT");
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain(`update ${id} → 200`);
    } finally {
      app.close();
    }
  });
});
