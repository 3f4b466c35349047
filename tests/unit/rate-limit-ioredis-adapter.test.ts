// The ioredis adapter under @upstash/ratelimit itself, on a stub client that behaves like an
// open-source redis-server's script cache: EVALSHA of an unknown hash answers NOSCRIPT, EVAL
// caches, and a script carrying Upstash's `allow-key-locking` flag is refused. (The real
// server is in tests/integration/rate-limit.test.ts.)
import { Ratelimit } from "@upstash/ratelimit";
import { describe, expect, it } from "vitest";

import {
  createIoRedisRatelimitAdapter,
  scriptForOpenSourceRedis,
  sha1,
  type ScriptRunner,
} from "@/lib/rate-limit/backends/ioredis-adapter";

class ReplyError extends Error {
  override readonly name = "ReplyError";
}

/** Records calls; answers a sliding-window script with [remaining, limit] = [4, 5]. */
function fakeServer() {
  const cache = new Map<string, string>();
  const calls: { command: string; args: unknown[] }[] = [];
  const run = (script: string) => {
    if (script.includes("BROKEN")) throw new ReplyError("ERR Error compiling script");
    if (/^#!lua[^\n]*allow-key-locking/.test(script)) {
      throw new ReplyError("ERR Unexpected flag in script shebang: allow-key-locking");
    }
    cache.set(sha1(script), script);
    return [4, 5];
  };
  const client = {
    evalsha: (sha: string, ...args: unknown[]) => {
      calls.push({ command: "EVALSHA", args: [sha, ...args] });
      if (!cache.has(sha)) {
        return Promise.reject(new ReplyError("NOSCRIPT No matching script. Please use EVAL."));
      }
      return Promise.resolve([4, 5]);
    },
    eval: (script: string, ...args: unknown[]) => {
      calls.push({ command: "EVAL", args: [script, ...args] });
      try {
        return Promise.resolve(run(script));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
  // As lib/redis/ioredis.ts's withClient does: a reply error becomes a plain Error keeping its text.
  const store: ScriptRunner = {
    async withClient(command, send) {
      try {
        return await send(client);
      } catch (error) {
        throw new Error(`Redis ${command} failed: ${(error as Error).message}`, { cause: error });
      }
    },
  };
  return { store, calls, flush: () => cache.clear() };
}

const limiterOn = (store: ScriptRunner) =>
  new Ratelimit({
    redis: createIoRedisRatelimitAdapter(store),
    limiter: Ratelimit.slidingWindow(5, "60 s"),
    prefix: "p",
    timeout: 0,
    ephemeralCache: false,
    analytics: false,
    enableTelemetry: false,
  });

describe("scriptForOpenSourceRedis", () => {
  it("drops the Upstash-only flag, and the shebang line when nothing else is on it", () => {
    expect(scriptForOpenSourceRedis("#!lua flags=allow-key-locking\n  return 1\n")).toBe(
      "  return 1\n",
    );
    expect(scriptForOpenSourceRedis("#!lua flags=no-writes,allow-key-locking\nreturn 1")).toBe(
      "#!lua flags=no-writes\nreturn 1",
    );
  });

  it("leaves every other script exactly as it is", () => {
    for (const script of [
      "return 1",
      "#!lua\nreturn 1",
      "#!lua flags=no-writes\nreturn 1",
      "\n#!lua flags=allow-key-locking\nreturn 1", // not a shebang unless on line 1
    ]) {
      expect(scriptForOpenSourceRedis(script)).toBe(script);
    }
  });
});

describe("createIoRedisRatelimitAdapter under @upstash/ratelimit", () => {
  it("loads the rewritten script with one EVAL, then runs it by hash", async () => {
    const { store, calls } = fakeServer();
    const limiter = limiterOn(store);

    const first = await limiter.limit("id");
    expect(first).toMatchObject({ success: true, remaining: 4, limit: 5 });
    // No round trip for a hash the adapter has not loaded: straight to EVAL, without the flag.
    expect(calls.map((call) => call.command)).toEqual(["EVAL"]);
    const [script, numkeys, ...rest] = calls[0]?.args ?? [];
    expect(script).not.toContain("allow-key-locking");
    expect(script).toContain("INCRBY");
    // ioredis's flat form: number of keys, keys (current and previous window), then args.
    expect(numkeys).toBe(2);
    expect(rest).toHaveLength(2 + 4);
    expect(rest.slice(0, 2)).toEqual([expect.stringMatching(/^p:id:\d+$/), expect.any(String)]);
    expect(rest.slice(2).every((arg) => typeof arg === "number")).toBe(true);

    await limiter.limit("id");
    await limiter.limit("other");
    expect(calls.map((call) => call.command)).toEqual(["EVAL", "EVALSHA", "EVALSHA"]);
    expect(calls[1]?.args[0]).toBe(sha1(String(script)));
  });

  it("reloads the script when the server answers NOSCRIPT (restart, SCRIPT FLUSH)", async () => {
    const { store, calls, flush } = fakeServer();
    const limiter = limiterOn(store);
    await limiter.limit("id");
    flush();
    expect(await limiter.limit("id")).toMatchObject({ success: true });
    expect(calls.map((call) => call.command)).toEqual(["EVAL", "EVALSHA", "EVAL"]);
    await limiter.limit("id");
    expect(calls.at(-1)?.command).toBe("EVALSHA");
  });

  it("passes other server errors on, once, and does not remember a script that failed", async () => {
    const { store, calls } = fakeServer();
    const adapter = createIoRedisRatelimitAdapter(store);
    const script = "#!lua flags=allow-key-locking\nBROKEN";
    await expect(adapter.eval(script, [], [])).rejects.toThrow(/Error compiling script/);
    await expect(adapter.evalsha(sha1(script), [], [])).rejects.toThrow(/^NOSCRIPT/);
    expect(calls.map((call) => call.command)).toEqual(["EVAL"]);
  });

  it("refuses what it does not implement, and arguments Lua cannot take", async () => {
    const { store } = fakeServer();
    const adapter = createIoRedisRatelimitAdapter(store);
    await expect(adapter.get("k")).rejects.toThrow(/called GET/);
    await expect(adapter.set("k", "v")).rejects.toThrow(/called SET/);
    await expect(adapter.eval("return 1", [], [null])).rejects.toThrow(/unsupported script/);
  });
});
