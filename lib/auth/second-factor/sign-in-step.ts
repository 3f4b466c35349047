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
import { requiresSecondFactor, verifyTotpCode } from "@/lib/auth/second-factor/authenticator";
import type { SecondFactorKeys } from "@/lib/auth/second-factor/keys";
import { redeemRecoveryCode } from "@/lib/auth/second-factor/recovery-codes";
import { checkCodeBudget } from "@/lib/rate-limit/code-budget";
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
  const { token, context } = input;
  const pending = await findPendingSignIn(deps.db, token, deps.now());
  if (!pending || typeof token !== "string") return { status: "expired" };
  const { userId } = pending;

  const limited = await codeBudget(deps, userId, context);
  if (limited) return limited;

  const checked = await checkCode(deps, { userId, kind: input.kind, code: input.code, context });
  if (checked.status === "key-unreadable") return checked;
  if (checked.status === "not-enabled") return { status: "expired" };
  if (checked.status === "wrong") {
    const counted = await recordWrongSecondFactor(deps.db, token, deps.now());
    const ended = counted.status === "ended";
    await recordWrongCode(deps, {
      userId,
      method: pending.method,
      detail: `${codeName(input.kind)} ${checked.reused ? "already used" : "wrong"}${
        ended ? "; the sign-in was ended" : ""
      }`,
      context,
    });
    return counted.status === "ended"
      ? { status: "ended" }
      : { status: "wrong-code", attemptsLeft: counted.attemptsLeft, reused: checked.reused };
  }

  const completed = await completePendingSignIn(deps.db, token, deps.now());
  // A rival request with another right code (or the clock) got there first.
  if (!completed) return { status: "expired" };
  return {
    status: "passed",
    userId,
    method: completed.method,
    returnTo: completed.returnTo,
    recoveryCodesLeft: checked.recoveryCodesLeft,
  };
}

export type ConfirmIdentityResult =
  | { status: "confirmed"; recoveryCodesLeft: number | null }
  | { status: "wrong-code"; reused: boolean }
  | { status: "limited"; reason: "limited" | "unavailable"; retryAfterSeconds: number }
  /** No confirmed authenticator app on the account: confirm with a full sign-in. */
  | { status: "not-enabled" }
  | { status: "key-unreadable" };

/**
 * "Confirm it's you" with a code instead of a full sign-in (lib/auth/recent-sign-in.ts): the
 * signed-in user proves they still hold their second factor. Same budgets and one-use rules
 * as at sign-in; a wrong code is recorded (and alerted) the same way, since it may be
 * someone holding a stolen session.
 */
export async function confirmIdentityWithCode(
  deps: SecondFactorStepDeps,
  input: { userId: string; kind: SecondFactorKind; code: unknown; context: EventContext },
): Promise<ConfirmIdentityResult> {
  const limited = await codeBudget(deps, input.userId, input.context);
  if (limited) return limited;
  const checked = await checkCode(deps, input);
  if (checked.status === "accepted") {
    return { status: "confirmed", recoveryCodesLeft: checked.recoveryCodesLeft };
  }
  if (checked.status !== "wrong") return checked;
  await recordWrongCode(deps, {
    userId: input.userId,
    method: null,
    detail: `${codeName(input.kind)} ${checked.reused ? "already used" : "wrong"} (confirming it was you)`,
    context: input.context,
  });
  return { status: "wrong-code", reused: checked.reused };
}

const codeName = (kind: SecondFactorKind) =>
  kind === "totp" ? "authenticator code" : "recovery code";

/** The code budget (lib/rate-limit/code-budget.ts), shared with the account page. */
async function codeBudget(
  deps: SecondFactorStepDeps,
  userId: string,
  context: EventContext,
): Promise<Extract<SecondFactorStepResult, { status: "limited" }> | null> {
  const budget = await checkCodeBudget(deps.limiter, { userId, ip: context.ip ?? null });
  if (budget.allowed) return null;
  return {
    status: "limited",
    reason: budget.unavailable ? "unavailable" : "limited",
    retryAfterSeconds: budget.retryAfterSeconds,
  };
}

type CodeCheck =
  | { status: "accepted"; recoveryCodesLeft: number | null }
  /** `reused`: a right code already spent (a TOTP step, or a used recovery code). */
  | { status: "wrong"; reused: boolean }
  | { status: "not-enabled" }
  | { status: "key-unreadable" };

/** A TOTP code (accepted once: its step is spent) or a recovery code (spent, and recorded). */
async function checkCode(
  deps: SecondFactorStepDeps,
  input: { userId: string; kind: SecondFactorKind; code: unknown; context: EventContext },
): Promise<CodeCheck> {
  const { db, keys } = deps;
  const { userId } = input;
  const now = deps.now();
  if (input.kind === "totp") {
    const checked = await verifyTotpCode(db, { userId, code: input.code, now, keys });
    if (checked.status === "accepted") return { status: "accepted", recoveryCodesLeft: null };
    if (checked.status === "not-enabled" || checked.status === "key-unreadable") return checked;
    return { status: "wrong", reused: checked.status === "reused" };
  }
  // Recovery codes open nothing without a confirmed app (redeemRecoveryCode checks it too).
  if (!(await requiresSecondFactor(db, userId))) return { status: "not-enabled" };
  const redeemed = await redeemRecoveryCode(db, {
    userId,
    code: input.code,
    now,
    keys,
    context: input.context,
    afterRecord: deps.afterRecord,
  });
  if (redeemed.status === "accepted") {
    return { status: "accepted", recoveryCodesLeft: redeemed.codesLeft };
  }
  return { status: "wrong", reused: redeemed.status === "used" };
}

/** SECOND_FACTOR_FAILED, which alerts the owner: whoever typed it had a first factor. */
async function recordWrongCode(
  deps: SecondFactorStepDeps,
  failure: { userId: string; method: string | null; detail: string; context: EventContext },
): Promise<void> {
  await recordSecurityEvent(
    deps.db,
    {
      userId: failure.userId,
      type: "SECOND_FACTOR_FAILED",
      method: failure.method,
      detail: failure.detail,
      at: deps.now(),
      ...failure.context,
    },
    { afterRecord: deps.afterRecord },
  );
}
