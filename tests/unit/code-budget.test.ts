// checkCodeBudget (lib/rate-limit/code-budget.ts) over a limiter whose answers the test
// decides: which keys it counts, how two answers combine, and what the person reads
// (lib/actions/code-budget.ts). tests/integration/two-step-actions.test.ts runs it on the
// real limiter, through the account page's actions.
import { describe, expect, it } from "vitest";

import { codeBudgetMessage } from "@/lib/actions/code-budget";
import {
  checkCodeBudget,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
} from "@/lib/rate-limit";

const allowed: RateLimitDecision = {
  allowed: true,
  limit: 20,
  remaining: 19,
  resetAt: 0,
  retryAfterSeconds: 0,
};
const refused = (retryAfterSeconds: number, failure?: "closed"): RateLimitDecision => ({
  allowed: false,
  limit: 20,
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

describe("checkCodeBudget", () => {
  it("counts the account (its user id) and the client's IP, and allows when both do", async () => {
    const { limiter, asked } = stubLimiter({});
    await expect(
      checkCodeBudget(limiter, { userId: "user-1", ip: "203.0.113.5" }),
    ).resolves.toEqual({ allowed: true });
    expect(asked.sort()).toEqual([
      ["secondFactorAccount", "user-1"],
      ["secondFactorIp", "203.0.113.5"],
    ]);
  });

  it("puts every client whose IP is unknown in one bucket", async () => {
    const { limiter, asked } = stubLimiter({});
    await checkCodeBudget(limiter, { userId: "user-1", ip: null });
    expect(asked).toContainEqual(["secondFactorIp", "unknown"]);
  });

  it.each([
    ["the account", { secondFactorAccount: refused(120) }, 120],
    ["the IP", { secondFactorIp: refused(30) }, 30],
    [
      "both: the longer wait",
      { secondFactorAccount: refused(45), secondFactorIp: refused(400) },
      400,
    ],
  ] as const)(
    "refuses when %s is used up, with a Retry-After long enough",
    async (_, answers, wait) => {
      const { limiter, asked } = stubLimiter(answers);
      await expect(
        checkCodeBudget(limiter, { userId: "user-1", ip: "203.0.113.5" }),
      ).resolves.toEqual({ allowed: false, retryAfterSeconds: wait, unavailable: false });
      // Both are counted whichever refuses.
      expect(asked).toHaveLength(2);
    },
  );

  it("says when the refusal is the backend's outage (failed closed), not the person's doing", async () => {
    const { limiter } = stubLimiter({ secondFactorIp: refused(5, "closed") });
    await expect(
      checkCodeBudget(limiter, { userId: "user-1", ip: "203.0.113.5" }),
    ).resolves.toEqual({ allowed: false, retryAfterSeconds: 5, unavailable: true });
  });
});

describe("codeBudgetMessage", () => {
  it("asks to wait as long as the limit says, or to try again shortly when it could not decide", () => {
    expect(codeBudgetMessage({ allowed: false, retryAfterSeconds: 61, unavailable: false })).toBe(
      "Too many attempts. Please wait 2 minutes and try again.",
    );
    expect(codeBudgetMessage({ allowed: false, retryAfterSeconds: 5, unavailable: true })).toBe(
      "We can't check your code right now. Please try again shortly.",
    );
  });
});
