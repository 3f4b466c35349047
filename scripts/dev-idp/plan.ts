// Whether `npm run dev` starts the development stand-ins, decided from the settings the app
// itself will read, so the two can never disagree about the origin or the providers.
import { STAND_IN_CLIENTS } from "@/lib/stand-ins";
import { isLoopbackUrl, parseSettings, SettingsError, type Env } from "@/lib/env";
import type { Clients } from "./types";

export type StandInPlan = { start: true; appUrl: string } | { start: false; reason: string };

/** The stand-ins are for a first run: development, nothing configured, everything local. */
export function planStandIns(env: Env): StandInPlan {
  let settings;
  try {
    // `next dev` always runs with NODE_ENV=development; the secret does not matter here.
    settings = parseSettings(
      { ...env, NODE_ENV: "development" },
      { devSecret: () => "-".repeat(32), builtFor: "development" },
    );
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    return { start: false, reason: "the settings are invalid (next dev lists what to fix)" };
  }
  const { auth } = settings;
  if (auth.standIns) return { start: false, reason: "AUTH_DEV_IDP_URL is already set" };
  if (auth.localIdpUrl) return { start: false, reason: "AUTH_TEST_IDP_URL is set" };
  if (auth.google || auth.github || auth.stackOverflow || auth.telegram) {
    return { start: false, reason: "a real provider is configured" };
  }
  if (!isLoopbackUrl(settings.appUrl)) {
    return { start: false, reason: `APP_URL (${settings.appUrl}) is not a loopback address` };
  }
  return { start: true, appUrl: settings.appUrl };
}

/** The stand-in's client registrations: the app's callback URLs under `appUrl`. */
export function standInClients(appUrl: string): Clients {
  const callback = (id: string) => `${appUrl}/api/auth/callback/${id}`;
  const { google, github, stackoverflow, telegram } = STAND_IN_CLIENTS;
  return {
    google: { ...google, redirectUri: callback("google") },
    github: { ...github, redirectUri: callback("github") },
    stackoverflow: { ...stackoverflow, redirectUri: callback("stackoverflow") },
    telegram: { ...telegram, redirectUri: callback("telegram") },
  };
}
