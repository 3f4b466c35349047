// compose.yaml and the Dockerfile, read as Compose and Docker read them (no Docker engine
// runs here; e2e/container.test.ts runs what the image runs): the settings Compose hands
// Gatehouse pass the real settings parser in production, images are pinned, services start
// in the right order, the runtime stage is unprivileged and checks its own health.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import { parseSettings, variableNames } from "@/lib/env";
import {
  execForm,
  healthcheck,
  interpolate,
  InterpolationError,
  readCompose,
  readComposeRaw,
  readDockerfile,
  serviceEnvironment,
  type ComposeService,
} from "@/tests/support/container-files";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** What an operator puts in the env file: the variables compose.yaml insists on. */
const operatorVariables = {
  APP_URL: "https://auth.example.com",
  AUTH_SECRET: "c2FtcGxlLXNlY3JldC1mb3ItdGhlLWNvbXBvc2UtdGVzdA==",
  POSTGRES_PASSWORD: "0123456789abcdef0123456789abcdef",
  SMTP_URL: "smtps://mailer:mail-password@smtp.example.com:465",
  EMAIL_FROM: "Gatehouse <no-reply@example.com>",
};

/** The Gatehouse services: the web server, the one-shot migrations, the worker. */
const gatehouseServices = ["app", "migrate", "worker"] as const;

function service(
  name: string,
  variables: Record<string, string> = operatorVariables,
): ComposeService {
  const found = readCompose(variables).services[name];
  if (!found) throw new Error(`compose.yaml has no service ${name}`);
  return found;
}

/** Settings exactly as the service's process would parse them at start. */
function settingsOf(name: string, variables: Record<string, string> = operatorVariables) {
  return parseSettings(serviceEnvironment(service(name, variables)), {
    builtFor: "production",
    devSecret: () => {
      throw new Error("production must never generate a secret");
    },
  });
}

/** "name:tag" with a release number of at least major.minor: no latest, no bare major. */
const PINNED = /^[a-z0-9./_-]+:\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?$/;

describe("Compose interpolation (as this test reads compose.yaml)", () => {
  it("applies defaults, alternatives and nested references, and reports missing ones", () => {
    const variables = { SET: "yes", EMPTY: "", PASSWORD: "pw" };
    expect(interpolate("${UNSET:-fallback}/${EMPTY:-e}/${EMPTY-kept}", variables)).toBe(
      "fallback/e/",
    );
    expect(interpolate("${PASSWORD:+amqp://u:${PASSWORD}@h}|${UNSET:+x}", variables)).toBe(
      "amqp://u:pw@h|",
    );
    expect(interpolate("$$SET $SET ${SET}", variables)).toBe("$SET yes yes");
    const missing: InterpolationError["missing"] = [];
    interpolate("${UNSET:?say why}${EMPTY:?empty too}${EMPTY?set is enough}", variables, missing);
    expect(missing).toEqual([
      { name: "UNSET", message: "say why" },
      { name: "EMPTY", message: "empty too" },
    ]);
  });
});

