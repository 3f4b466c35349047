// checkMailBudget (lib/rate-limit/mail-budget.ts) over a limiter whose answers the test
// decides: which keys it counts, how two answers combine, and the Retry-After it reports.
// tests/integration/rate-limit.test.ts runs it on the real backends.
import { describe, expect, it } from "vitest";

import {
  checkMailBudget,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
} from "@/lib/rate-limit";

const allowed: RateLimitDecision = {
  allowed: true,
  limit: 3,
  remaining: 2,
  resetAt: 0,
  retryAfterSeconds: 0,
};
const refused = (retryAfterSeconds: number, failure?: "closed"): RateLimitDecision => ({
  allowed: false,
  limit: 3,
  remaining: 0,
  resetAt: 0,
  retryAfterSeconds,
  ...(failure ? { failure } : {}),
});

/** A limiter answering per policy, recording what it was asked. */
function stubLimiter(answers: Partial<Record<RateLimitPolicy, RateLimitDecision>>) {
  const asked: [RateLimitPolicy, string][] = [];
  const limiter: Pick<RateLimiter, "limit"> = {
    limit: (policy, key) => {
      asked.push([policy, key]);
      return Promise.resolve(answers[policy] ?? allowed);
    },
  };
  return { limiter, asked };
}

describe("checkMailBudget", () => {
  it("counts the address as typed and the client's IP, and allows when both do", async () => {
    const { limiter, asked } = stubLimiter({});
    await expect(
      checkMailBudget(limiter, { email: " Someone@Example.com", ip: "203.0.113.5" }),
    ).resolves.toEqual({ allowed: true });
    // The limiter normalizes the address (rate-limit keys); nothing here asks whether an
    // account uses it.
    expect(asked.sort()).toEqual([
      ["mailAddress", " Someone@Example.com"],
      ["mailIp", "203.0.113.5"],
    ]);
  });

  it("puts every client whose IP is unknown in one bucket", async () => {
    const { limiter, asked } = stubLimiter({});
    await checkMailBudget(limiter, { email: "a@example.com", ip: null });
    expect(asked).toContainEqual(["mailIp", "unknown"]);
  });

  it.each([
    ["the address", { mailAddress: refused(120) }, 120],
    ["the IP", { mailIp: refused(30) }, 30],
    ["both: the longer wait", { mailAddress: refused(45), mailIp: refused(400) }, 400],
    ["both, the other way round", { mailAddress: refused(400), mailIp: refused(45) }, 400],
  ] as const)(
    "refuses when %s is used up, with a Retry-After long enough",
    async (_, answers, wait) => {
      const { limiter, asked } = stubLimiter(answers);
      await expect(
        checkMailBudget(limiter, { email: "a@example.com", ip: "203.0.113.5" }),
      ).resolves.toEqual({ allowed: false, retryAfterSeconds: wait, unavailable: false });
      // Both are counted whichever refuses.
      expect(asked).toHaveLength(2);
    },
  );

  it("says when the refusal is the backend's outage (failed closed), not the person's doing", async () => {
    const { limiter } = stubLimiter({
      mailAddress: refused(5, "closed"),
      mailIp: refused(5, "closed"),
    });
    await expect(
      checkMailBudget(limiter, { email: "a@example.com", ip: "203.0.113.5" }),
    ).resolves.toEqual({ allowed: false, retryAfterSeconds: 5, unavailable: true });
  });
});
