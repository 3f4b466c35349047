import type { Metadata } from "next";
import { cookies } from "next/headers";

import { SignInApprovalWait } from "@/components/auth/sign-in-approval-wait";
import { SignInOver } from "@/components/auth/sign-in-over";
import { requiresSecondFactor } from "@/lib/auth/second-factor";
import { pendingSignInToken } from "@/lib/auth/second-factor-gate";
import { findApproval } from "@/lib/auth/sign-in-approval";
import { usesSecureCookies } from "@/lib/http/cookies";
import { getServices } from "@/lib/root";
import { describeDevice } from "@/lib/security/presenter";

export const metadata: Metadata = { title: "Approve in Telegram" };

// Reads this browser's pending sign-in on every request.
export const dynamic = "force-dynamic";

/**
 * A sign-in from a browser new to an account that approves sign-ins in Telegram
 * (docs/telegram.md, "Approving sign-ins from the chat"): the first factor passed, and
 * nothing is signed in until the chat says "Approve". Without such a pending sign-in for
 * this browser there is nothing to do here but start again.
 */
export default async function SignInApprovalPage() {
  const { settings, database } = getServices();
  const token = await pendingSignInToken(cookies, usesSecureCookies(settings.appUrl));
  const found = await findApproval(database.prisma, token, new Date());

  if (!found) {
    return (
      <SignInOver title="This sign‑in has ended">
        It expired, was cancelled, or was already finished. Nothing was signed in.
      </SignInOver>
    );
  }

  return (
    <SignInApprovalWait
      initialStatus={found.status}
      expiresAt={found.expiresAt.getTime()}
      canUseCode={await requiresSecondFactor(database.prisma, found.userId)}
      device={`${describeDevice(found.userAgent)}, ${found.ip ?? "an unknown IP address"}`}
      botUsername={settings.telegram?.botUsername ?? null}
    />
  );
}
