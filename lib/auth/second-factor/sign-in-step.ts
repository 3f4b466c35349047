// The second step of a sign-in (docs/second-factor.md, "Signing in"): a code from the
// authenticator app, or a recovery code, for the pending sign-in the browser's cookie names
// (lib/auth/pending-sign-in.ts). In order:
//   1. the pending sign-in must be live (unknown, expired, used or ended → "expired");
//   2. the code budgets, per account and per IP (fail closed: a Redis outage must not switch
//      guessing protection off);
//   3. the code: a TOTP code is accepted once (its time step is spent), a recovery code once;
//   4. wrong → counted against the pending sign-in (the fifth ends it) and recorded as
//      SECOND_FACTOR_FAILED, which alerts the owner: whoever typed it had the first factor;
//   5. right → the pending sign-in is used up by one conditional DELETE; only the request
//      whose DELETE removed it signs in.
// The caller (the "second-factor" provider, lib/auth/second-factor-provider.ts) then has
// Auth.js create the session, as for any other sign-in.
import {
  completePendingSignIn,
  findPendingSignIn,
  recordWrongSecondFactor,
} from "@/lib/auth/pending-sign-in";
import { verifyTotpCode } from "@/lib/auth/second-factor/authenticator";
import type { SecondFactorKeys } from "@/lib/auth/second-factor/keys";
import { redeemRecoveryCode } from "@/lib/auth/second-factor/recovery-codes";
import type { RateLimiter } from "@/lib/rate-limit/limiter";
import {
  recordSecurityEvent,
  type AfterRecordHook,
  type DbClient,
  type EventContext,
} from "@/lib/security/events";

export type SecondFactorKind = "totp" | "recovery";

export interface SecondFactorStepDeps {
  db: DbClient;
  limiter: Pick<RateLimiter, "limit">;
  keys: SecondFactorKeys;
  now: () => Date;
  afterRecord?: AfterRecordHook;
}

export interface SecondFactorStepInput {
  /** The pending sign-in's token, from the browser's cookie. */
  token: string | null | undefined;
  kind: SecondFactorKind;
  code: unknown;
  context: EventContext;
}

export type SecondFactorStepResult =
  | {
      status: "passed";
      userId: string;
      /** The first factor, which the session carries. */
      method: string;
      returnTo: string;
      /** Set when a recovery code was spent: how many are left. */
      recoveryCodesLeft: number | null;
    }
  /** `reused`: a right code whose time step was already accepted (wait for the next one). */
  | { status: "wrong-code"; attemptsLeft: number; reused: boolean }
  /** That wrong code was the fifth: the pending sign-in is over. */
  | { status: "ended" }
  /** No live pending sign-in for this browser (or its second factor was turned off since). */
  | { status: "expired" }
  | { status: "limited"; reason: "limited" | "unavailable"; retryAfterSeconds: number }
  /** The stored key does not open (AUTH_SECRET changed): no code can be checked. */
  | { status: "key-unreadable" };

export async function passSecondFactor(
  deps: SecondFactorStepDeps,
  input: SecondFactorStepInput,
): Promise<SecondFactorStepResult> {
  const { db, keys } = deps;
  const { token, context } = input;
  const pending = await findPendingSignIn(db, token, deps.now());
  if (!pending || typeof token !== "string") return { status: "expired" };
  const { userId } = pending;

  // Both budgets are always counted, so the answer does not depend on which one is spent.
  const decisions = await Promise.all([
    deps.limiter.limit("secondFactorAccount", userId),
    deps.limiter.limit("secondFactorIp", context.ip ?? "unknown"),
  ]);
  const refused = decisions.filter((decision) => !decision.allowed);
  if (refused.length > 0) {
    return {
      status: "limited",
      reason: refused.some((decision) => decision.failure === "closed") ? "unavailable" : "limited",
      retryAfterSeconds: Math.max(...refused.map((decision) => decision.retryAfterSeconds)),
    };
  }

  const now = deps.now();
  const attempt = { userId, method: pending.method, kind: input.kind, context };
  let recoveryCodesLeft: number | null = null;
  if (input.kind === "totp") {
    const checked = await verifyTotpCode(db, { userId, code: input.code, now, keys });
    if (checked.status === "key-unreadable") return checked;
    if (checked.status === "not-enabled") return { status: "expired" };
    if (checked.status !== "accepted") {
      return wrongCode(deps, token, attempt, checked.status === "reused");
    }
  } else {
    const redeemed = await redeemRecoveryCode(db, {
      userId,
      code: input.code,
      now,
      keys,
      context,
      afterRecord: deps.afterRecord,
    });
    if (redeemed.status !== "accepted") {
      return wrongCode(deps, token, attempt, redeemed.status === "used");
    }
    recoveryCodesLeft = redeemed.codesLeft;
  }

  const completed = await completePendingSignIn(db, token, deps.now());
  // A rival request with another right code (or the clock) got there first.
  if (!completed) return { status: "expired" };
  return {
    status: "passed",
    userId,
    method: completed.method,
    returnTo: completed.returnTo,
    recoveryCodesLeft,
  };
}

async function wrongCode(
  deps: SecondFactorStepDeps,
  token: string,
  attempt: { userId: string; method: string; kind: SecondFactorKind; context: EventContext },
  reused: boolean,
): Promise<SecondFactorStepResult> {
  const now = deps.now();
  const counted = await recordWrongSecondFactor(deps.db, token, now);
  await recordSecurityEvent(
    deps.db,
    {
      userId: attempt.userId,
      type: "SECOND_FACTOR_FAILED",
      method: attempt.method,
      detail: `${attempt.kind === "totp" ? "authenticator" : "recovery"} code ${reused ? "already used" : "wrong"}${
        counted.status === "ended" ? "; the sign-in was ended" : ""
      }`,
      at: now,
      ...attempt.context,
    },
    { afterRecord: deps.afterRecord },
  );
  return counted.status === "ended"
    ? { status: "ended" }
    : { status: "wrong-code", attemptsLeft: counted.attemptsLeft, reused };
}
