// Whether this browser signed in to an account before, as its device cookie says
// (lib/security/device-cookie.ts): read by the password provider for the attempt's budget,
// written by the jwt callback after every successful sign-in.
import type { CookieJar } from "@/lib/auth/dependencies";
import type { Logger } from "@/lib/logger";
import type { DeviceCookies } from "@/lib/security/device-cookie";

export interface DeviceMemory {
  /** The nonce of the valid device cookie this browser holds for `email`, if any. */
  knownDevice: (email: string) => Promise<string | null>;
  /** Leaves (or renews) the account's device cookie in this browser; never throws. */
  rememberDevice: (email: string, requestId: string) => Promise<void>;
}

export function createDeviceMemory(deps: {
  deviceCookies: DeviceCookies;
  cookies: () => Promise<CookieJar>;
  logger: Pick<Logger, "warn">;
}): DeviceMemory {
  const { deviceCookies, logger } = deps;
  const knownDevice = async (email: string): Promise<string | null> => {
    const jar = await deps.cookies();
    return deviceCookies.verify(email, jar.get(deviceCookies.nameFor(email))?.value);
  };

  /**
   * Renewed with the same nonce when the browser holds a valid one (its budget, and a
   * lock-out of it, carry on; a new cookie per sign-in would hand out a fresh budget each
   * time), a new one otherwise. Every method counts — password, OAuth, linking — because
   * each proves that the account's owner uses this browser; the owner who usually signs in
   * with Google and falls back to the password then keeps their own budget. A cookie that
   * cannot be set must not fail a sign-in that has succeeded: the browser only stays unknown.
   */
  const rememberDevice = async (email: string, requestId: string): Promise<void> => {
    try {
      const jar = await deps.cookies();
      const cookie = deviceCookies.issue(email, (await knownDevice(email)) ?? undefined);
      jar.set(cookie.name, cookie.value, cookie.options);
    } catch (error) {
      logger.warn("could not set the device cookie", { error, requestId });
    }
  };

  return { knownDevice, rememberDevice };
}
