// The development stand-ins' switch (AUTH_DEV_IDP_URL, lib/env.ts), what the pages say about
// it (providerSetupNote), and when `npm run dev` turns it on (scripts/dev-idp/plan.ts).
import { describe, expect, it } from "vitest";
import { STAND_IN_CLIENTS } from "@/lib/stand-ins";
import { authorizationOrigins, configuredProviders, providerSetupNote } from "@/lib/auth/providers";
import { parseSettings, SettingsError, type Env, type ParseOptions } from "@/lib/env";
import { connectsAlertsAtSignIn } from "@/lib/telegram/sign-in-alerts";
import { planStandIns, standInClients } from "@/scripts/dev-idp/plan";

const devSecret = () => "d".repeat(43);
const standIn = "http://127.0.0.1:4997";

function problemsOf(env: Env, options: ParseOptions = {}): string[] {
  try {
    parseSettings(env, { devSecret, ...options });
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  throw new Error("expected parseSettings to throw");
}

describe("AUTH_DEV_IDP_URL in development", () => {
  it("plays every provider with the stand-in clients, labelled as stand-ins", () => {
    const settings = parseSettings(
      { AUTH_DEV_IDP_URL: standIn },
      { devSecret, builtFor: "development" },
    );
    expect(settings.auth.standIns).toBe(true);
    expect(settings.auth.localIdpUrl).toBe(standIn);
    expect(settings.auth.google).toEqual(STAND_IN_CLIENTS.google);
    expect(settings.auth.stackOverflow).toEqual(STAND_IN_CLIENTS.stackoverflow);
    expect(settings.auth.telegram).toEqual(STAND_IN_CLIENTS.telegram);
    expect(configuredProviders(settings.auth).map((p) => p.name)).toEqual([
      "Google (dev stand-in)",
      "GitHub (dev stand-in)",
      "Stack Overflow (dev stand-in)",
      "Telegram (dev stand-in)",
    ]);
    // The sign-in form may redirect to the stand-in, and nowhere else.
    expect(authorizationOrigins(settings.auth)).toEqual([standIn]);
  });

  it("is not on unless npm run dev sets it", () => {
    const settings = parseSettings({}, { devSecret, builtFor: "development" });
    expect(settings.auth.standIns).toBe(false);
    expect(configuredProviders(settings.auth)).toEqual([]);
  });
});

describe("AUTH_DEV_IDP_URL is refused", () => {
  const production = {
    NODE_ENV: "production",
    APP_URL: "http://localhost:3000",
    AUTH_SECRET: "s".repeat(44),
    GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION: "1",
    SMTP_URL: "smtp://127.0.0.1:2525",
    EMAIL_FROM: "no-reply@example.com",
  };

  it("under NODE_ENV=production, even on loopback", () => {
    expect(problemsOf({ ...production, AUTH_DEV_IDP_URL: standIn })).toEqual([
      "AUTH_DEV_IDP_URL: development only — refused with NODE_ENV=production and in a production build",
    ]);
  });

  it("under NODE_ENV=test", () => {
    expect(problemsOf({ NODE_ENV: "test", AUTH_DEV_IDP_URL: standIn })).toHaveLength(1);
  });

  it("in a production build started with NODE_ENV=development", () => {
    // getSettings passes the build's own NODE_ENV, which Next compiles in as "production".
    expect(
      problemsOf(
        { NODE_ENV: "development", AUTH_DEV_IDP_URL: standIn },
        { builtFor: "production" },
      ),
    ).toEqual([
      "AUTH_DEV_IDP_URL: development only — refused with NODE_ENV=development and in a production build",
    ]);
  });

  it("unless both the app and the stand-in are on loopback", () => {
    const message =
      "AUTH_DEV_IDP_URL: development only — it and APP_URL must both be loopback addresses";
    expect(
      problemsOf({ APP_URL: "https://gatehouse.example.com", AUTH_DEV_IDP_URL: standIn }),
    ).toEqual([message]);
    expect(problemsOf({ AUTH_DEV_IDP_URL: "http://idp.example.com:4997" })).toEqual([message]);
  });

  it("next to a real provider or the tests' fake", () => {
    const google = { AUTH_GOOGLE_ID: "g", AUTH_GOOGLE_SECRET: "g" };
    expect(problemsOf({ ...google, AUTH_DEV_IDP_URL: standIn })).toHaveLength(1);
    expect(
      problemsOf({ AUTH_TEST_IDP_URL: "http://127.0.0.1:4999", AUTH_DEV_IDP_URL: standIn }),
    ).toHaveLength(1);
  });
});

describe("providerSetupNote", () => {
  it("names the stand-ins and every variable that turns on a real provider", () => {
    const settings = parseSettings({ AUTH_DEV_IDP_URL: standIn }, { devSecret });
    const note = providerSetupNote(settings);
    expect(note?.standIns).toBe(true);
    expect(note?.missing.flatMap((p) => p.variables)).toEqual([
      "AUTH_GOOGLE_ID",
      "AUTH_GOOGLE_SECRET",
      "AUTH_GITHUB_ID",
      "AUTH_GITHUB_SECRET",
      "AUTH_STACKOVERFLOW_ID",
      "AUTH_STACKOVERFLOW_SECRET",
      "AUTH_STACKOVERFLOW_KEY",
      "AUTH_TELEGRAM_ID",
      "AUTH_TELEGRAM_SECRET",
    ]);
  });

  it("lists only the providers still missing", () => {
    const settings = parseSettings({ AUTH_GITHUB_ID: "h", AUTH_GITHUB_SECRET: "h" }, { devSecret });
    expect(providerSetupNote(settings)?.missing.map((p) => p.id)).toEqual([
      "google",
      "stackoverflow",
      "telegram",
    ]);
  });

  it("is never shown in production or tests", () => {
    const production = parseSettings(
      {
        NODE_ENV: "production",
        APP_URL: "https://gatehouse.example.com",
        AUTH_SECRET: "s".repeat(44),
        GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION: "1",
        SMTP_URL: "smtp://127.0.0.1:2525",
        EMAIL_FROM: "no-reply@example.com",
      },
      { devSecret },
    );
    expect(providerSetupNote(production)).toBeNull();
    expect(providerSetupNote(parseSettings({ NODE_ENV: "test" }, { devSecret }))).toBeNull();
  });
});

describe("npm run dev's plan", () => {
  it("starts the stand-ins on a first run, registered for the app's callback URLs", () => {
    const plan = planStandIns({ APP_URL: "http://127.0.0.1:3005" });
    expect(plan).toEqual({ start: true, appUrl: "http://localhost:3005" });
    expect(standInClients("http://localhost:3005").github?.redirectUri).toBe(
      "http://localhost:3005/api/auth/callback/github",
    );
  });

  it("leaves them off when a provider is configured, the origin is not local, or settings are bad", () => {
    expect(planStandIns({ AUTH_GITHUB_ID: "h", AUTH_GITHUB_SECRET: "h" })).toMatchObject({
      start: false,
      reason: "a real provider is configured",
    });
    expect(planStandIns({ APP_URL: "https://dev.example.com" })).toMatchObject({ start: false });
    expect(planStandIns({ AUTH_GOOGLE_ID: "only half a pair" })).toMatchObject({ start: false });
    expect(planStandIns({ AUTH_TEST_IDP_URL: "http://127.0.0.1:4999" })).toMatchObject({
      start: false,
    });
  });
});

describe("Telegram sign-in with the stand-ins", () => {
  const bot = {
    TELEGRAM_BOT_TOKEN: `123456:${"A".repeat(35)}`,
    TELEGRAM_BOT_USERNAME: "gatehouse_dev_bot",
    TELEGRAM_WEBHOOK_SECRET: "s".repeat(32),
  };

  it("never connects alerts: the stand-in's user ids are made up, the bot may be real", () => {
    const withStandIns = parseSettings(
      { ...bot, AUTH_DEV_IDP_URL: standIn },
      { devSecret, builtFor: "development" },
    );
    expect(withStandIns.auth.telegram).toEqual(STAND_IN_CLIENTS.telegram);
    expect(connectsAlertsAtSignIn(withStandIns)).toBe(false);
    const real = parseSettings(
      { ...bot, AUTH_TELEGRAM_ID: "123456", AUTH_TELEGRAM_SECRET: "x" },
      { devSecret },
    );
    expect(connectsAlertsAtSignIn(real)).toBe(true);
    // No bot, no alerts to connect.
    const botless = parseSettings(
      { AUTH_TELEGRAM_ID: "123456", AUTH_TELEGRAM_SECRET: "x" },
      {
        devSecret,
      },
    );
    expect(connectsAlertsAtSignIn(botless)).toBe(false);
  });
});
