// What the Auth.js configuration and its callbacks are built from (lib/auth/config.ts).
import type { RequestContext } from "@/lib/http/request-context";
import type { AfterRecordHook } from "@/lib/security/events";
import type { DeviceCookieOptions } from "@/lib/security/device-cookie";
import type { Database } from "@/lib/db";
import type { Settings } from "@/lib/env";
import type { Logger } from "@/lib/logger";
import type { Metrics } from "@/lib/metrics";
import type { PasswordGuard } from "@/lib/security/password-guard";
import type { SecondFactorKeys } from "@/lib/auth/second-factor";
import type { RateLimiter } from "@/lib/rate-limit/limiter";

/** The request's cookies, read and written (next/headers' cookies() in the app). */
export interface CookieJar {
  get(name: string): { value: string } | undefined;
  set(name: string, value: string, options: DeviceCookieOptions): unknown;
}

/** The browser's current, valid session (revocation already checked), as callbacks need it. */
export interface CurrentSession {
  userId: string;
  /** The Session row's id (not its token). */
  sessionId: string;
  /** When this device last signed in, in seconds since the epoch (JWT `authTime`). */
  authTime: number | null;
}

/** What the configuration uses of the composition root's services (lib/root). */
export interface AuthServices {
  settings: Settings;
  database: Database;
  logger: Logger;
  passwordGuard: PasswordGuard;
  /** The second step's code budgets (per account, per IP). */
  limiter: Pick<RateLimiter, "limit">;
  secondFactorKeys: SecondFactorKeys;
  /** The bot, when one is configured: Telegram sign-in connects its alerts chat. */
  telegram: object | null;
  /** The outbox: a chat connected at sign-in is told so at once. */
  notifications: { deliverSoon: () => void };
  /** Times the session check of every signed-in request (lib/metrics). */
  metrics?: Pick<Metrics, "sessionCheck">;
}

export interface AuthDependencies {
  services: AuthServices;
  /** The request being handled (headers()); injected so tests need no Next runtime. */
  requestContext: () => Promise<RequestContext>;
  /**
   * The session the request's cookie carries, if valid: who is linking during an OAuth
   * callback, and which row a new sign-in in the same browser replaces.
   */
  currentSession: () => Promise<CurrentSession | null>;
  /** The cookies of the request being handled: device cookies are read and set there. */
  cookies: () => Promise<CookieJar>;
  /** Runs in the transaction of each security event a sign-in records (Telegram alerts). */
  afterRecord?: AfterRecordHook;
  now?: () => Date;
}
