// A redis-server of a test's own on a loopback port, for tests that stop, restart or flush
// it (doing that to the shared one would pull it from under other test files running at
// the same time).
import { execFileSync, spawn } from "node:child_process";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

import { Redis } from "ioredis";

export const redisServerInstalled = (() => {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, waited for). */
  stop(): Promise<void>;
}

/** Starts redis-server on `port` (default: a free one) and waits until it answers PING. */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    "redis-server",
    ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `redis://127.0.0.1:${chosen}`;
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
  probe.on("error", () => {
    // Refused until the server is up; connect() reports it.
  });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch (error) {
        if (attempt >= 50) {
          child.kill("SIGKILL");
          throw error;
        }
        await sleep(50);
      }
    }
  } finally {
    probe.disconnect();
  }
  return {
    url,
    port: chosen,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
