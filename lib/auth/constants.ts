// Names the Auth.js configuration shares with the pages and actions around it.
import type { RefusalReason } from "@/lib/auth/identity";

export { PASSWORD_PROVIDER_ID } from "@/lib/sign-in-methods";

/** Error codes our callbacks add to Auth.js's own (see app/auth/error/page.tsx). */
export const policyErrors = {
  "unverified-email-match": "EmailNotVerified",
  "identity-linked-to-another-user": "IdentityLinkedElsewhere",
  "recent-sign-in-required": "RecentSignInRequired",
} as const satisfies Record<RefusalReason, string>;

/** Where the account page lives; linking starts and ends there. */
export const ACCOUNT_PATH = "/account";
