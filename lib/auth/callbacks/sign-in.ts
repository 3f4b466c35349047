// The signIn callback: for OAuth, applies the same-email policy (lib/auth/identity.ts),
// creating or linking the user and identity in one transaction, so Auth.js's own account
// lookup that follows always finds it. Password sign-ins were decided in authorize().
// Then, for either, an account with a second factor is held for it (second-factor-gate.ts):
// the callback answers with the challenge page's path, and Auth.js redirects there without
// creating a session. That check comes after the policy's transaction has committed, so an
// authenticator app the claim rule just removed from a squatter never challenges the owner.
// A passkey sign-in whose authenticator verified the person is two factors in one and is
// never held; one without user verification is one factor, held like a password.
// Before the second-factor gate comes the approval gate (approval-gate.ts): an account that
// approves sign-ins in Telegram has a sign-in from a browser new to it held for the chat.
import type { Account, User } from "next-auth";

import {
  holdForApproval,
  SIGN_IN_APPROVAL_PROVIDER_ID,
  type ApprovalGateDeps,
} from "@/lib/auth/approval-gate";
import { ACCOUNT_PATH, PASSWORD_PROVIDER_ID, policyErrors } from "@/lib/auth/constants";
import type { CurrentSession } from "@/lib/auth/dependencies";
import {
  recordSignInFailure,
  resolveOAuthSignIn,
  type OAuthIdentity,
  type RefusalReason,
} from "@/lib/auth/identity";
import { passkeyUserVerified } from "@/lib/auth/passkey-provider";
import type { NormalizedProfile } from "@/lib/auth/providers";
import { isRecentSignIn, reauthenticationPath } from "@/lib/auth/recent-sign-in";
import { safeRedirectPath } from "@/lib/auth/redirect";
import {
  CONFIRM_IDENTITY_PROVIDER_ID,
  holdForSecondFactor,
  SECOND_FACTOR_PROVIDER_ID,
  type SecondFactorGateDeps,
} from "@/lib/auth/second-factor-gate";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { RequestContext } from "@/lib/http/request-context";
import type { Logger } from "@/lib/logger";
import type { AfterRecordHook } from "@/lib/security/events";
import type { SignInCallback } from "@/lib/auth/callbacks/types";
import { PASSKEY_PROVIDER_ID } from "@/lib/sign-in-methods";

export interface SignInCallbackDeps {
  prisma: PrismaClient;
  logger: Logger;
  now: () => Date;
  recentSignInMaxAgeSeconds: number;
  requestContext: () => Promise<RequestContext>;
  currentSession: () => Promise<CurrentSession | null>;
  afterRecord?: AfterRecordHook;
  /** APP_URL: where a held sign-in was headed is checked against it. */
  appUrl: string;
  secondFactorGate: SecondFactorGateDeps;
  approvalGate: ApprovalGateDeps;
  /**
   * Connects the alerts chat of someone who signed in with (or linked) Telegram and let the
   * bot write to them (lib/telegram/sign-in-alerts.ts); null when no bot is configured.
   */
  connectTelegramAlerts: ((input: TelegramAlertsRequest) => Promise<unknown>) | null;
}

export interface TelegramAlertsRequest {
  userId: string;
  telegramUserId: string;
  username: string | null;
  context: RequestContext;
}

/** Auth.js's callback-url cookie (plain, or __Secure- over HTTPS): where an OAuth sign-in goes. */
const CALLBACK_URL_COOKIES = ["__Secure-authjs.callback-url", "authjs.callback-url"];

/** The arriving identity as the policy reads it, from Auth.js's account and our profile. */
export function oauthIdentity(account: Account, profile: NormalizedProfile): OAuthIdentity {
  return {
    provider: account.provider,
    providerAccountId: account.providerAccountId,
    type: account.type === "oidc" ? "oidc" : "oauth",
    email: profile.email ?? null,
    emailVerified: profile.emailVerified,
    name: profile.name ?? null,
    image: profile.image ?? null,
    label: profile.label,
    tokens: {
      access_token: account.access_token,
      refresh_token: account.refresh_token,
      expires_at: account.expires_at,
      token_type: account.token_type,
      scope: account.scope,
      id_token: account.id_token,
      session_state: typeof account.session_state === "string" ? account.session_state : undefined,
    },
  };
}

