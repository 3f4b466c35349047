// A real password guard (limiter + throttle) on the in-memory backend, with its waits
// recorded instead of slept, for tests of the code that calls it.
import type { RateLimitRule, Settings } from "@/lib/env";
import { createRateLimiter } from "@/lib/rate-limit";
import { createMemoryRateLimitBackend } from "@/lib/rate-limit/backends/memory";
import { createMemoryStore } from "@/lib/redis";
import { createAccountThrottle } from "@/lib/security/account-throttle";
import { createPasswordGuard } from "@/lib/security/password-guard";
import { memoryLogger } from "@/tests/support/logger";

export function testPasswordGuard(
  settings: Settings,
  overrides: { signInAccount?: RateLimitRule; signInIp?: RateLimitRule } = {},
) {
  const logger = memoryLogger();
  const limiter = createRateLimiter({
    backend: createMemoryRateLimitBackend(),
    now: Date.now,
    logger,
    settings: { ...settings.rateLimits, ...overrides },
  });
  const throttle = createAccountThrottle({ store: createMemoryStore(), logger });
  const waits: number[] = [];
  const guard = createPasswordGuard({
    limiter,
    throttle,
    now: Date.now,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  return { guard, waits, logger, limiter };
}
