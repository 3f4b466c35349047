// The development stand-ins for Google, GitHub, Stack Overflow and Telegram: what `npm run dev`
// (scripts/dev.ts) registers at its local stand-in identity provider (scripts/dev-idp) and
// what the app then signs in with (lib/env.ts, AUTH_DEV_IDP_URL). Both sides read these
// constants, so the registration and the app always agree.
//
// The "secrets" are public on purpose: the stand-in answers only on a loopback address, lets
// anyone sign in as anyone, and lib/env.ts refuses it outside development. Nothing here can
// sign in to a real provider.
//
// Plain data with no server imports: the sign-in page's note imports it too.
import type { OAuthProviderId } from "@/lib/sign-in-methods";

export const STAND_IN_CLIENTS = {
  google: { clientId: "gatehouse-dev-google", clientSecret: "dev-stand-in-not-a-secret" },
  github: { clientId: "gatehouse-dev-github", clientSecret: "dev-stand-in-not-a-secret" },
  stackoverflow: {
    clientId: "gatehouse-dev-stackoverflow",
    clientSecret: "dev-stand-in-not-a-secret",
    key: "gatehouse-dev-key",
  },
  // Telegram's client id is a bot's numeric id; no real bot has this one.
  telegram: { clientId: "1000000001", clientSecret: "dev-stand-in-not-a-secret" },
} as const;

/** The variables that turn on each real provider, as the development note lists them. */
export const PROVIDER_VARIABLES: Record<OAuthProviderId, readonly string[]> = {
  google: ["AUTH_GOOGLE_ID", "AUTH_GOOGLE_SECRET"],
  github: ["AUTH_GITHUB_ID", "AUTH_GITHUB_SECRET"],
  stackoverflow: ["AUTH_STACKOVERFLOW_ID", "AUTH_STACKOVERFLOW_SECRET", "AUTH_STACKOVERFLOW_KEY"],
  telegram: ["AUTH_TELEGRAM_ID", "AUTH_TELEGRAM_SECRET"],
};

/** How buttons name a stand-in: never just "Google", so nobody mistakes it for the real one. */
export const standInName = (name: string): string => `${name} (dev stand-in)`;