/** Where a refused arrival is sent: re-proof, the account page while linking, else the error page. */
export function refusalRedirect(reason: RefusalReason, provider: string, linking: boolean): string {
  if (reason === "recent-sign-in-required") return reauthenticationPath(ACCOUNT_PATH);
  const query = `error=${policyErrors[reason]}&provider=${provider}`;
  // A refused link is explained on the account page, where it started.
  return linking ? `${ACCOUNT_PATH}?${query}` : `/auth/error?${query}`;
}

export function createSignInCallback(deps: SignInCallbackDeps): SignInCallback {
  const { prisma, logger, now, afterRecord } = deps;
  /** Where the sign-in was headed: the form's callbackUrl, or Auth.js's cookie for OAuth. */
  async function headedFor(credentials: Record<string, unknown> | undefined): Promise<string> {
    let target = credentials?.callbackUrl;
    if (typeof target !== "string") {
      const jar = await deps.secondFactorGate.cookies();
      target = CALLBACK_URL_COOKIES.map((name) => jar.get(name)?.value).find(Boolean);
    }
    return safeRedirectPath(typeof target === "string" ? target : null, deps.appUrl);
  }

  async function hold(
    userId: string,
    method: string,
    credentials: Record<string, unknown> | undefined,
    telegramUserId: string | null = null,
  ): Promise<string | true> {
    const input = {
      userId,
      method,
      returnTo: await headedFor(credentials),
      context: await deps.requestContext(),
    };
    const held =
      (await holdForApproval(deps.approvalGate, { ...input, telegramUserId })) ??
      (await holdForSecondFactor(deps.secondFactorGate, input));
    return held ?? true;
  }

  /**
   * Telegram with the bot's messages allowed: one click gives sign-in and alerts. A failure
   * here costs the alerts, never the sign-in: logged, and the account page still offers
   * "Connect Telegram".
   */
  async function connectAlerts(
    userId: string,
    profile: NormalizedProfile,
    context: RequestContext,
  ): Promise<void> {
    const grant = profile.telegram;
    if (!deps.connectTelegramAlerts || !grant?.botAccess) return;
    try {
      await deps.connectTelegramAlerts({
        userId,
        telegramUserId: grant.userId,
        username: grant.username,
        context,
      });
    } catch (error) {
      logger.error("connecting the Telegram alerts chat at sign-in failed", {
        error,
        userId,
        requestId: context.requestId,
      });
    }
  }

  return async ({ user, account, credentials }) => {
    if (!account) return true;
    // The second step itself, the chat's approval, or "Confirm it's you" with a code: their
    // providers checked it.
    if (
      account.provider === SECOND_FACTOR_PROVIDER_ID ||
      account.provider === SIGN_IN_APPROVAL_PROVIDER_ID ||
      account.provider === CONFIRM_IDENTITY_PROVIDER_ID
    ) {
      return true;
    }
    if (account.provider === PASSWORD_PROVIDER_ID) {
      return user.id ? hold(user.id, PASSWORD_PROVIDER_ID, credentials) : true;
    }
    if (account.provider === PASSKEY_PROVIDER_ID) {
      // The device and the PIN or biometric that unlocked it: the second factor is passed.
      if (passkeyUserVerified(user)) return true;
      return user.id ? hold(user.id, PASSKEY_PROVIDER_ID, credentials) : true;
    }
    const profile = user as User & NormalizedProfile;
    const context = await deps.requestContext();
    // Signed in already: the account page is linking a provider (or the person is
    // re-proving who they are with one they have). The sign-in page sends signed-in
    // visitors away unless they came to sign in again, so there is no third case.
    const current = await deps.currentSession();
    const result = await resolveOAuthSignIn(
      { prisma, logger, now, afterRecord },
      {
        identity: oauthIdentity(account, profile),
        currentUser: current && {
          id: current.userId,
          recentSignIn: isRecentSignIn(current.authTime, now(), deps.recentSignInMaxAgeSeconds),
        },
        context,
      },
    );
    if (result.outcome === "refused") {
      await recordSignInFailure(
        prisma,
        {
          // While linking, the refusal belongs in the signed-in user's own log.
          userId: current?.userId ?? null,
          method: account.provider,
          reason: result.reason,
          ...context,
        },
        { afterRecord },
      );
      return refusalRedirect(result.reason, account.provider, current !== null);
    }
    // Auth.js looks the identity up next and signs in as its owner.
    user.id = result.userId;
    await connectAlerts(result.userId, profile, context);
    // Linking from the account page adds a way in for someone signed in (recently: the
    // policy checked): that is not a sign-in to prove, so nothing is held.
    if (current !== null && result.linked) return true;
    return hold(result.userId, account.provider, credentials, profile.telegram?.userId ?? null);
  };
}
