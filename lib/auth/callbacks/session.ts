// The session callback: what /api/auth/session and auth() return, built from the JWT.
import type { SessionCallback } from "@/lib/auth/callbacks/types";

declare module "next-auth" {
  interface Session {
    /** The Session row's id: marks "this device" in the sessions list. Never its token. */
    sessionId?: string;
    /** When this device last signed in (seconds since the epoch), for the recent-sign-in rule. */
    authTime?: number;
  }
}

/** Needs nothing injected: it only copies claims, so it is the callback itself. */
export const sessionCallback: SessionCallback = ({ session, token }) => {
  if (token.sub) session.user.id = token.sub;
  // The row id, never `sid`: the session object reaches the browser (/api/auth/session).
  if (typeof token.sessionId === "string") session.sessionId = token.sessionId;
  if (typeof token.authTime === "number") session.authTime = token.authTime;
  return session;
};
