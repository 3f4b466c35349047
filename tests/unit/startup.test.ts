import { describe, expect, it } from "vitest";
import { backoffDelay, retry } from "@/lib/retry";
import { describeUrl, startServer, StartupError, type StartupDeps } from "@/lib/startup";
import { memoryLogger } from "@/tests/support/logger";

const refused = () =>
  Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });

function deps(overrides: Partial<StartupDeps> = {}): StartupDeps & { waits: number[] } {
  const waits: number[] = [];
  return {
    logger: memoryLogger(),
    databaseLabel: "PostgreSQL at postgres://db:5432/app",
    redisLabel: "Redis at redis://cache:6379",
    pingDatabase: () => Promise.resolve(),
    pingRedis: () => Promise.resolve(),
    migrate: null,
    maxAttempts: 4,
    retryBaseMs: 100,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    waits,
    ...overrides,
  };
}

describe("server start", () => {
  it("starts when both dependencies answer, and migrates when asked", async () => {
    const migrated: string[] = [];
    const d = deps({
      migrate: () => {
        migrated.push("run");
        return Promise.resolve({ applied: ["20261122000000_init"] });
      },
    });
    await startServer(d);
    expect(migrated).toEqual(["run"]);
    expect(d.waits).toEqual([]);
  });

  it("retries a slow dependency with growing delays and then starts", async () => {
    let calls = 0;
    const d = deps({
      pingRedis: () => (++calls < 3 ? Promise.reject(refused()) : Promise.resolve()),
    });
    await startServer(d);
    expect(calls).toBe(3);
    expect(d.waits).toHaveLength(2);
    expect(d.waits[1]!).toBeGreaterThan(d.waits[0]!);
  });

  it("stops after the attempt budget with a message naming what is unreachable", async () => {
    let calls = 0;
    const d = deps({
      pingRedis: () => {
        calls++;
        return Promise.reject(refused());
      },
    });
    const error = await startServer(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toBe(
      "Cannot reach Redis (Redis at redis://cache:6379) after 4 attempts: connect ECONNREFUSED 127.0.0.1:6379",
    );
    expect(calls).toBe(4);
  });

  it("names both dependencies when both are down, and does not migrate", async () => {
    let migrated = false;
    const d = deps({
      pingDatabase: () => Promise.reject(new Error("password authentication failed")),
      pingRedis: () => Promise.reject(refused()),
      migrate: () => {
        migrated = true;
        return Promise.resolve({ applied: [] });
      },
    });
    const message = await startServer(d).catch((e: unknown) => (e as Error).message);
    expect(message).toContain("Cannot reach the database (PostgreSQL at postgres://db:5432/app)");
    expect(message).toContain("Cannot reach Redis (Redis at redis://cache:6379)");
    expect(migrated).toBe(false);
  });

  it("reports a failed migration as a start-up error", async () => {
    const d = deps({
      migrate: () => Promise.reject(new Error("Migration 20261122000000_init failed: boom")),
    });
    await expect(startServer(d)).rejects.toThrow(
      "Database migration failed: Migration 20261122000000_init failed: boom",
    );
  });
});

describe("retry", () => {
  it("never exceeds its attempt budget and keeps the last error", async () => {
    let calls = 0;
    const error = await retry(
      () => {
        calls++;
        return Promise.reject(new Error(`failure ${calls}`));
      },
      { attempts: 3, baseDelayMs: 1, sleep: () => Promise.resolve() },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect((error as Error).message).toBe("failure 3");
  });

  it("stops at once on an error a retry cannot fix", async () => {
    let calls = 0;
    await expect(
      retry(
        () => {
          calls++;
          return Promise.reject(new Error("bad password"));
        },
        { attempts: 5, baseDelayMs: 1, shouldRetry: () => false, sleep: () => Promise.resolve() },
      ),
    ).rejects.toThrow("bad password");
    expect(calls).toBe(1);
  });

  it("doubles the delay up to the cap, with bounded jitter", () => {
    expect(backoffDelay(1, 100, 1_000, () => 0.5)).toBe(100);
    expect(backoffDelay(3, 100, 1_000, () => 0.5)).toBe(400);
    expect(backoffDelay(10, 100, 1_000, () => 0.5)).toBe(1_000);
    expect(backoffDelay(3, 100, 1_000, () => 0)).toBe(320);
    expect(backoffDelay(3, 100, 1_000, () => 1)).toBe(480);
  });
});

describe("describeUrl", () => {
  it("never shows a password", () => {
    expect(describeUrl("postgres://app:hunter2@db.internal:5432/gatehouse?sslmode=require")).toBe(
      "postgres://db.internal:5432/gatehouse",
    );
    expect(describeUrl("redis://:secret@cache:6379")).toBe("redis://cache:6379");
  });
});
