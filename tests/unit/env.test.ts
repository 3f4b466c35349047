import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseSettings, SettingsError, variableNames, type Env } from "@/lib/env";

import { devSecret, problemsOf } from "@/tests/support/settings";

const production: Env = {
  NODE_ENV: "production",
  APP_URL: "https://gatehouse.example.com",
  AUTH_SECRET: "s".repeat(44),
  DATABASE_URL: "postgres://app:pw@db.internal:5432/gatehouse",
  REDIS_URL: "redis://cache.internal:6379",
  SMTP_URL: "smtps://mailer:pw@smtp.example.com:465",
  EMAIL_FROM: "Gatehouse <no-reply@example.com>",
};

describe("settings in development", () => {
  it("has a working default for every variable", () => {
    const settings = parseSettings({}, { devSecret });
    expect(settings.nodeEnv).toBe("development");
    expect(settings.appUrl).toBe("http://localhost:3000");
    expect(settings.database).toEqual({ kind: "pglite", dataDir: ".data/pglite" });
    expect(settings.redis).toEqual({ kind: "memory" });
    expect(settings.auth.secret).toBe(devSecret());
    expect(settings.auth.secretIsGenerated).toBe(true);
    expect(settings.migrateOnStart).toBe(true);
    expect(settings.auth.google).toBeNull();
    expect(settings.telegram).toBeNull();
    expect(settings.rateLimits.global).toEqual({ limit: 300, windowMs: 60_000 });
    expect(settings.rateLimits.signInDevice).toEqual({ limit: 10, windowMs: 900_000 });
    expect(settings.rateLimits.timeoutMs).toBe(50);
    expect(settings.auth.deviceCookieMaxAgeSeconds).toBe(365 * 86_400);
  });

  it("lets the default APP_URL follow PORT, and an explicit APP_URL win", () => {
    expect(parseSettings({ PORT: "3001" }, { devSecret }).appUrl).toBe("http://localhost:3001");
    expect(
      parseSettings({ PORT: "3001", APP_URL: "http://127.0.0.1:4000" }, { devSecret }).appUrl,
    ).toBe("http://localhost:4000");
    expect(problemsOf({ PORT: "70000" })).toEqual(["PORT: must be at most 65535"]);
  });

  it("treats empty values as unset", () => {
    const settings = parseSettings({ DATABASE_URL: "", REDIS_URL: "  " }, { devSecret });
    expect(settings.database.kind).toBe("pglite");
    expect(settings.redis.kind).toBe("memory");
  });

  describe("the generated AUTH_SECRET", () => {
    let dir: string;
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("is created once in the data folder, private, and reused", () => {
      dir = mkdtempSync(join(tmpdir(), "gatehouse-env-"));
      const first = parseSettings({ GATEHOUSE_DATA_DIR: dir });
      const second = parseSettings({ GATEHOUSE_DATA_DIR: dir });
      expect(first.auth.secret.length).toBeGreaterThanOrEqual(32);
      expect(second.auth.secret).toBe(first.auth.secret);
      const file = join(dir, "dev-auth-secret");
      expect(readFileSync(file, "utf8").trim()).toBe(first.auth.secret);
      expect(statSync(file).mode & 0o077).toBe(0);
    });
  });
});

