// Failed OAuth callbacks leave a SIGN_IN_FAILED event naming the provider; refusals that
// the signIn callback already recorded are not recorded twice; other routes are untouched.
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { recordCallbackFailures } from "@/lib/auth/callback-failures";
import { createDatabase, type Database } from "@/lib/db";
import { applyMigrations } from "@/lib/migrations/runner";
import { memoryLogger } from "@/tests/support/logger";

const migrationsDir = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

describe("recording failed OAuth callbacks", () => {
  let database: Database;
  beforeAll(async () => {
    database = createDatabase({ kind: "pglite", dataDir: "memory://" });
    await applyMigrations({ connection: database.sql, migrationsDir });
  });
  afterAll(() => database.close());

  const wrap = (location: string) =>
    recordCallbackFailures(
      () => Promise.resolve(new Response(null, { status: 302, headers: { location } })),
      () => ({
        prisma: database.prisma,
        logger: memoryLogger(),
        context: () => ({ ip: "198.51.100.9", userAgent: "ua", requestId: "req-cb" }),
      }),
    );
  const failures = () =>
    database.prisma.securityEvent.findMany({ where: { type: "SIGN_IN_FAILED" } });

  it("records a provider failure with the provider as the method", async () => {
    const handler = wrap("http://localhost:3000/auth/error?error=Configuration");
    const response = await handler(
      new Request("http://localhost:3000/api/auth/callback/stackoverflow?code=x&state=y"),
    );
    expect(response.status).toBe(302);
    expect(await failures()).toEqual([
      expect.objectContaining({
        method: "stackoverflow",
        ip: "198.51.100.9",
        requestId: "req-cb",
        detail: expect.stringContaining("Configuration") as unknown,
      }),
    ]);
  });

  it("does not record refusals twice, nor successful callbacks, nor other routes", async () => {
    const before = (await failures()).length;
    await wrap("/auth/error?error=EmailNotVerified&provider=google")(
      new Request("http://localhost:3000/api/auth/callback/google?code=x"),
    );
    await wrap("http://localhost:3000/")(
      new Request("http://localhost:3000/api/auth/callback/github?code=x"),
    );
    await wrap("http://localhost:3000/auth/error?error=Configuration")(
      new Request("http://localhost:3000/api/auth/signin/github"),
    );
    expect(await failures()).toHaveLength(before);
  });
});
