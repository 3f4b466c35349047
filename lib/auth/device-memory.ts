// Whether this browser signed in to an account before, as its device cookies say
// (lib/security/device-cookie.ts). Written by the jwt callback after every successful
// sign-in, two per account:
// - keyed by the email: the password provider reads it before it knows the user, for the
//   attempt's budget (password-guard.ts);
// - keyed by the user id: the signIn callback reads it to decide whether a sign-in comes from
//   a browser new to the account, which an account approving sign-ins in Telegram is asked
//   about (sign-in-approval.ts). It works for accounts without an email (Telegram, Stack
//   Overflow) and survives a change of address.
// The two keys never meet: an email always holds "@", a user-id key never does, and each
// cookie's signature covers its key, so one cannot stand in for the other.
import type { CookieJar } from "@/lib/auth/dependencies";
import type { Logger } from "@/lib/logger";
import type { DeviceCookies } from "@/lib/security/device-cookie";

export interface DeviceMemory {
  /** The nonce of the valid device cookie this browser holds for `email`, if any. */
  knownDevice: (email: string) => Promise<string | null>;
  /**
   * Whether this browser holds a valid device cookie for the user `userId`, issued (or
   * renewed, at a sign-in) at or after `since` when given.
   */
  knownBrowser: (userId: string, since: Date | null) => Promise<boolean>;
  /** Leaves (or renews) the account's device cookies in this browser; never throws. */
  rememberDevice: (
    account: { userId: string; email: string | null },
    requestId: string,
  ) => Promise<void>;
}

/** The device cookies' account key for a user id (emails are keyed as they are). */
export function userDeviceKey(userId: string): string {
  return `user-id:${userId}`;
}

const floorToSecond = (at: Date) => Math.floor(at.getTime() / 1_000) * 1_000;

export function createDeviceMemory(deps: {
  deviceCookies: DeviceCookies;
  cookies: () => Promise<CookieJar>;
  logger: Pick<Logger, "warn">;
}): DeviceMemory {
  const { deviceCookies, logger } = deps;
  const nonceFor = async (key: string): Promise<string | null> => {
    const jar = await deps.cookies();
    return deviceCookies.verify(key, jar.get(deviceCookies.nameFor(key))?.value);
  };

  /**
   * Renewed with the same nonce when the browser holds a valid one (its budget, and a
   * lock-out of it, carry on; a new cookie per sign-in would hand out a fresh budget each
   * time), a new one otherwise. Every method counts — password, OAuth, linking — because
   * each proves that the account's owner uses this browser; the owner who usually signs in
   * with Google and falls back to the password then keeps their own budget. A cookie that
   * cannot be set must not fail a sign-in that has succeeded: the browser only stays unknown.
   */
  const remember = async (key: string, requestId: string): Promise<void> => {
    try {
      const jar = await deps.cookies();
      const cookie = deviceCookies.issue(key, (await nonceFor(key)) ?? undefined);
      jar.set(cookie.name, cookie.value, cookie.options);
    } catch (error) {
      logger.warn("could not set the device cookie", { error, requestId });
    }
  };

  return {
    knownDevice: nonceFor,
    async knownBrowser(userId, since) {
      const key = userDeviceKey(userId);
      const jar = await deps.cookies();
      const cookie = deviceCookies.inspect(key, jar.get(deviceCookies.nameFor(key))?.value);
      // The cookie holds whole seconds: one issued in the second of `since` still counts.
      return cookie !== null && (since === null || cookie.issuedAtMs >= floorToSecond(since));
    },
    async rememberDevice({ userId, email }, requestId) {
      await remember(userDeviceKey(userId), requestId);
      if (email) await remember(email, requestId);
    },
  };
}
