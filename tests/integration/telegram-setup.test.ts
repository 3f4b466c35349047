// What `npm run bot:webhook` and `npm run bot:dev` do (lib/telegram/setup.ts), against the
// local fake Bot API: registering the webhook with its secret and update types, and the
// development forwarder that long-polls and posts each update to the app's webhook route.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

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
