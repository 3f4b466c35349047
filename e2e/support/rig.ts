// An app wired to a local fake identity provider that speaks Google, GitHub, Stack
// Exchange OAuth and Telegram's OpenID Connect login. The fake's clients must name the app's callback URLs, so the app's port
// is chosen first, then the fake starts, then the app starts pointed at it.
import { startFakeIdp, type FakeIdp } from "@/scripts/dev-idp";

import {
  freePort,
  startEmbeddedApp,
  startPostgresApp,
  type AppServer,
  type ServerEnv,
} from "./server";

export interface Rig {
  app: AppServer;
  idp: FakeIdp;
  stop(): Promise<void>;
}

export interface RigOptions {
  backend: "embedded" | "postgres";
  /** Needed for the PostgreSQL backend (the global setup's servers). */
  servers?: { databaseUrl: string; redisUrl: string };
  /** Settings on top of the provider ones. */
  env?: ServerEnv;
  /**
   * Telegram's client id: a bot's numeric id. Default: the id of `env`'s TELEGRAM_BOT_TOKEN
   * (the app refuses two different bots), else the fake Bot API's default bot's.
   */
  telegramBotId?: string;
}

export async function startRig(options: RigOptions): Promise<Rig> {
  const port = await freePort();
  const appUrl = `http://localhost:${port}`;
  // Login and alerts are one bot: with a bot token in the settings, its id.
  const telegramBotId =
    options.telegramBotId ?? options.env?.TELEGRAM_BOT_TOKEN?.split(":")[0] ?? "424242";
  const client = (id: string) => ({
    clientId: `${id}-client`,
    clientSecret: `${id}-secret`,
    redirectUri: `${appUrl}/api/auth/callback/${id}`,
  });
  const idp = await startFakeIdp({
    clients: {
      google: client("google"),
      github: client("github"),
      stackoverflow: { ...client("stackoverflow"), key: "stack-key" },
      telegram: { ...client("telegram"), clientId: telegramBotId, botName: "Gatehouse Bot" },
    },
  });
  const env: ServerEnv = {
    AUTH_TEST_IDP_URL: idp.url,
    AUTH_GOOGLE_ID: "google-client",
    AUTH_GOOGLE_SECRET: "google-secret",
    AUTH_GITHUB_ID: "github-client",
    AUTH_GITHUB_SECRET: "github-secret",
    AUTH_STACKOVERFLOW_ID: "stackoverflow-client",
    AUTH_STACKOVERFLOW_SECRET: "stackoverflow-secret",
    AUTH_STACKOVERFLOW_KEY: "stack-key",
    AUTH_TELEGRAM_ID: telegramBotId,
    AUTH_TELEGRAM_SECRET: "telegram-secret",
    ...options.env,
  };
  try {
    let app: AppServer;
    if (options.backend === "postgres") {
      if (!options.servers) throw new Error("the PostgreSQL rig needs the test servers");
      app = await startPostgresApp(options.servers, env, port);
    } else {
      app = await startEmbeddedApp(env, port);
    }
    return {
      app,
      idp,
      async stop() {
        await app.stop();
        await idp.close();
      },
    };
  } catch (error) {
    await idp.close();
    throw error;
  }
}
