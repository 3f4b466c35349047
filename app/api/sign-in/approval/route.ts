// Where this browser's sign-in waiting for the Telegram chat stands
// (lib/auth/sign-in-approval-status.ts).
import { cookies } from "next/headers";

import { pendingSignInToken } from "@/lib/auth/second-factor-gate";
import { createApprovalStatusHandler } from "@/lib/auth/sign-in-approval-status";
import { usesSecureCookies } from "@/lib/http/cookies";
import { withRouteErrors } from "@/lib/http/route";
import { getServices } from "@/lib/root";

const handler = createApprovalStatusHandler({
  services: getServices,
  token: () => pendingSignInToken(cookies, usesSecureCookies(getServices().settings.appUrl)),
});

export const GET = withRouteErrors(() => getServices().logger, handler);
// Reads the cookie on every request.
export const dynamic = "force-dynamic";
