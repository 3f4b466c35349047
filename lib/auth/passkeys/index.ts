// Passkeys (WebAuthn, through @simplewebauthn/server): adding one to an account, signing in
// with one, and managing them (docs/passkeys.md). One folder, so the capability reads as one
// unit; its services are plain functions over a Prisma client or transaction, with the
// clock (`now`), the relying party, the challenge TTL, the event context and the
// afterRecord hook passed in, and no Next imports. The caller keeps each ceremony's
// `challengeId` in an HttpOnly cookie and hands it back with the browser's response.
//
// API (for the account page, and the "passkey" sign-in provider):
//   relyingParty(appUrl, name) → { rpID, rpName, origin }   (throws where browsers refuse)
//   relyingPartyProblem(appUrl) → string | null
//   startPasskeyRegistration(db, { userId, rp, now, ttlSeconds })
//     → { options, challengeId } | too-many | unknown-user
//   finishPasskeyRegistration(db, { userId, challengeId, response, name?, rp, now, context?,
//     afterRecord? })
//     → { passkey } | invalid-name | challenge-unknown | challenge-expired
//       | challenge-of-another-user | not-verified | already-registered | too-many;
//       records PASSKEY_ADDED
//   startPasskeySignIn(db, { rp, now, ttlSeconds }) → { options, challengeId }
//   finishPasskeySignIn(db, { challengeId, response, rp, now, onlyUserId? })
//     → { userId, passkeyId, userVerified } | challenge-unknown | challenge-expired
//       | not-verified | unknown-credential | another-account | user-handle-mismatch
//       | counter-regressed
//   listPasskeys(db, userId) → PasskeySummary[]
//   renamePasskey(db, { userId, passkeyId, name }) → { passkey } | not-found | invalid-name
//   removePasskey(db, { userId, passkeyId, now, context?, afterRecord? })
//     → removed | not-found | last-sign-in-method; records PASSKEY_REMOVED
//   normalizePasskeyName(input) → { ok, name } ; defaultPasskeyName(now, userAgent)
export {
  listPasskeys,
  removePasskey,
  renamePasskey,
  type RemovePasskeyResult,
  type RenamePasskeyResult,
} from "@/lib/auth/passkeys/manage";
export {
  defaultPasskeyName,
  normalizePasskeyName,
  PASSKEY_NAME_MAX_LENGTH,
  type PasskeyNameResult,
} from "@/lib/auth/passkeys/names";
export {
  finishPasskeyRegistration,
  startPasskeyRegistration,
  type FinishPasskeyRegistrationInput,
  type FinishPasskeyRegistrationResult,
  type StartPasskeyRegistrationInput,
  type StartPasskeyRegistrationResult,
} from "@/lib/auth/passkeys/registration";
export {
  relyingParty,
  relyingPartyProblem,
  type RelyingParty,
} from "@/lib/auth/passkeys/relying-party";
export {
  PASSKEYS_PER_ACCOUNT_MAX,
  SUPPORTED_ALGORITHM_IDS,
  type PasskeySummary,
} from "@/lib/auth/passkeys/shared";
export {
  counterRegressed,
  finishPasskeySignIn,
  startPasskeySignIn,
  type FinishPasskeySignInInput,
  type FinishPasskeySignInResult,
  type StartPasskeySignInInput,
  type StartPasskeySignInResult,
} from "@/lib/auth/passkeys/sign-in";
