// Between the first factor and the session, for an account that approves sign-ins in its
// Telegram chat (docs/telegram.md, "Approving sign-ins from the chat"). The signIn callback
// asks here before the second-factor gate (second-factor-gate.ts): a sign-in from a browser
// that has not signed in to the account before (no device cookie for the user;
// device-memory.ts) is held as a pending sign-in waiting for the chat, the chat is asked
// (sign-in-approval.ts startApproval), and the browser is sent to the waiting page. The same
// cookie as the code step's carries the pending sign-in, so a browser has one at a time.
//
// Not held here:
// - a browser that signed in to the account before — since approval was last turned on and
//   since any session was last revoked (knownBrowsersSince): it goes on to the second-factor
//   gate as usual (an authenticator app is still asked for);
// - a Telegram sign-in by the very Telegram account whose chat would be asked: that login
//   has just proved the person holds it, and asking them to tap "Approve" in the same app
//   proves nothing more;
// - a passkey that verified the person (two factors in one; never reaches the gates), the
//   second step itself, "Confirm it's you", and linking from the account page.
import type { CookieJar } from "@/lib/auth/dependencies";
import { setPendingSignInCookie } from "@/lib/auth/second-factor-gate";
import { approvalWanted, knownBrowsersSince, startApproval } from "@/lib/auth/sign-in-approval";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";

/** The waiting page. */
export const SIGN_IN_APPROVAL_PATH = "/sign-in/approve";

/** The Credentials provider that finishes an approved sign-in. */
export const SIGN_IN_APPROVAL_PROVIDER_ID = "sign-in-approval";

export interface ApprovalGateDeps {
  /**
   * A bot is configured (TELEGRAM_BOT_TOKEN). Without one nobody could answer: an account
   * that turned approval on while there was a bot signs in as if it had not.
   */
  enabled: boolean;
  prisma: PrismaClient;
  now: () => Date;
  cookies: () => Promise<CookieJar>;
  secureCookies: boolean;
  /** How long the chat has to answer (SIGN_IN_APPROVAL_TTL_SECONDS). */
  ttlSeconds: number;
  /**
   * How long a pending sign-in waits for a code (PENDING_SIGN_IN_TTL_SECONDS): the cookie
   * outlives the chat's time by this much, so a browser whose request expired unanswered can
   * still turn to the authenticator app (sign-in-approval.ts switchApprovalToCode).
   */
  codeTtlSeconds: number;
  /** Whether this browser holds the user's device cookie, renewed since `since` (device-memory.ts). */
  knownBrowser: (userId: string, since: Date | null) => Promise<boolean>;
  /** Asks the outbox to deliver soon (the chat's question), after the transaction. */
  deliverSoon: () => void;
}

/**
 * Holds the sign-in for the chat's answer when the account wants it and the browser is new
 * to it: returns the waiting page's path (the signIn callback's redirect), or null when the
 * sign-in goes on (to the second-factor gate).
 */
export async function holdForApproval(
  deps: ApprovalGateDeps,
  input: {
    userId: string;
    method: string;
    returnTo: string;
    context: RequestContext;
    /** The Telegram user id a Telegram sign-in proved, if it is one. */
    telegramUserId?: string | null;
  },
): Promise<string | null> {
  const { telegramUserId, ...pending } = input;
  if (!deps.enabled) return null;
  const wanted = await approvalWanted(deps.prisma, input.userId);
  if (!wanted) return null;
  if (telegramUserId && telegramUserId === String(wanted.chatId)) return null;
  if (await deps.knownBrowser(input.userId, await knownBrowsersSince(deps.prisma, input.userId))) {
    return null;
  }
  const started = await startApproval(deps.prisma, {
    ...pending,
    now: deps.now(),
    ttlSeconds: deps.ttlSeconds,
    deliverSoon: deps.deliverSoon,
  });
  // Turned off between the two reads: as without approval.
  if (!started) return null;
  // The cookie outlives the chat's time: an unanswered request may still turn to a code.
  await setPendingSignInCookie(
    deps.cookies,
    deps.secureCookies,
    started.token,
    deps.ttlSeconds + deps.codeTtlSeconds,
  );
  return SIGN_IN_APPROVAL_PATH;
}
