// GET /api/sign-in/approval: where this browser's sign-in waiting for the Telegram chat
// stands, for the waiting page (/sign-in/approve), which asks every few seconds until the
// chat answers or the time is up.
//
// A route handler, not a server action: Next runs a page's server actions one at a time, so
// a poll in flight would hold up "Cancel" or "Use your authenticator app instead". It only
// reads, by the pending sign-in cookie's hash (one primary-key lookup), and says nothing but
// the state of the browser's own request: no account, no chat. A page of another site can
// make the browser ask, but cannot read the answer (no CORS). The global per-address limit
// (proxy.ts) bounds it like every request; the page asks about 60 times in its 2 minutes.
import { findApproval, type ApprovalStatus } from "@/lib/auth/sign-in-approval";
import type { RouteContext } from "@/lib/http/route";
import type { Services } from "@/lib/root";

export interface ApprovalStatusBody {
  status: ApprovalStatus;
  /** When a waiting request's time is up (ISO 8601); null once answered or gone. */
  expiresAt: string | null;
}

export interface ApprovalStatusDependencies {
  services: () => Pick<Services, "database">;
  /** The browser's pending sign-in token (its cookie), if any. */
  token: () => Promise<string | null>;
  now?: () => Date;
}

export function createApprovalStatusHandler(deps: ApprovalStatusDependencies) {
  return async (_request: Request, _context: RouteContext): Promise<Response> => {
    const now = deps.now?.() ?? new Date();
    const found = await findApproval(deps.services().database.prisma, await deps.token(), now);
    const body: ApprovalStatusBody = {
      status: found?.status ?? "gone",
      expiresAt: found?.status === "waiting" ? found.expiresAt.toISOString() : null,
    };
    // Every poll must reach the server: an answer cached anywhere would hide the chat's.
    return Response.json(body, { headers: { "cache-control": "no-store" } });
  };
}