describe("compose.yaml", () => {
  it("stops with a message for each secret the operator has not set", () => {
    let error: unknown;
    try {
      readCompose({});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InterpolationError);
    const names = new Set((error as InterpolationError).missing.map((m) => m.name));
    expect([...names].sort()).toEqual(Object.keys(operatorVariables).sort());
  });

  it("writes no secret into the file: every password, secret and token is a variable", () => {
    for (const [name, raw] of Object.entries(readComposeRaw().services)) {
      for (const [key, value] of Object.entries(serviceEnvironment(raw))) {
        if (/PASSWORD|SECRET|TOKEN|_PASS$/.test(key)) {
          expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z_]+[:?+-]/);
        }
        // A URL written out with a password in it: the password part is a variable. (A value
        // that is one ${…} as a whole is the operator's, whatever its message shows.)
        if (!value.startsWith("${") && /:\/\/[^/@]*:[^@/]*@/.test(value)) {
          expect(value, `${name}.${key}`).toMatch(/:\/\/[^/:]*:\$\{[A-Z_]+/);
        }
      }
    }
  });

  it.each(gatehouseServices)(
    "%s: its environment passes Gatehouse's production settings check on PostgreSQL and Redis",
    (name) => {
      const settings = settingsOf(name);
      expect(settings.isProduction).toBe(true);
      expect(settings.appUrl).toBe("https://auth.example.com");
      expect(settings.auth.secret).toBe(operatorVariables.AUTH_SECRET);
      expect(settings.database).toMatchObject({
        kind: "postgres",
        url: `postgres://gatehouse:${operatorVariables.POSTGRES_PASSWORD}@postgres:5432/gatehouse`,
      });
      expect(settings.redis).toMatchObject({ kind: "ioredis", url: "redis://redis:6379" });
      expect(settings.mail).toMatchObject({ kind: "smtp", url: operatorVariables.SMTP_URL });
      // Production applies migrations in the migrate service, never at each start.
      expect(settings.migrateOnStart).toBe(false);
      expect(serviceEnvironment(service(name))).not.toHaveProperty(
        "GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION",
      );
    },
  );

  it("names only variables Gatehouse reads (a misspelt one would be ignored silently)", () => {
    for (const name of gatehouseServices) {
      for (const key of Object.keys(serviceEnvironment(service(name)))) {
        expect(variableNames, `${name}.${key}`).toContain(key);
      }
    }
  });

  it("gives the web server, the migrations and the worker the same settings", () => {
    const [app, ...others] = gatehouseServices.map((name) => serviceEnvironment(service(name)));
    for (const environment of others) expect(environment).toEqual(app);
  });

  it("turns the queue on for the web server and the worker with RABBITMQ_PASSWORD", () => {
    expect(settingsOf("app").queue).toBeNull();
    const withQueue = { ...operatorVariables, RABBITMQ_PASSWORD: "fedcba9876543210" };
    for (const name of ["app", "worker"]) {
      expect(settingsOf(name, withQueue).queue?.url).toBe(
        "amqp://gatehouse:fedcba9876543210@rabbitmq:5672",
      );
    }
    expect(serviceEnvironment(service("rabbitmq", withQueue))).toMatchObject({
      RABBITMQ_DEFAULT_USER: "gatehouse",
      RABBITMQ_DEFAULT_PASS: "fedcba9876543210",
    });
  });

  it("passes the optional settings through: a provider set in the env file reaches the app", () => {
    const settings = settingsOf("app", {
      ...operatorVariables,
      AUTH_GITHUB_ID: "github-client-id",
      AUTH_GITHUB_SECRET: "github-client-secret",
      TRUSTED_PROXIES: "10.0.0.0/8",
    });
    expect(settings.auth.github).toEqual({
      clientId: "github-client-id",
      clientSecret: "github-client-secret",
    });
    expect(settings.rateLimits.trustedProxies).toEqual(["10.0.0.0/8"]);
  });

  it("pins every image it pulls to an exact release", () => {
    for (const [name, definition] of Object.entries(readCompose(operatorVariables).services)) {
      if (definition.build !== undefined) continue;
      expect(definition.image, name).toMatch(PINNED);
    }
  });

  it("starts the app after the migrations succeeded and PostgreSQL and Redis are healthy", () => {
    expect(service("app").depends_on).toEqual({
      migrate: { condition: "service_completed_successfully" },
      postgres: { condition: "service_healthy" },
      redis: { condition: "service_healthy" },
    });
    expect(service("migrate").command).toEqual(["node", "dist/db-migrate.mjs"]);
    expect(service("migrate").depends_on).toEqual({ postgres: { condition: "service_healthy" } });
  });

  it("runs RabbitMQ and the worker only with the queue profile, the worker after the broker", () => {
    const services = readCompose(operatorVariables).services;
    for (const [name, definition] of Object.entries(services)) {
      const queued = name === "rabbitmq" || name === "worker";
      expect(definition.profiles ?? [], name).toEqual(queued ? ["queue"] : []);
    }
    expect(service("worker").command).toEqual(["node", "dist/worker.mjs"]);
    expect(service("worker").depends_on).toMatchObject({
      migrate: { condition: "service_completed_successfully" },
      rabbitmq: { condition: "service_healthy" },
    });
  });

  it.each(["postgres", "redis", "rabbitmq"])(
    "%s has a health check and keeps its data in a volume",
    (name) => {
      const definition = service(name);
      expect(definition.healthcheck?.disable).not.toBe(true);
      expect(
        Array.isArray(definition.healthcheck?.test) && definition.healthcheck.test.length > 1,
      ).toBe(true);
      const volume = definition.volumes?.[0]?.split(":")[0] ?? "";
      expect(Object.keys(readCompose(operatorVariables).volumes ?? {})).toContain(volume);
    },
  );

  it("runs the Gatehouse services from the Dockerfile's runtime stage, behind an init", () => {
    for (const name of gatehouseServices) {
      expect(service(name).build, name).toEqual({ context: ".", target: "runtime" });
      expect(service(name).init, name).toBe(true);
    }
  });
});

