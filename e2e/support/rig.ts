// An app wired to a local fake identity provider that speaks Google, GitHub and Stack
// Exchange OAuth. The fake's clients must name the app's callback URLs, so the app's port
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
}

export async function startRig(options: RigOptions): Promise<Rig> {
  const port = await freePort();
  const appUrl = `http://localhost:${port}`;
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
