// The second factor: an authenticator app (TOTP) and ten single-use recovery codes
// (docs/second-factor.md). One folder, so the capability reads as one unit; its services
// are plain functions over a Prisma client or transaction, with the clock (`now`) and the
// keys (createSecondFactorKeys(AUTH_SECRET)) passed in, and no Next imports.
//
// API (for the account page and the sign-in challenge):
//   createSecondFactorKeys(secret) → SecondFactorKeys
//   startTotpEnrolment(db, { userId, now, keys, issuer, accountLabel })
//     → { secret, uri, qrSvg } | already-enabled
//   pendingTotpEnrolment(db, { userId, keys, issuer, accountLabel })
//     → { secret, uri, qrSvg } of the enrolment waiting for its first code | null
//   cancelTotpEnrolment(db, { userId }) → cancelled | not-started | already-enabled
//   confirmTotpEnrolment(db, { userId, code, now, keys, context?, afterRecord? })
//     → { recoveryCodes } | wrong-code | not-started | already-enabled; records TOTP_ENABLED
//   verifyTotpCode(db, { userId, code, now, keys })
//     → accepted (once) | wrong-code | reused | not-enabled | key-unreadable
//   redeemRecoveryCode(db, { userId, code, now, keys, context?, afterRecord? })
//     → { codesLeft } | used | wrong-code; records RECOVERY_CODE_USED
//   regenerateRecoveryCodes(db, { userId, now, keys, context?, afterRecord? })
//     → { recoveryCodes } | not-enabled; records RECOVERY_CODES_REGENERATED
//   disableTotp(db, { userId, now, context?, afterRecord? })
//     → disabled | not-enabled; records TOTP_DISABLED
//   secondFactorStatus(db, userId) → { totp, recoveryCodesLeft }
//   requiresSecondFactor(db, userId) → boolean (a confirmed app: sign-in asks for a code)
//   passSecondFactor({ db, limiter, keys, now, afterRecord }, { token, kind, code, context })
//     → passed | wrong-code | ended | expired | limited | key-unreadable (sign-in-step.ts)
//   confirmIdentityWithCode(deps, { userId, kind, code, context })
//     → confirmed | wrong-code | limited | not-enabled | key-unreadable ("Confirm it's you")
export {
  cancelTotpEnrolment,
  confirmTotpEnrolment,
  disableTotp,
  pendingTotpEnrolment,
  removeSecondFactor,
  requiresSecondFactor,
  secondFactorStatus,
  startTotpEnrolment,
  verifyTotpCode,
  type CancelTotpEnrolmentResult,
  type ConfirmTotpEnrolmentResult,
  type DisableTotpResult,
  type SecondFactorStatus,
  type StartTotpEnrolmentResult,
  type TotpEnrolment,
  type VerifyTotpCodeResult,
} from "@/lib/auth/second-factor/authenticator";
export { createSecondFactorKeys, type SecondFactorKeys } from "@/lib/auth/second-factor/keys";
export {
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  regenerateRecoveryCodes,
  redeemRecoveryCode,
  type RegenerateRecoveryCodesResult,
  type RedeemRecoveryCodeResult,
} from "@/lib/auth/second-factor/recovery-codes";
export { normalizeTotpCode } from "@/lib/auth/second-factor/totp";
export {
  confirmIdentityWithCode,
  passSecondFactor,
  type ConfirmIdentityResult,
  type SecondFactorKind,
  type SecondFactorStepResult,
} from "@/lib/auth/second-factor/sign-in-step";
