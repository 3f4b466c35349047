import { describe, expect, it } from "vitest";

import type { Prisma, SecurityEvent } from "@/lib/generated/prisma/client";
import { createSecurityEventHooks } from "@/lib/security/events";

// The hooks only pass these through; their shape does not matter here.
const tx = { marker: "transaction" } as unknown as Prisma.TransactionClient;
const event = { id: "event-1", type: "SIGN_IN" } as unknown as SecurityEvent;

describe("security-event hooks", () => {
  it("runs every registered hook in order with the event's transaction and row", async () => {
    const hooks = createSecurityEventHooks();
    const calls: string[] = [];
    hooks.register(async (t, e) => {
      calls.push(`first ${e.id} ${t === tx}`);
      await Promise.resolve();
    });
    hooks.register((_t, e) => {
      calls.push(`second ${e.id}`);
      return Promise.resolve();
    });
    await hooks.afterRecord(tx, event);
    expect(calls).toEqual(["first event-1 true", "second event-1"]);
  });

  it("a hook registered after afterRecord was handed out still runs", async () => {
    const hooks = createSecurityEventHooks();
    const { afterRecord } = hooks;
    await afterRecord(tx, event); // nothing registered yet: nothing to do
    const seen: string[] = [];
    hooks.register((_t, e) => {
      seen.push(e.id);
      return Promise.resolve();
    });
    await afterRecord(tx, event);
    expect(seen).toEqual(["event-1"]);
  });

  it("a failing hook fails the write (so the transaction rolls back) and stops the rest", async () => {
    const hooks = createSecurityEventHooks();
    const later: string[] = [];
    hooks.register(() => Promise.reject(new Error("outbox full")));
    hooks.register((_t, e) => {
      later.push(e.id);
      return Promise.resolve();
    });
    await expect(hooks.afterRecord(tx, event)).rejects.toThrow("outbox full");
    expect(later).toEqual([]);
  });
});
