// The session as a server component reads it: the same answer as Auth.js's auth(), through
// the very jwt and session callbacks of our configuration (so the revocation check, the
// fresh email and the session's shape are one piece of code), without Auth.js's request
// pipeline around them.
//
// Why: auth() in a server component builds a Request, runs Auth.js's whole router, decodes
// the cookie, calls the callbacks, then re-encrypts the token for a Set-Cookie that a server
// component has no way to send (next-auth drops it). The decode and the re-encryption were
// most of what a signed-in page cost over an anonymous one (docs/performance.md). Route
// handlers and server actions keep auth(): nothing here replaces it where Auth.js answers.
import type { NextAuthConfig, Session } from "next-auth";

import {
  createSessionTokenReader,
  sessionTokenOf,
  type CookieValue,
  type SessionTokenReader,
} from "@/lib/auth/session-token";
import type { Settings } from "@/lib/env";
import { usesSecureCookies } from "@/lib/http/cookies";
import type { Logger } from "@/lib/logger";

type Callbacks = NonNullable<NextAuthConfig["callbacks"]>;

export interface PageSessionDeps {
  reader: SessionTokenReader;
  /** The configuration's callbacks, as Auth.js would call them for GET /api/auth/session. */
  jwt: NonNullable<Callbacks["jwt"]>;
  session: NonNullable<Callbacks["session"]>;
  sessionMaxAgeSeconds: number;
  now: () => Date;
  logger: Logger;
  requestId: () => Promise<string>;
}

/** The reader's parts for a configuration: built once (lib/root/auth.ts), the key with it. */
export function pageSessionDeps(input: {
  config: NextAuthConfig;
  settings: Pick<Settings, "appUrl" | "auth">;
  logger: Logger;
  requestId: () => Promise<string>;
  now?: () => Date;
}): PageSessionDeps {
  const { config, settings } = input;
  const { jwt, session } = config.callbacks ?? {};
  if (!jwt || !session) throw new Error("the Auth.js configuration has no jwt/session callback");
  return {
    reader: createSessionTokenReader({
      secret: settings.auth.secret,
      secure: usesSecureCookies(settings.appUrl),
    }),
    jwt,
    session,
    sessionMaxAgeSeconds: settings.auth.sessionMaxAgeSeconds,
    now: input.now ?? (() => new Date()),
    logger: input.logger,
    requestId: input.requestId,
  };
}

// Outside a request (a test, a script) there is none; the line is still worth writing.
const requestIdOf = (deps: PageSessionDeps) => deps.requestId().catch(() => "unknown");

export async function readPageSession(
  deps: PageSessionDeps,
  cookies: readonly CookieValue[],
): Promise<Session | null> {
  const token = sessionTokenOf(cookies, deps.reader.cookieName);
  if (!token) return null;
  const now = deps.now();
  const claims = deps.reader.read(token, Math.floor(now.getTime() / 1000));
  if (!claims) {
    // What Auth.js logs for it (lib/auth/malformed.ts): forged, truncated, expired, or
    // sealed with an earlier AUTH_SECRET. The person is simply signed out.
    deps.logger.warn("auth: malformed request refused", {
      kind: "UnreadableSessionCookie",
      requestId: await requestIdOf(deps),
    });
    return null;
  }
  try {
    // Auth.js passes these and nothing else to the jwt callback on a session read.
    const refreshed = await deps.jwt({ token: claims } as Parameters<typeof deps.jwt>[0]);
    if (!refreshed) return null;
    const expires = new Date(now.getTime() + deps.sessionMaxAgeSeconds * 1000).toISOString();
    const session = await deps.session({
      session: {
        user: { name: refreshed.name, email: refreshed.email, image: refreshed.picture },
        expires,
      },
      token: refreshed,
    } as Parameters<typeof deps.session>[0]);
    return session;
  } catch (error) {
    // As Auth.js does (JWTSessionError): the check could not run (the database is down),
    // so nobody is signed in on this page; the log says why.
    deps.logger.error("auth: the session could not be checked", {
      error,
      requestId: await requestIdOf(deps),
    });
    return null;
  }
}