describe("settings in production", () => {
  it("parses a complete configuration", () => {
    const settings = parseSettings({
      ...production,
      DATABASE_POOL_MAX: "25",
      AUTH_GITHUB_ID: "gh-id",
      AUTH_GITHUB_SECRET: "gh-secret",
      RATE_LIMIT_SIGN_IN_ACCOUNT: "5/15m",
      RATE_LIMIT_SIGN_IN_DEVICE: "3/10m",
      DEVICE_COOKIE_MAX_AGE_DAYS: "90",
      TRUSTED_PROXIES: "10.0.0.0/8, 192.168.1.1, 2001:db8::/32, fd00::7, ::ffff:10.0.0.0/104",
    });
    expect(settings.isProduction).toBe(true);
    expect(settings.database).toMatchObject({ kind: "postgres", poolMax: 25 });
    expect(settings.redis).toMatchObject({ kind: "ioredis", url: production.REDIS_URL });
    expect(settings.auth.github).toEqual({ clientId: "gh-id", clientSecret: "gh-secret" });
    expect(settings.auth.secretIsGenerated).toBe(false);
    expect(settings.migrateOnStart).toBe(false);
    expect(settings.rateLimits.signInAccount).toEqual({ limit: 5, windowMs: 900_000 });
    expect(settings.rateLimits.signInDevice).toEqual({ limit: 3, windowMs: 600_000 });
    expect(settings.auth.deviceCookieMaxAgeSeconds).toBe(90 * 86_400);
    expect(settings.rateLimits.trustedProxies).toEqual([
      "10.0.0.0/8",
      "192.168.1.1",
      "2001:db8::/32",
      "fd00::7",
      "::ffff:10.0.0.0/104",
    ]);
    expect(settings.logLevel).toBe("info");
    expect(settings.logFormat).toBeNull();
  });

  it("takes LOG_FORMAT json or pretty, and nothing else", () => {
    expect(parseSettings({ ...production, LOG_FORMAT: "pretty" }).logFormat).toBe("pretty");
    expect(parseSettings({ ...production, LOG_FORMAT: "json" }).logFormat).toBe("json");
    expect(problemsOf({ ...production, LOG_FORMAT: "text" })).toEqual([
      expect.stringContaining("LOG_FORMAT"),
    ]);
  });

  it("never generates a secret", () => {
    const { AUTH_SECRET: _omit, ...withoutSecret } = production;
    let generated = false;
    expect(() =>
      parseSettings(withoutSecret, {
        devSecret: () => {
          generated = true;
          return devSecret();
        },
      }),
    ).toThrow(SettingsError);
    expect(generated).toBe(false);
  });

  it("lists every missing variable in one message", () => {
    const problems = problemsOf({ NODE_ENV: "production" });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AUTH_SECRET: required in production/),
        expect.stringMatching(/^APP_URL: required in production/),
        expect.stringMatching(/^DATABASE_URL: required in production/),
        expect.stringMatching(/^REDIS_URL: required in production/),
        expect.stringMatching(/^SMTP_URL: required in production while password sign-in is on/),
        expect.stringMatching(/^EMAIL_FROM: required in production/),
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  it("lists malformed and missing variables together, each with why", () => {
    let message = "";
    try {
      parseSettings(
        {
          NODE_ENV: "production",
          APP_URL: "not a url",
          AUTH_SECRET: "short",
          DATABASE_URL: "mysql://db/app",
          REDIS_URL: "http://cache",
          DATABASE_POOL_MAX: "lots",
          RATE_LIMIT_GLOBAL: "fast",
          TRUSTED_PROXIES: "10.0.0.0/99",
          AUTH_GOOGLE_ID: "only-the-id",
          TELEGRAM_WEBHOOK_SECRET: "has spaces in it!",
          SMTP_URL: "smtps://mailer:pw@smtp.example.com:465",
          EMAIL_FROM: "Gatehouse <no-reply@example.com>",
        },
        { devSecret },
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Gatehouse cannot start: 10 invalid settings\./);
    for (const line of [
      "APP_URL: must be an http(s) URL",
      "AUTH_SECRET: must be at least 32 characters",
      "DATABASE_URL: must be a postgres:// or postgresql:// URL",
      "REDIS_URL: must be a redis:// or rediss:// URL",
      "DATABASE_POOL_MAX: must be a whole number",
      'RATE_LIMIT_GLOBAL: must look like "120/60s"',
      'TRUSTED_PROXIES: "10.0.0.0/99": the prefix length of an IPv4 range is 0–32',
      "AUTH_GOOGLE_SECRET: required when AUTH_GOOGLE_ID is set",
      "TELEGRAM_WEBHOOK_SECRET: must be 16–256 characters",
      "TELEGRAM_BOT_TOKEN: required when TELEGRAM_WEBHOOK_SECRET is set",
    ]) {
      expect(message).toContain(line);
    }
    // A malformed-but-present variable is reported once, as malformed, not also as missing.
    expect(message).not.toContain("DATABASE_URL: required");
  });

  it("accepts Upstash instead of REDIS_URL, but not both", () => {
    const { REDIS_URL: _omit, ...withoutRedis } = production;
    const upstash = {
      UPSTASH_REDIS_REST_URL: "https://eu1.upstash.example",
      UPSTASH_REDIS_REST_TOKEN: "tok",
    };
    expect(parseSettings({ ...withoutRedis, ...upstash }).redis).toEqual({
      kind: "upstash",
      url: upstash.UPSTASH_REDIS_REST_URL,
      token: "tok",
      commandTimeoutMs: 1_000,
    });
    expect(problemsOf({ ...production, ...upstash })).toEqual([
      "REDIS_URL: set either REDIS_URL or UPSTASH_REDIS_REST_URL, not both",
    ]);
  });

  it("takes RabbitMQ only as an amqp(s):// URL beside a shared DATABASE_URL", () => {
    expect(parseSettings(production).queue).toBeNull();
    const amqp = "amqps://gatehouse:s3cret@mq.example.com:5671/prod";
    expect(parseSettings({ ...production, AMQP_URL: amqp }).queue).toEqual({
      url: amqp,
      prefetch: 10,
    });
    expect(parseSettings({ ...production, AMQP_URL: amqp, WORKER_PREFETCH: "3" }).queue).toEqual({
      url: amqp,
      prefetch: 3,
    });
    expect(problemsOf({ ...production, AMQP_URL: "http://mq.example.com" })).toEqual([
      "AMQP_URL: must be an amqp:// or amqps:// URL",
    ]);
    expect(problemsOf({ ...production, AMQP_URL: amqp, WORKER_PREFETCH: "0" })).toHaveLength(1);
    // The embedded database is this process's own files: a worker could not reach it.
    const { DATABASE_URL: _omit, ...withoutDatabase } = production;
    expect(
      problemsOf({
        ...withoutDatabase,
        GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION: "true",
        AMQP_URL: amqp,
      }),
    ).toEqual(["AMQP_URL: needs DATABASE_URL (the worker shares the web process's database)"]);
  });

  it("allows the embedded backends only when asked explicitly", () => {
    const settings = parseSettings({
      NODE_ENV: "production",
      APP_URL: "http://127.0.0.1:3000",
      AUTH_SECRET: "s".repeat(44),
      GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION: "1",
      AUTH_PASSWORD_ENABLED: "false",
    });
    expect(settings.database.kind).toBe("pglite");
    expect(settings.redis.kind).toBe("memory");
  });

  it("rejects values out of range", () => {
    expect(problemsOf({ ...production, RATE_LIMIT_TIMEOUT_MS: "0" })).toEqual([
      "RATE_LIMIT_TIMEOUT_MS: must be at least 5",
    ]);
    expect(problemsOf({ ...production, MIGRATE_ON_START: "maybe" })).toEqual([
      "MIGRATE_ON_START: must be true/false, 1/0, yes/no or on/off",
    ]);
    // Browsers cap a cookie's lifetime at 400 days.
    expect(problemsOf({ ...production, DEVICE_COOKIE_MAX_AGE_DAYS: "401" })).toEqual([
      "DEVICE_COOKIE_MAX_AGE_DAYS: must be at most 400",
    ]);
  });
});

describe("emailed links and the mail limits", () => {
  it("default to 24 h, 30 min and 24 h, and 3 mails per address and 10 per IP in 15 min", () => {
    const settings = parseSettings({}, { devSecret });
    expect(settings.emailTokens.lifetimeSeconds).toEqual({
      VERIFY_EMAIL: 86_400,
      RESET_PASSWORD: 1_800,
      CHANGE_EMAIL: 86_400,
    });
    expect(settings.rateLimits.mailAddress).toEqual({ limit: 3, windowMs: 900_000 });
    expect(settings.rateLimits.mailIp).toEqual({ limit: 10, windowMs: 900_000 });
  });

  it("take each lifetime in its own unit", () => {
    const settings = parseSettings(
      {
        EMAIL_VERIFY_TTL_HOURS: "48",
        PASSWORD_RESET_TTL_MINUTES: "15",
        EMAIL_CHANGE_TTL_HOURS: "2",
      },
      { devSecret },
    );
    expect(settings.emailTokens.lifetimeSeconds).toEqual({
      VERIFY_EMAIL: 48 * 3_600,
      RESET_PASSWORD: 15 * 60,
      CHANGE_EMAIL: 2 * 3_600,
    });
  });

  it("refuse lifetimes out of bounds and malformed limits, naming each", () => {
    expect(
      problemsOf({
        ...production,
        EMAIL_VERIFY_TTL_HOURS: "0",
        PASSWORD_RESET_TTL_MINUTES: "600",
        EMAIL_CHANGE_TTL_HOURS: "1.5",
        RATE_LIMIT_MAIL_ADDRESS: "3 per hour",
        RATE_LIMIT_MAIL_IP: "0/15m",
      }),
    ).toEqual([
      "EMAIL_VERIFY_TTL_HOURS: must be at least 1",
      "PASSWORD_RESET_TTL_MINUTES: must be at most 240",
      "EMAIL_CHANGE_TTL_HOURS: must be a whole number",
      'RATE_LIMIT_MAIL_ADDRESS: must look like "120/60s" (requests / window)',
      "RATE_LIMIT_MAIL_IP: needs at least 1 request and a window of 1s or more",
    ]);
    expect(problemsOf({ ...production, PASSWORD_RESET_TTL_MINUTES: "4" })).toEqual([
      "PASSWORD_RESET_TTL_MINUTES: must be at least 5",
    ]);
    expect(problemsOf({ ...production, EMAIL_VERIFY_TTL_HOURS: "169" })).toEqual([
      "EMAIL_VERIFY_TTL_HOURS: must be at most 168",
    ]);
  });
});

describe("passkeys", () => {
  it("give a ceremony 5 minutes by default, and take 30 s to 15 min", () => {
    expect(parseSettings({}, { devSecret }).auth.passkeyChallengeTtlSeconds).toBe(300);
    expect(
      parseSettings({ PASSKEY_CHALLENGE_TTL_SECONDS: "120" }, { devSecret }).auth
        .passkeyChallengeTtlSeconds,
    ).toBe(120);
    expect(problemsOf({ PASSKEY_CHALLENGE_TTL_SECONDS: "29" })).toEqual([
      "PASSKEY_CHALLENGE_TTL_SECONDS: must be at least 30",
    ]);
    expect(problemsOf({ PASSKEY_CHALLENGE_TTL_SECONDS: "901" })).toEqual([
      "PASSKEY_CHALLENGE_TTL_SECONDS: must be at most 900",
    ]);
  });
});

describe("METRICS_TOKEN", () => {
  const token = "0123456789abcdef0123456789abcdef";

  it("is off unless set, in development and in production", () => {
    expect(parseSettings({}, { devSecret }).metrics.token).toBeNull();
    expect(parseSettings(production).metrics.token).toBeNull();
    expect(parseSettings({ ...production, METRICS_TOKEN: "" }).metrics.token).toBeNull();
  });

  it("takes a bearer token of 32 characters or more", () => {
    expect(parseSettings({ ...production, METRICS_TOKEN: token }).metrics.token).toBe(token);
    const base64 = "Zm9vYmFyYmF6cXV1eC1tZXRyaWNzLXRva2VuLTEyMw+/==";
    expect(parseSettings({ ...production, METRICS_TOKEN: base64 }).metrics.token).toBe(base64);
  });

  it("refuses one that is too short, or that a header could not carry as it is", () => {
    expect(problemsOf({ ...production, METRICS_TOKEN: token.slice(1) })).toEqual([
      "METRICS_TOKEN: must be at least 32 characters (openssl rand -hex 32)",
    ]);
    for (const value of [`${token} x`, `${token}"`, `${token},x`, `=${token}`]) {
      expect(problemsOf({ ...production, METRICS_TOKEN: value })).toEqual([
        "METRICS_TOKEN: must be a bearer token: letters, digits and - . _ ~ + /",
      ]);
    }
  });

  it("never shows the token in the message refusing it", () => {
    const secret = "short-but-secret-value";
    expect(problemsOf({ ...production, METRICS_TOKEN: secret }).join("\n")).not.toContain(secret);
  });
});

describe("TRUSTED_PROXIES", () => {
  const trusted = (value: string) => problemsOf({ ...production, TRUSTED_PROXIES: value });

  it("accepts IPv4 and IPv6 addresses and ranges, and IPv4-mapped ones", () => {
    const value =
      "203.0.113.7, 10.0.0.0/8, 2001:db8::/32, 2001:DB8:0::1, ::1, ::/0, ::ffff:10.0.0.1";
    const settings = parseSettings({ ...production, TRUSTED_PROXIES: value }, { devSecret });
    expect(settings.rateLimits.trustedProxies).toEqual(value.split(", "));
  });

  it("names every bad entry with what is wrong with it", () => {
    expect(
      trusted(
        "10.0.0.0/33, 2001:db8::/129, 2001:db8::/x, fe80::1%eth0, 10.0.0/8, ::ffff:10.0.0.0/8",
      ),
    ).toEqual([
      "TRUSTED_PROXIES: " +
        [
          '"10.0.0.0/33": the prefix length of an IPv4 range is 0–32',
          '"2001:db8::/129": the prefix length of an IPv6 range is 0–128',
          '"2001:db8::/x": the prefix length of an IPv6 range is 0–128',
          '"fe80::1%eth0": zone ids (%…) are not allowed: name the address alone',
          '"10.0.0/8": not an IP address or CIDR range',
          '"::ffff:10.0.0.0/8": an IPv4-mapped range needs a prefix length of 96–128 ' +
            "(96 + the IPv4 one); did you mean 10.0.0.0/8?",
        ].join("; "),
    ]);
    expect(trusted("2001:db8::1/32/1, 1:2:3:4:5:6:7:8:9")).toEqual([
      'TRUSTED_PROXIES: "2001:db8::1/32/1": not an IP address or CIDR range; ' +
        '"1:2:3:4:5:6:7:8:9": not an IP address or CIDR range',
    ]);
  });
});

describe("OpenTelemetry traces", () => {
  it("are off unless an endpoint is set, and OTEL_SDK_DISABLED keeps them off", () => {
    expect(parseSettings({}, { devSecret }).tracing).toBeNull();
    expect(parseSettings(production).tracing).toBeNull();
    expect(
      parseSettings({
        ...production,
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_SDK_DISABLED: "true",
      }).tracing,
    ).toBeNull();
  });

  it("send to <endpoint>/v1/traces over http/protobuf by default, as service gatehouse", () => {
    expect(
      parseSettings({ ...production, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })
        .tracing,
    ).toEqual({
      url: "http://collector:4318/v1/traces",
      protocol: "http/protobuf",
      headers: {},
      serviceName: "gatehouse",
      onVercel: false,
    });
  });

  it("take the traces URL whole, JSON, headers and a service name when given", () => {
    const tracing = parseSettings({
      ...production,
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://ignored:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otlp.example.com/api/traces",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc%3D%3D, X-Team = blue",
      OTEL_SERVICE_NAME: "gatehouse-eu",
    }).tracing;
    expect(tracing).toEqual({
      url: "https://otlp.example.com/api/traces",
      protocol: "http/json",
      headers: { "x-api-key": "abc==", "x-team": "blue" },
      serviceName: "gatehouse-eu",
      onVercel: false,
    });
  });

  it("refuse gRPC, a URL that is not http(s), and headers that are not name=value pairs", () => {
    expect(problemsOf({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toEqual([
      "OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json (gRPC is not supported: use the collector's OTLP/HTTP port, 4318)",
    ]);
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" })).toEqual([
      "OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL, e.g. https://example.com",
    ]);
    const secret = "key-that-must-not-be-echoed";
    for (const headers of [
      secret,
      `=${secret}`,
      `a b=${secret}`,
      `x=${secret}%0d%0aInjected: 1`,
      "x=%E0%A4%A",
    ]) {
      const problems = problemsOf({ OTEL_EXPORTER_OTLP_HEADERS: headers });
      expect(problems).toEqual([
        'OTEL_EXPORTER_OTLP_HEADERS: must look like "name=value,name2=value2"',
      ]);
      expect(problems.join()).not.toContain(secret);
    }
  });
});

describe(".env.example", () => {
  it("documents every variable lib/env.ts reads, and nothing else", () => {
    const text = readFileSync(join(import.meta.dirname, "..", "..", ".env.example"), "utf8");
    const documented = [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    // Set by the platform, not by people: NODE_ENV by Next, VERCEL by Vercel, the peer
    // secret by server.mjs, the development stand-ins' URL by `npm run dev` (scripts/dev.ts).
    const platform = new Set(["NODE_ENV", "VERCEL", "GATEHOUSE_PEER_SECRET", "AUTH_DEV_IDP_URL"]);
    const expected = variableNames.filter((name) => !platform.has(name));
    expect([...documented].sort()).toEqual([...expected].sort());
  });
});

describe("the test-only identity provider override", () => {
  it("is accepted on loopback for tests", () => {
    const settings = parseSettings(
      { AUTH_TEST_IDP_URL: "http://127.0.0.1:4999", APP_URL: "http://127.0.0.1:3000" },
      { devSecret },
    );
    expect(settings.auth.localIdpUrl).toBe("http://127.0.0.1:4999");
  });

  it("cannot be switched on for a deployment with a real domain", () => {
    expect(problemsOf({ ...production, AUTH_TEST_IDP_URL: "http://127.0.0.1:4999" })).toEqual([
      "AUTH_TEST_IDP_URL: only for tests — it and APP_URL must both be loopback addresses",
    ]);
    expect(
      problemsOf({ APP_URL: "http://localhost:3000", AUTH_TEST_IDP_URL: "https://idp.example" }),
    ).toHaveLength(1);
  });
});

describe("the test-only Bot API override", () => {
  const bot = {
    TELEGRAM_BOT_TOKEN: `123456:${"A".repeat(35)}`,
    TELEGRAM_BOT_USERNAME: "gatehouse_bot",
    TELEGRAM_WEBHOOK_SECRET: "s".repeat(32),
  };

  it("defaults to Telegram and is accepted on loopback for tests", () => {
    expect(parseSettings(bot, { devSecret }).telegram?.apiRoot).toBe("https://api.telegram.org");
    const settings = parseSettings(
      { ...bot, TELEGRAM_TEST_API_URL: "http://127.0.0.1:4998", APP_URL: "http://127.0.0.1:3000" },
      { devSecret },
    );
    expect(settings.telegram?.apiRoot).toBe("http://127.0.0.1:4998");
  });

  it("cannot be switched on for a deployment with a real domain", () => {
    expect(
      problemsOf({ ...production, ...bot, TELEGRAM_TEST_API_URL: "http://127.0.0.1:4998" }),
    ).toEqual([
      "TELEGRAM_TEST_API_URL: only for tests — it and APP_URL must both be loopback addresses",
    ]);
    expect(
      problemsOf({
        ...bot,
        APP_URL: "http://localhost:3000",
        TELEGRAM_TEST_API_URL: "https://x.example",
      }),
    ).toHaveLength(1);
  });
});

describe("APP_URL", () => {
  it("names a loopback IP the way Next does (localhost), so OAuth redirect_uris agree", () => {
    expect(parseSettings({ APP_URL: "http://127.0.0.1:3000/" }, { devSecret }).appUrl).toBe(
      "http://localhost:3000",
    );
    expect(parseSettings({ APP_URL: "https://gatehouse.example" }, { devSecret }).appUrl).toBe(
      "https://gatehouse.example",
    );
  });
});

describe("sign in with Telegram", () => {
  const bot = {
    TELEGRAM_BOT_TOKEN: `123456:${"A".repeat(35)}`,
    TELEGRAM_BOT_USERNAME: "gatehouse_bot",
    TELEGRAM_WEBHOOK_SECRET: "s".repeat(32),
  };

  it("needs the client id and secret together, and the id is a bot's number", () => {
    expect(problemsOf({ AUTH_TELEGRAM_ID: "123456" })).toEqual([
      "AUTH_TELEGRAM_SECRET: required when AUTH_TELEGRAM_ID is set",
    ]);
    expect(problemsOf({ AUTH_TELEGRAM_ID: "@gatehouse_bot", AUTH_TELEGRAM_SECRET: "x" })).toEqual([
      expect.stringMatching(/^AUTH_TELEGRAM_ID: must be the bot's numeric id/),
    ]);
    const settings = parseSettings(
      { AUTH_TELEGRAM_ID: "123456", AUTH_TELEGRAM_SECRET: "x" },
      { devSecret },
    );
    expect(settings.auth.telegram).toEqual({ clientId: "123456", clientSecret: "x" });
  });

  it("must be the alerts bot when there is one: sign-in connects that bot's chat", () => {
    expect(problemsOf({ ...bot, AUTH_TELEGRAM_ID: "654321", AUTH_TELEGRAM_SECRET: "x" })).toEqual([
      "AUTH_TELEGRAM_ID: must be the id of the bot in TELEGRAM_BOT_TOKEN (123456, the digits before its colon) — sign-in with Telegram connects that bot's alerts",
    ]);
    const same = parseSettings(
      { ...bot, AUTH_TELEGRAM_ID: "123456", AUTH_TELEGRAM_SECRET: "x" },
      { devSecret },
    );
    expect(same.auth.telegram?.clientId).toBe("123456");
  });
});