describe("Dockerfile", () => {
  const stages = readDockerfile();
  const runtime = stages.at(-1);
  const instructions = (keyword: string) =>
    (runtime?.instructions ?? []).filter((instruction) => instruction.keyword === keyword);

  it("builds from pinned images, on the Node release CI tests with", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const ciNode = /^node_pinned=(\S+)$/m.exec(readFileSync(join(root, ".ci", "run"), "utf8"))?.[1];
    for (const stage of stages) {
      expect(stage.from).toMatch(PINNED);
      expect(stage.from).toMatch(new RegExp(`^node:${(ciNode ?? "?").replaceAll(".", "\\.")}-`));
    }
  });

  it("ends in a stage named runtime, which compose.yaml targets", () => {
    expect(runtime?.name).toBe("runtime");
  });

  it("copies the runtime bundle that scripts/runtime-bundle.mjs writes in the build stage", () => {
    const build = stages.find((stage) => stage.name === "build");
    const bundle = build?.instructions.find(
      (i) => i.keyword === "RUN" && /^node scripts\/runtime-bundle\.mjs (\S+)$/.test(i.args),
    );
    const out = /(\S+)$/.exec(bundle?.args ?? "")?.[1];
    expect(out).toBeDefined();
    expect(instructions("COPY").map((i) => i.args)).toContain(`--from=build ${out}/ ./`);
  });

  it("runs as an unprivileged user", () => {
    const users = instructions("USER").map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it("starts `npm start`'s command itself, in exec form", () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const cmd = instructions("CMD").at(-1);
    expect(execForm(cmd?.args ?? "")).toEqual(scripts.start?.split(" "));
    // No ENTRYPOINT wrapping it in a shell.
    expect(instructions("ENTRYPOINT")).toEqual([]);
  });

  it("checks liveness with node (no curl in the slim image), in exec form", () => {
    const check = runtime ? healthcheck(runtime) : null;
    expect(check?.command?.slice(0, 2)).toEqual(["node", "-e"]);
    expect(check?.command?.[2]).toContain("/api/health/live");
    expect(Object.keys(check?.options ?? {})).toEqual(
      expect.arrayContaining(["interval", "timeout", "retries"]),
    );
  });

  it("keeps secrets and local data out of the build context (.dockerignore)", () => {
    const ignored = readFileSync(join(root, ".dockerignore"), "utf8")
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    expect(ignored).toEqual(
      expect.arrayContaining([".env", ".env.*", ".data", "node_modules", ".next", ".git"]),
    );
  });
});
