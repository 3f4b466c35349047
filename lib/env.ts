// Every setting Gatehouse reads, parsed once with zod. No other module reads process.env.
//
// Development (and tests) get a working default for everything: the embedded PGlite
// database, in-memory Redis, and an AUTH_SECRET generated once and kept in the
// git-ignored data folder so sessions survive restarts. Production refuses to start with
// a missing or malformed variable and lists every bad one in a single message.
//
// This module must stay importable from any runtime: no top-level Node imports (the dev
// secret file is read through process.getBuiltinModule, only when it is needed).
import { z } from "zod";

import { STAND_IN_CLIENTS } from "@/lib/stand-ins";
import { parseIpRange } from "@/lib/ip-range";

export type Env = Record<string, string | undefined>;

/** Thrown when settings are invalid; `problems` has one "NAME: why" line per variable. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Gatehouse cannot start: ${problems.length} invalid setting${problems.length === 1 ? "" : "s"}.\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        "\nSee .env.example for what each variable means.",
    );
    this.name = "SettingsError";
  }
}

// ---------------------------------------------------------------------------------------
// Field helpers

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const flag = z.stringbool({ error: "must be true/false, 1/0, yes/no or on/off" });

const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. https://example.com" })
  .transform((u) => u.replace(/\/+$/, ""));

const postgresUrl = z.url({
  protocol: /^postgres(ql)?$/,
  error: "must be a postgres:// or postgresql:// URL",
});

const redisUrl = z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" });

const amqpUrl = z.url({ protocol: /^amqps?$/, error: "must be an amqp:// or amqps:// URL" });

/** "N/window", e.g. "120/60s", "10/15m", "1000/1h" → { limit, windowMs }. */
const rateLimit = z.string().transform((value, ctx) => {
  const match = /^(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h)$/.exec(value.trim());
  const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
  if (!match) {
    ctx.addIssue({ code: "custom", message: 'must look like "120/60s" (requests / window)' });
    return z.NEVER;
  }
  const limit = Number(match[1]);
  const windowMs = Number(match[2]) * unitMs[match[3] as keyof typeof unitMs];
  if (limit < 1 || windowMs < 1_000) {
    ctx.addIssue({
      code: "custom",
      message: "needs at least 1 request and a window of 1s or more",
    });
    return z.NEVER;
  }
  return { limit, windowMs };
});

/**
 * Comma-separated IPv4/IPv6 addresses or CIDR ranges of proxies whose forwarding headers are
 * believed; every bad entry is named with its reason (lib/ip-range.ts).
 */
const ipList = z.string().transform((value, ctx) => {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const problems = items.flatMap((item) => {
    const parsed = parseIpRange(item);
    return parsed.ok ? [] : [parsed.problem];
  });
  if (problems.length > 0) {
    ctx.addIssue({ code: "custom", message: problems.join("; ") });
    return z.NEVER;
  }
  return items;
});

// ---- Mail (lib/mail) ----
// The SMTP URL carries the password: messages name the variable, never echo its value.
const smtpUrl = z
  .url({
    protocol: /^smtps?$/,
    error: "must be an smtp:// or smtps:// URL, e.g. smtps://user:pass@smtp.example.com:465",
  })
  .refine((u) => new URL(u).hostname !== "", "must name the SMTP server's host");

// "address@domain" or "Display Name <address@domain>"; no line breaks (header injection).
const EMAIL_FROM_PATTERN =
  /^(?:[^<>\r\n"]*\s*<[^<>\s@]+@[A-Za-z0-9.-]+>|[^<>\s@]+@[A-Za-z0-9.-]+)$/;
const emailFrom = z
  .string()
  .trim()
  .regex(
    EMAIL_FROM_PATTERN,
    'must be an address, e.g. no-reply@example.com or "Gatehouse <no-reply@example.com>"',
  );

/** EMAIL_FROM outside production when unset: the development mailbox does not care. */
const DEV_EMAIL_FROM = "Gatehouse <no-reply@localhost>";

// Telegram's webhook secret: 1–256 characters of A-Z a-z 0-9 _ - (Bot API setWebhook).
/** Telegram's Bot API. */
export const TELEGRAM_API_ROOT = "https://api.telegram.org";

const telegramSecret = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,256}$/, "must be 16–256 characters of A-Z, a-z, 0-9, _ and -");

// ---------------------------------------------------------------------------------------
// Durations that objects built without settings (tests, the bench) also fall back on, so
// each default is written once, here.

export const DURATION_DEFAULTS = {
  /** REDIS_COMMAND_TIMEOUT_MS. */
  redisCommandTimeoutMs: 1_000,
  /** RATE_LIMIT_TIMEOUT_MS. */
  rateLimitTimeoutMs: 50,
  /** TELEGRAM_WEBHOOK_ACK_BUDGET_MS. */
  telegramAckBudgetMs: 30,
  /** TELEGRAM_WEBHOOK_HANDLER_TIMEOUT_MS. */
  telegramHandlerTimeoutMs: 8_000,
  /** TELEGRAM_API_TIMEOUT_SECONDS. */
  telegramApiTimeoutSeconds: 10,
} as const;

// ---------------------------------------------------------------------------------------
// The variables. Each comment is what the variable is for; .env.example mirrors this list.

const variables = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),

  /** Public origin of the app, used for OAuth callbacks and links in Telegram messages.
   *  Outside production it defaults to http://localhost:$PORT. */
  APP_URL: httpUrl.optional(),
  /** The port `next dev` / `npm start` listen on (they read it themselves); here only the
   *  default APP_URL follows it, so `PORT=3001 npm run dev` needs nothing else. */
  PORT: int(1, 65_535).optional(),
  /** Encrypts session JWTs and signs CSRF tokens. At least 32 characters of randomness. */
  AUTH_SECRET: z
    .string()
    .min(32, "must be at least 32 characters (openssl rand -base64 32)")
    .optional(),

  /** Git-ignored folder for the embedded database and the generated dev secret. */
  GATEHOUSE_DATA_DIR: z.string().min(1).default(".data"),
  /** Run the embedded database / in-memory Redis under NODE_ENV=production (demos, e2e). */
  GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION: flag.default(false),

  /** Postgres connection string; unset → embedded PGlite in GATEHOUSE_DATA_DIR/pglite. */
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5_000),
  DATABASE_IDLE_TIMEOUT_MS: int(1_000, 600_000).default(10_000),
  DATABASE_STATEMENT_TIMEOUT_MS: int(100, 600_000).default(15_000),
  /** Embedded database folder; "memory://" keeps it in memory (tests). */
  PGLITE_DIR: z.string().min(1).optional(),
  /** Apply pending migrations at server start. Default: on in development, off in production. */
  MIGRATE_ON_START: flag.optional(),

  /** Self-hosted Redis (ioredis). Unset, and no Upstash → in-memory store (development). */
  REDIS_URL: redisUrl.optional(),
  REDIS_CONNECT_TIMEOUT_MS: int(50, 60_000).default(2_000),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000).default(DURATION_DEFAULTS.redisCommandTimeoutMs),
  REDIS_MAX_RECONNECT_ATTEMPTS: int(0, 1_000).default(10),
  /** Upstash Redis over REST (Vercel). Both or neither. */
  UPSTASH_REDIS_REST_URL: httpUrl.optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),

  /** OAuth apps. Each provider appears on the sign-in page only when both are set. */
  AUTH_GOOGLE_ID: z.string().min(1).optional(),
  AUTH_GOOGLE_SECRET: z.string().min(1).optional(),
  AUTH_GITHUB_ID: z.string().min(1).optional(),
  AUTH_GITHUB_SECRET: z.string().min(1).optional(),
  AUTH_STACKOVERFLOW_ID: z.string().min(1).optional(),
  AUTH_STACKOVERFLOW_SECRET: z.string().min(1).optional(),
  /** Stack Exchange app "key" (not secret): raises the API quota; required with the pair. */
  AUTH_STACKOVERFLOW_KEY: z.string().min(1).optional(),
  /**
   * Telegram's web login (OpenID Connect): BotFather → your bot → Bot Settings → Web Login
   * gives the client id (the bot's numeric id) and the client secret.
   */
  AUTH_TELEGRAM_ID: z
    .string()
    .regex(/^\d{1,20}$/, "must be the bot's numeric id (BotFather's Web Login client id)")
    .optional(),
  AUTH_TELEGRAM_SECRET: z.string().min(1).optional(),
  /** Longest wait for an OAuth provider's token or profile endpoint, in ms. */
  AUTH_PROVIDER_TIMEOUT_MS: int(500, 60_000).default(10_000),
  /**
   * TESTS ONLY: send every OAuth provider's endpoints to one local fake identity provider.
   * Refused unless both it and APP_URL are loopback addresses, so a deployment with a real
   * domain can never turn it on by accident.
   */
  AUTH_TEST_IDP_URL: httpUrl.optional(),
  /**
   * DEVELOPMENT ONLY, set by `npm run dev` (scripts/dev.ts) when no provider is configured:
   * the local stand-in that plays Google, GitHub and Stack Overflow. Refused unless
   * NODE_ENV=development in a development build and both it and APP_URL are loopback
   * addresses, and alongside any real provider (see standInProblems).
   */
  AUTH_DEV_IDP_URL: httpUrl.optional(),
  /** Email + password sign-in. */
  AUTH_PASSWORD_ENABLED: flag.default(true),

  /** How long a device session lives without activity, in days. */
  SESSION_MAX_AGE_DAYS: int(1, 365).default(30),
  /** Write a session's "last seen" at most this often, in seconds (saves a write per request). */
  SESSION_TOUCH_INTERVAL_SECONDS: int(10, 86_400).default(300),
  /** Unlink, password change and "revoke all" need a sign-in at most this old, in seconds. */
  RECENT_SIGN_IN_MAX_AGE_SECONDS: int(60, 86_400).default(600),
  /**
   * How long a browser stays a known device for an account after it last signed in to it,
   * in days (lib/auth/device-cookie.ts). At most 400: browsers cap a cookie's lifetime there.
   */
  DEVICE_COOKIE_MAX_AGE_DAYS: int(1, 400).default(365),

  /** Telegram bot from BotFather. Token and username together enable the bot. */
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{30,}$/, "must look like 123456:ABC… (from BotFather)")
    .optional(),
  TELEGRAM_BOT_USERNAME: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, "must be the bot's username without @")
    .optional(),
  /** Sent by Telegram in X-Telegram-Bot-Api-Secret-Token; required with the token. */
  TELEGRAM_WEBHOOK_SECRET: telegramSecret.optional(),
  TELEGRAM_LINK_TOKEN_TTL_SECONDS: int(60, 3_600).default(600),
  /**
   * Longest Telegram's answer to an update waits for the bot, in ms; an update still being
   * handled then is answered 200 and finishes after the response (lib/telegram/webhook.ts).
   * docs/performance.md: the webhook acknowledges within 50 ms at p99. Answering /help or "Not me"
   * takes one or two Bot API round trips, which from a server far from Telegram's are longer
   * than that; waiting for them would also hold up the bot's next updates (Telegram sends a
   * bot's updates over a few connections at a time). 30, not 50: the timer, the answer and a
   * busy event loop add up to ~10 ms at p99 on a small server (npm run bench).
   */
  TELEGRAM_WEBHOOK_ACK_BUDGET_MS: int(1, 10_000).default(DURATION_DEFAULTS.telegramAckBudgetMs),
  /** Longest grammY works on one update at all, in ms; the webhook then stops waiting for it
   *  (grammY's webhookCallback timeout, with onTimeout "return"). */
  TELEGRAM_WEBHOOK_HANDLER_TIMEOUT_MS: int(100, 60_000).default(
    DURATION_DEFAULTS.telegramHandlerTimeoutMs,
  ),
  /** Longest a single Bot API call may take, in seconds (grammY's client timeoutSeconds). */
  TELEGRAM_API_TIMEOUT_SECONDS: int(1, 300).default(DURATION_DEFAULTS.telegramApiTimeoutSeconds),
  /**
   * TESTS ONLY: send the bot's Bot API calls to a local fake instead of api.telegram.org.
   * Refused unless both it and APP_URL are loopback addresses, like AUTH_TEST_IDP_URL.
   */
  TELEGRAM_TEST_API_URL: httpUrl.optional(),
  /** Bearer secret for the outbox sweeper route (Vercel Cron sends it as CRON_SECRET). */
  CRON_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  /**
   * Bearer token Prometheus sends to GET /api/metrics (docs/production.md, "Metrics"). Unset,
   * the endpoint answers 404. At least 32 characters: it guards how busy the server is and
   * how many sign-ins fail.
   */
  METRICS_TOKEN: z
    .string()
    .min(32, "must be at least 32 characters (openssl rand -hex 32)")
    .regex(/^[A-Za-z0-9._~+/-]+=*$/, "must be a bearer token: letters, digits and - . _ ~ + /")
    .optional(),
  /** Self-hosted: sweep undelivered notifications this often, in seconds (0 = off). */
  OUTBOX_SWEEP_INTERVAL_SECONDS: int(0, 3_600).default(60),
  OUTBOX_MAX_ATTEMPTS: int(1, 50).default(8),
  /**
   * RabbitMQ (docs/jobs.md): set, the outbox's rows go to the broker and `npm run worker`
   * delivers them; unset, the web process delivers them itself (the default).
   */
  AMQP_URL: amqpUrl.optional(),
  /** Messages one worker handles at once (its prefetch). */
  WORKER_PREFETCH: int(1, 200).default(10),

  /** Outgoing mail server (lib/mail): smtp://user:pass@host:587 (STARTTLS) or smtps://…:465.
   *  Unset in development → the development mailbox (.data/mail/, /dev/mail). */
  SMTP_URL: smtpUrl.optional(),
  /** Sender of every mail: "Gatehouse <no-reply@example.com>" or a bare address. */
  EMAIL_FROM: emailFrom.optional(),

  /** Rate limits, "requests/window". */
  RATE_LIMIT_GLOBAL: rateLimit.default({ limit: 300, windowMs: 60_000 }),
  RATE_LIMIT_SIGN_IN_IP: rateLimit.default({ limit: 20, windowMs: 300_000 }),
  // Generous on purpose: anyone who knows an email can use this one up, and then every
  // browser that never signed in to the account is refused for the window (the owner's own
  // browsers are not: they carry a device cookie, below). It is the backstop against
  // guessing from many addresses; the account throttle (escalating delay, never a refusal)
  // does the everyday work.
  RATE_LIMIT_SIGN_IN_ACCOUNT: rateLimit.default({ limit: 100, windowMs: 900_000 }),
  // Sign-in attempts per device cookie (a browser that signed in to the account before):
  // its own small budget instead of the per-IP and per-account limits. Small, because it
  // is all a stolen device cookie is worth to a guesser.
  RATE_LIMIT_SIGN_IN_DEVICE: rateLimit.default({ limit: 10, windowMs: 900_000 }),
  RATE_LIMIT_SIGN_UP_IP: rateLimit.default({ limit: 5, windowMs: 3_600_000 }),
  RATE_LIMIT_TELEGRAM: rateLimit.default({ limit: 120, windowMs: 60_000 }),
  /** How long a rate-limit decision waits on Redis before failing open/closed; time our own
   *  busy event loop holds an answer up does not count, and no decision waits past 4 × this
   *  (lib/rate-limit/limiter.ts, lib/timeout.ts). */
  RATE_LIMIT_TIMEOUT_MS: int(5, 5_000).default(DURATION_DEFAULTS.rateLimitTimeoutMs),
  /** Proxies whose X-Forwarded-For is believed: IPv4/IPv6 addresses and CIDR ranges. Empty →
   *  the socket address is the client. */
  TRUSTED_PROXIES: ipList.default([]),
  /** Set by Vercel on its deployments; its edge network sets X-Forwarded-For itself. */
  VERCEL: z.string().optional(),
  /**
   * Set by server.mjs for its own process, never by people: a random secret that marks the
   * socket-address header it adds to every request (see lib/http/client-ip.ts).
   */
  GATEHOUSE_PEER_SECRET: z.string().min(32).optional(),

  /**
   * Largest request body proxy.ts lets through, in KiB (1024 bytes); bigger ones get 413
   * before Next parses them. Every form and webhook this app receives is a few KiB. The
   * ceiling is Next's own server-action limit (1 MiB), so ours always answers first.
   */
  REQUEST_BODY_LIMIT_KB: int(1, 1_024).default(128),

  /** Server start: attempts and first backoff for reaching the database and Redis. */
  STARTUP_MAX_ATTEMPTS: int(1, 20).default(5),
  STARTUP_RETRY_BASE_MS: int(10, 10_000).default(250),
  /** /api/health: longest wait for each dependency. */
  HEALTH_TIMEOUT_MS: int(50, 30_000).default(2_000),

  // Email links and the mail they travel in (lib/auth/email-tokens.ts,
  // lib/rate-limit/mail-budget.ts).
  /** How long an address-verification link works, in hours. */
  EMAIL_VERIFY_TTL_HOURS: int(1, 168).default(24),
  /** How long a password-reset link works, in minutes: short, it is a way into the account. */
  PASSWORD_RESET_TTL_MINUTES: int(5, 240).default(30),
  /** How long the link confirming a new address works, in hours. */
  EMAIL_CHANGE_TTL_HOURS: int(1, 168).default(24),
  /** Mail sent per address typed (normalized), whether or not an account uses it. */
  RATE_LIMIT_MAIL_ADDRESS: rateLimit.default({ limit: 3, windowMs: 900_000 }),
  /** Mail-sending requests per client IP (IPv6: per /64). */
  RATE_LIMIT_MAIL_IP: rateLimit.default({ limit: 10, windowMs: 900_000 }),

  // The second factor (lib/auth/second-factor, lib/auth/pending-sign-in.ts).
  /** How long the second step of a sign-in waits for its code, in seconds. */
  PENDING_SIGN_IN_TTL_SECONDS: int(60, 1_800).default(300),
  /** How long a sign-in from a new browser waits for "Approve" in the account's Telegram
   *  chat (lib/auth/sign-in-approval.ts), in seconds. */
  SIGN_IN_APPROVAL_TTL_SECONDS: int(30, 600).default(120),
  /** Second-factor codes per account (user id), at sign-in and when confirming an app.
   *  Five wrong codes end one pending sign-in; this caps how many a guesser tries across
   *  fresh ones (each needs the first factor again). */
  RATE_LIMIT_SECOND_FACTOR_ACCOUNT: rateLimit.default({ limit: 20, windowMs: 900_000 }),
  /** Second-factor codes per client IP (IPv6: per /64). */
  RATE_LIMIT_SECOND_FACTOR_IP: rateLimit.default({ limit: 30, windowMs: 900_000 }),

  // Passkeys (lib/auth/passkeys; docs/passkeys.md). The relying party (RP ID and origin) is
  // APP_URL's and nothing else's.
  /**
   * How long adding a passkey or signing in with one may take, in seconds: the challenge's
   * life, and the browser's timeout for the dialog. Long enough to find a security key or
   * a phone; short, because an unused challenge is a row waiting to be swept.
   */
  PASSKEY_CHALLENGE_TTL_SECONDS: int(30, 900).default(300),

  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).optional(),
  /**
   * json | pretty. Unset: pretty for a person at a terminal in development (stdout is a
   * TTY), JSON everywhere else, which is what log collectors read.
   */
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),

  /**
   * OpenTelemetry traces (docs/production.md, "Traces"): set either endpoint and the server
   * sends its spans to that OTLP/HTTP collector; unset, no tracing code is loaded at all.
   * The names and meanings are OpenTelemetry's own, so a collector's instructions apply.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  /** The traces URL itself (…/v1/traces); wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(["http/protobuf", "http/json"], {
      error:
        "must be http/protobuf or http/json (gRPC is not supported: use the collector's OTLP/HTTP port, 4318)",
    })
    .optional(),
  /** Headers for the collector, "name=value,name2=value2" (an API key, usually). */
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .transform((value, ctx) => {
      const headers = otlpHeaders(value);
      if (headers === null) {
        // Never echo the value: it usually carries an API key.
        ctx.addIssue({ code: "custom", message: 'must look like "name=value,name2=value2"' });
        return z.NEVER;
      }
      return headers;
    })
    .optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(100).optional(),
  /** OpenTelemetry's off switch: true keeps tracing off whatever else is set. */
  OTEL_SDK_DISABLED: flag.optional(),
});

/**
 * OTEL_EXPORTER_OTLP_HEADERS as the OpenTelemetry spec writes it: comma-separated
 * name=value pairs, values percent-encoded. null when it is not that.
 */
function otlpHeaders(value: string): Record<string, string> | null {
  const headers: Record<string, string> = {};
  for (const pair of value.split(",")) {
    const at = pair.indexOf("=");
    const name = pair.slice(0, at).trim();
    if (at <= 0 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return null;
    let decoded: string;
    try {
      decoded = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      return null;
    }
    // A line break would split the header: refused rather than sent.
    if (/[\r\n\0]/.test(decoded)) return null;
    headers[name.toLowerCase()] = decoded;
  }
  return headers;
}

const pairs: [string, string][] = [
  ["AUTH_GOOGLE_ID", "AUTH_GOOGLE_SECRET"],
  ["AUTH_GITHUB_ID", "AUTH_GITHUB_SECRET"],
  ["AUTH_STACKOVERFLOW_ID", "AUTH_STACKOVERFLOW_SECRET"],
  ["AUTH_STACKOVERFLOW_ID", "AUTH_STACKOVERFLOW_KEY"],
  ["AUTH_TELEGRAM_ID", "AUTH_TELEGRAM_SECRET"],
  ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"],
  ["TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME"],
  ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"],
];

/**
 * Rules that span variables. They look only at which variables are present, so they can be
 * reported together with format errors: one start-up message lists everything to fix.
 */
function crossChecks(raw: Env): string[] {
  const problems: string[] = [];
  const has = (name: string) => raw[name] !== undefined;
  const v = {
    NODE_ENV: raw.NODE_ENV,
    AUTH_SECRET: has("AUTH_SECRET"),
    APP_URL: has("APP_URL"),
    DATABASE_URL: has("DATABASE_URL"),
    REDIS_URL: has("REDIS_URL"),
    UPSTASH_REDIS_REST_URL: has("UPSTASH_REDIS_REST_URL"),
    GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION:
      flag.safeParse(raw.GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION ?? "false").data === true,
  };
  for (const [a, b] of pairs) {
    if (has(a) && !has(b)) problems.push(`${b}: required when ${a} is set`);
    if (has(b) && !has(a)) problems.push(`${a}: required when ${b} is set`);
  }
  if (v.REDIS_URL && v.UPSTASH_REDIS_REST_URL) {
    problems.push("REDIS_URL: set either REDIS_URL or UPSTASH_REDIS_REST_URL, not both");
  }
  // The worker is another process: it must reach the same database, which the embedded one
  // (this process's own files) is not.
  if (has("AMQP_URL") && !v.DATABASE_URL) {
    problems.push("AMQP_URL: needs DATABASE_URL (the worker shares the web process's database)");
  }
  // One bot for both: signing in with Telegram lets *the login's* bot write to the person
  // (telegram:bot_access), and the alerts come from TELEGRAM_BOT_TOKEN's bot.
  const loginBot = raw.AUTH_TELEGRAM_ID?.trim();
  const alertsBot = raw.TELEGRAM_BOT_TOKEN?.split(":")[0];
  if (loginBot && alertsBot && /^\d+$/.test(alertsBot) && loginBot !== alertsBot) {
    problems.push(
      `AUTH_TELEGRAM_ID: must be the id of the bot in TELEGRAM_BOT_TOKEN (${alertsBot}, the digits before its colon) — sign-in with Telegram connects that bot's alerts`,
    );
  }
  if (v.NODE_ENV === "production") {
    // Production never falls back to a generated secret or a guessed origin.
    if (!v.AUTH_SECRET)
      problems.push("AUTH_SECRET: required in production (openssl rand -base64 32)");
    if (!v.APP_URL) problems.push("APP_URL: required in production (the public https:// origin)");
    problems.push(...productionMailProblems(raw));
    if (!v.GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION) {
      if (!v.DATABASE_URL) {
        problems.push("DATABASE_URL: required in production (postgres://user:pass@host:5432/db)");
      }
      if (!v.REDIS_URL && !v.UPSTASH_REDIS_REST_URL) {
        problems.push("REDIS_URL: required in production (or UPSTASH_REDIS_REST_URL and _TOKEN)");
      }
    }
  }
  return problems;
}

/**
 * Password accounts need mail (verification, reset), so production sends it for real; and
 * whatever production sends has a real sender, never the development default.
 */
function productionMailProblems(raw: Env): string[] {
  const passwordEnabled = flag.safeParse(raw.AUTH_PASSWORD_ENABLED ?? "true").data !== false;
  const problems: string[] = [];
  if (raw.SMTP_URL === undefined && passwordEnabled) {
    problems.push(
      "SMTP_URL: required in production while password sign-in is on (AUTH_PASSWORD_ENABLED), e.g. smtps://user:pass@smtp.example.com:465",
    );
  }
  if (raw.EMAIL_FROM === undefined && (passwordEnabled || raw.SMTP_URL !== undefined)) {
    problems.push(
      'EMAIL_FROM: required in production with SMTP_URL or password sign-in, e.g. "Gatehouse <no-reply@example.com>"',
    );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// The typed settings the rest of the app uses.

/** The database lib/db opens: the only declaration of its configuration. */
export type DatabaseSettings =
  | {
      kind: "postgres";
      url: string;
      /** The pool's size: the whole connection budget of this process. */
      poolMax: number;
      connectionTimeoutMs: number;
      idleTimeoutMs: number;
      /** Bounds every statement the app sends. */
      statementTimeoutMs: number;
    }
  | {
      kind: "pglite";
      /** A folder, created when missing, or "memory://" for a throw-away database. */
      dataDir: string;
    };

/** The Redis lib/redis opens: the only declaration of its configuration (each store's
 *  options add only what tests tune, and a logger). */
export type RedisSettings =
  | {
      kind: "ioredis";
      url: string;
      /** Bound on opening the TCP connection. */
      connectTimeoutMs: number;
      /** Bound on every command, including the connection handshake. */
      commandTimeoutMs: number;
      /** Background reconnects after a connection is lost, before giving up until the next
       *  command. */
      maxReconnectAttempts: number;
    }
  | {
      kind: "upstash";
      /** The database's REST URL (UPSTASH_REDIS_REST_URL). */
      url: string;
      /** Its REST token (UPSTASH_REDIS_REST_TOKEN). */
      token: string;
      /** Bound on each HTTP request, including the client's own retries of it. */
      commandTimeoutMs: number;
    }
  | { kind: "memory" };

/**
 * How mail leaves (lib/mail): a real SMTP server, or — only in a development build run with
 * NODE_ENV=development and no SMTP_URL — the development mailbox, files under `dir`.
 * Null: no mail at all (tests without SMTP_URL, production with password sign-in off).
 */
export type MailSettings =
  | { kind: "smtp"; url: string; from: string }
  | { kind: "dev-mailbox"; dir: string; from: string }
  | null;

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export interface Settings {
  nodeEnv: "development" | "test" | "production";
  isProduction: boolean;
  appUrl: string;
  dataDir: string;
  logLevel: "debug" | "info" | "warn" | "error";
  /** LOG_FORMAT; null: decided by the terminal (lib/root/protection.ts). */
  logFormat: "json" | "pretty" | null;
  auth: {
    secret: string;
    /** True when the secret was generated for development (never in production). */
    secretIsGenerated: boolean;
    passwordEnabled: boolean;
    providerTimeoutMs: number;
    /**
     * Base URL of a local identity provider that plays all three providers: the tests' fake
     * (AUTH_TEST_IDP_URL) or the development stand-ins (AUTH_DEV_IDP_URL); null for the real
     * providers.
     */
    localIdpUrl: string | null;
    /** True when the three providers are `npm run dev`'s stand-ins (development only). */
    standIns: boolean;
    google: OAuthClient | null;
    github: OAuthClient | null;
    stackOverflow: (OAuthClient & { key: string }) | null;
    /** Telegram's web login; its client id is the bot's numeric id. */
    telegram: OAuthClient | null;
    sessionMaxAgeSeconds: number;
    sessionTouchIntervalSeconds: number;
    recentSignInMaxAgeSeconds: number;
    /** How long a sign-in waits for its second factor (the pending sign-in's life). */
    pendingSignInTtlSeconds: number;
    /** How long a sign-in from a new browser waits for the Telegram chat's answer. */
    signInApprovalTtlSeconds: number;
    /** How long a passkey ceremony (adding one, signing in with one) may take. */
    passkeyChallengeTtlSeconds: number;
    deviceCookieMaxAgeSeconds: number;
  };
  database: DatabaseSettings;
  migrateOnStart: boolean;
  redis: RedisSettings;
  telegram: {
    botToken: string;
    botUsername: string;
    webhookSecret: string;
    linkTokenTtlSeconds: number;
    /** Bot API root; only a loopback fake in tests, otherwise Telegram's own. */
    apiRoot: string;
    /** The webhook's answer waits at most this long for the bot. */
    ackBudgetMs: number;
    /** grammY stops waiting for an update's handling after this long. */
    handlerTimeoutMs: number;
    /** Bound on each Bot API call. */
    apiTimeoutSeconds: number;
  } | null;
  outbox: { cronSecret: string | null; sweepIntervalSeconds: number; maxAttempts: number };
  /** GET /api/metrics's bearer token; null: the endpoint is off (404). */
  metrics: { token: string | null };
  /** Where the server sends its traces (docs/production.md, "Traces"); null: no tracing. */
  tracing: TracingSettings | null;
  /** RabbitMQ for delivery (docs/jobs.md); null: the web process delivers. */
  queue: { url: string; prefetch: number } | null;
  mail: MailSettings;
  rateLimits: {
    global: RateLimitRule;
    signInIp: RateLimitRule;
    signInAccount: RateLimitRule;
    signInDevice: RateLimitRule;
    signUpIp: RateLimitRule;
    telegram: RateLimitRule;
    mailAddress: RateLimitRule;
    mailIp: RateLimitRule;
    secondFactorAccount: RateLimitRule;
    secondFactorIp: RateLimitRule;
    timeoutMs: number;
    trustedProxies: string[];
    onVercel: boolean;
    /** The secret of server.mjs's peer header; null when not started through it. */
    peerSecret: string | null;
  };
  /** What proxy.ts refuses before the app sees a request (lib/http/request-gate.ts). */
  requests: { bodyLimitBytes: number };
  startup: { maxAttempts: number; retryBaseMs: number };
  health: { timeoutMs: number };
  /** Lifetime of each kind of emailed link, in seconds (lib/auth/email-tokens.ts). */
  emailTokens: { lifetimeSeconds: EmailTokenLifetimes };
}

export interface TracingSettings {
  /** The OTLP/HTTP traces URL, ending in /v1/traces unless given whole. */
  url: string;
  protocol: "http/protobuf" | "http/json";
  headers: Record<string, string>;
  serviceName: string;
  /** Running on Vercel (VERCEL is set): the spans' resource says so only then. */
  onVercel: boolean;
}

/** Seconds each kind of emailed link works; the keys are EmailToken's kinds. */
export interface EmailTokenLifetimes {
  VERIFY_EMAIL: number;
  RESET_PASSWORD: number;
  CHANGE_EMAIL: number;
}

export interface ParseOptions {
  /** Returns the development AUTH_SECRET, creating it on first use. Injected by tests. */
  devSecret?: (dataDir: string) => string;
  /**
   * The NODE_ENV the running code was built for. getSettings passes the literal
   * `process.env.NODE_ENV`, which Next's compiler replaces with "production" in every
   * production bundle: such a build refuses the development stand-ins whatever NODE_ENV it
   * is later started with. Scripts run by tsx are not compiled and pass the runtime value.
   */
  builtFor?: string;
}

/** Parses an environment into Settings, or throws SettingsError listing every problem. */
export function parseSettings(env: Env, options: ParseOptions = {}): Settings {
  const v = parseVariables(env, options.builtFor);
  const isProduction = v.NODE_ENV === "production";
  const devSecret = options.devSecret ?? readOrCreateDevSecret;
  const secret = v.AUTH_SECRET ?? devSecret(v.GATEHOUSE_DATA_DIR);

  return {
    nodeEnv: v.NODE_ENV,
    isProduction,
    appUrl: canonicalOrigin(v.APP_URL ?? defaultAppUrl(v.PORT)),
    dataDir: v.GATEHOUSE_DATA_DIR,
    logLevel: v.LOG_LEVEL ?? (isProduction ? "info" : "debug"),
    logFormat: v.LOG_FORMAT ?? null,
    auth: {
      secret,
      secretIsGenerated: v.AUTH_SECRET === undefined,
      passwordEnabled: v.AUTH_PASSWORD_ENABLED,
      providerTimeoutMs: v.AUTH_PROVIDER_TIMEOUT_MS,
      ...providerSettings(v),
      sessionMaxAgeSeconds: v.SESSION_MAX_AGE_DAYS * 86_400,
      sessionTouchIntervalSeconds: v.SESSION_TOUCH_INTERVAL_SECONDS,
      recentSignInMaxAgeSeconds: v.RECENT_SIGN_IN_MAX_AGE_SECONDS,
      pendingSignInTtlSeconds: v.PENDING_SIGN_IN_TTL_SECONDS,
      signInApprovalTtlSeconds: v.SIGN_IN_APPROVAL_TTL_SECONDS,
      passkeyChallengeTtlSeconds: v.PASSKEY_CHALLENGE_TTL_SECONDS,
      deviceCookieMaxAgeSeconds: v.DEVICE_COOKIE_MAX_AGE_DAYS * 86_400,
    },
    database: databaseSettings(v),
    // Production applies migrations as a deploy step (`npm run db:migrate`), not on boot:
    // several instances starting at once should not race to alter the schema.
    migrateOnStart: v.MIGRATE_ON_START ?? !isProduction,
    redis: redisSettings(v),
    telegram: telegramSettings(v),
    outbox: {
      cronSecret: v.CRON_SECRET ?? null,
      sweepIntervalSeconds: v.OUTBOX_SWEEP_INTERVAL_SECONDS,
      maxAttempts: v.OUTBOX_MAX_ATTEMPTS,
    },
    metrics: { token: v.METRICS_TOKEN ?? null },
    tracing: tracingSettings(v),
    queue: v.AMQP_URL ? { url: v.AMQP_URL, prefetch: v.WORKER_PREFETCH } : null,
    mail: mailSettings(v, options.builtFor),
    rateLimits: {
      global: v.RATE_LIMIT_GLOBAL,
      signInIp: v.RATE_LIMIT_SIGN_IN_IP,
      signInAccount: v.RATE_LIMIT_SIGN_IN_ACCOUNT,
      signInDevice: v.RATE_LIMIT_SIGN_IN_DEVICE,
      signUpIp: v.RATE_LIMIT_SIGN_UP_IP,
      telegram: v.RATE_LIMIT_TELEGRAM,
      mailAddress: v.RATE_LIMIT_MAIL_ADDRESS,
      mailIp: v.RATE_LIMIT_MAIL_IP,
      secondFactorAccount: v.RATE_LIMIT_SECOND_FACTOR_ACCOUNT,
      secondFactorIp: v.RATE_LIMIT_SECOND_FACTOR_IP,
      timeoutMs: v.RATE_LIMIT_TIMEOUT_MS,
      trustedProxies: v.TRUSTED_PROXIES,
      onVercel: v.VERCEL !== undefined,
      peerSecret: v.GATEHOUSE_PEER_SECRET ?? null,
    },
    requests: { bodyLimitBytes: v.REQUEST_BODY_LIMIT_KB * 1_024 },
    startup: { maxAttempts: v.STARTUP_MAX_ATTEMPTS, retryBaseMs: v.STARTUP_RETRY_BASE_MS },
    health: { timeoutMs: v.HEALTH_TIMEOUT_MS },
    emailTokens: {
      lifetimeSeconds: {
        VERIFY_EMAIL: v.EMAIL_VERIFY_TTL_HOURS * 3_600,
        RESET_PASSWORD: v.PASSWORD_RESET_TTL_MINUTES * 60,
        CHANGE_EMAIL: v.EMAIL_CHANGE_TTL_HOURS * 3_600,
      },
    },
  };
}

type Variables = z.infer<typeof variables>;

function tracingSettings(v: Variables): TracingSettings | null {
  const url =
    v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (v.OTEL_EXPORTER_OTLP_ENDPOINT && `${v.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`);
  if (!url || v.OTEL_SDK_DISABLED === true) return null;
  return {
    url,
    protocol: v.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf",
    headers: v.OTEL_EXPORTER_OTLP_HEADERS ?? {},
    serviceName: v.OTEL_SERVICE_NAME ?? "gatehouse",
    onVercel: v.VERCEL !== undefined,
  };
}

/** The variables, checked one by one and together, or a SettingsError listing every problem. */
function parseVariables(env: Env, builtFor: string | undefined): Variables {
  // An empty value in a .env file means "not set", not "set to nothing".
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const result = variables.safeParse(cleaned);
  const problems = [
    ...(result.error?.issues ?? []).map((issue) => {
      const name = typeof issue.path[0] === "string" ? issue.path[0] : "settings";
      return `${name}: ${issue.message}`;
    }),
    ...crossChecks(cleaned),
  ];
  // Test-only overrides: a deployment with a real domain can never switch them on.
  for (const name of ["AUTH_TEST_IDP_URL", "TELEGRAM_TEST_API_URL"] as const) {
    const override = result.success ? result.data[name] : undefined;
    if (!result.success || !override) continue;
    const appUrl = result.data.APP_URL ?? defaultAppUrl(result.data.PORT);
    if (!isLoopbackUrl(override) || !isLoopbackUrl(appUrl)) {
      problems.push(`${name}: only for tests — it and APP_URL must both be loopback addresses`);
    }
  }
  if (result.success) problems.push(...standInProblems(result.data, builtFor));
  if (!result.success || problems.length > 0) throw new SettingsError(problems);
  return result.data;
}

/** Whether any real provider has its variables (the pairs are checked in crossChecks). */
const anyProviderConfigured = (v: Variables): boolean =>
  Boolean(v.AUTH_GOOGLE_ID ?? v.AUTH_GITHUB_ID ?? v.AUTH_STACKOVERFLOW_ID ?? v.AUTH_TELEGRAM_ID);

/**
 * AUTH_DEV_IDP_URL lets anyone sign in as anyone, so it is refused everywhere but a
 * developer's own machine: a development build run with NODE_ENV=development, the app and
 * the stand-in both on loopback. `npm run dev` sets it only when no provider is configured;
 * set by hand next to a real one it is refused rather than silently hiding that provider.
 */
function standInProblems(v: Variables, builtFor: string | undefined): string[] {
  if (v.AUTH_DEV_IDP_URL === undefined) return [];
  const name = "AUTH_DEV_IDP_URL";
  if (v.NODE_ENV !== "development" || (builtFor !== undefined && builtFor !== "development")) {
    return [
      `${name}: development only — refused with NODE_ENV=${v.NODE_ENV} and in a ${builtFor ?? v.NODE_ENV} build`,
    ];
  }
  const problems: string[] = [];
  if (!isLoopbackUrl(v.AUTH_DEV_IDP_URL) || !isLoopbackUrl(v.APP_URL ?? defaultAppUrl(v.PORT))) {
    problems.push(`${name}: development only — it and APP_URL must both be loopback addresses`);
  }
  if (anyProviderConfigured(v) || v.AUTH_TEST_IDP_URL !== undefined) {
    problems.push(
      `${name}: stand-ins replace the providers only when none is configured — unset it or the AUTH_GOOGLE_/AUTH_GITHUB_/AUTH_STACKOVERFLOW_/AUTH_TELEGRAM_ and AUTH_TEST_IDP_URL variables`,
    );
  }
  return problems;
}

type ProviderSettings = Pick<
  Settings["auth"],
  "localIdpUrl" | "standIns" | "google" | "github" | "stackOverflow" | "telegram"
>;

/** The OAuth clients: the configured ones, or `npm run dev`'s stand-ins (lib/stand-ins.ts). */
function providerSettings(v: Variables): ProviderSettings {
  if (v.AUTH_DEV_IDP_URL !== undefined) {
    const { google, github, stackoverflow, telegram } = STAND_IN_CLIENTS;
    return {
      localIdpUrl: v.AUTH_DEV_IDP_URL,
      standIns: true,
      google: { ...google },
      github: { ...github },
      stackOverflow: { ...stackoverflow },
      telegram: { ...telegram },
    };
  }
  const oauth = (id?: string, secret?: string): OAuthClient | null =>
    id && secret ? { clientId: id, clientSecret: secret } : null;
  const stackOverflowClient = oauth(v.AUTH_STACKOVERFLOW_ID, v.AUTH_STACKOVERFLOW_SECRET);
  return {
    localIdpUrl: v.AUTH_TEST_IDP_URL ?? null,
    standIns: false,
    google: oauth(v.AUTH_GOOGLE_ID, v.AUTH_GOOGLE_SECRET),
    github: oauth(v.AUTH_GITHUB_ID, v.AUTH_GITHUB_SECRET),
    stackOverflow:
      stackOverflowClient && v.AUTH_STACKOVERFLOW_KEY
        ? { ...stackOverflowClient, key: v.AUTH_STACKOVERFLOW_KEY }
        : null,
    telegram: oauth(v.AUTH_TELEGRAM_ID, v.AUTH_TELEGRAM_SECRET),
  };
}

function databaseSettings(v: Variables): DatabaseSettings {
  return v.DATABASE_URL
    ? {
        kind: "postgres",
        url: v.DATABASE_URL,
        poolMax: v.DATABASE_POOL_MAX,
        connectionTimeoutMs: v.DATABASE_CONNECT_TIMEOUT_MS,
        idleTimeoutMs: v.DATABASE_IDLE_TIMEOUT_MS,
        statementTimeoutMs: v.DATABASE_STATEMENT_TIMEOUT_MS,
      }
    : { kind: "pglite", dataDir: v.PGLITE_DIR ?? joinPath(v.GATEHOUSE_DATA_DIR, "pglite") };
}

function redisSettings(v: Variables): RedisSettings {
  if (v.REDIS_URL) {
    return {
      kind: "ioredis",
      url: v.REDIS_URL,
      connectTimeoutMs: v.REDIS_CONNECT_TIMEOUT_MS,
      commandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS,
      maxReconnectAttempts: v.REDIS_MAX_RECONNECT_ATTEMPTS,
    };
  }
  if (v.UPSTASH_REDIS_REST_URL && v.UPSTASH_REDIS_REST_TOKEN) {
    return {
      kind: "upstash",
      url: v.UPSTASH_REDIS_REST_URL,
      token: v.UPSTASH_REDIS_REST_TOKEN,
      commandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS,
    };
  }
  return { kind: "memory" };
}

function telegramSettings(v: Variables): Settings["telegram"] {
  if (!(v.TELEGRAM_BOT_TOKEN && v.TELEGRAM_BOT_USERNAME && v.TELEGRAM_WEBHOOK_SECRET)) return null;
  return {
    botToken: v.TELEGRAM_BOT_TOKEN,
    botUsername: v.TELEGRAM_BOT_USERNAME,
    webhookSecret: v.TELEGRAM_WEBHOOK_SECRET,
    linkTokenTtlSeconds: v.TELEGRAM_LINK_TOKEN_TTL_SECONDS,
    apiRoot: v.TELEGRAM_TEST_API_URL ?? TELEGRAM_API_ROOT,
    ackBudgetMs: v.TELEGRAM_WEBHOOK_ACK_BUDGET_MS,
    handlerTimeoutMs: v.TELEGRAM_WEBHOOK_HANDLER_TIMEOUT_MS,
    apiTimeoutSeconds: v.TELEGRAM_API_TIMEOUT_SECONDS,
  };
}

/**
 * The mail transport. The development mailbox shows every link to whoever reads the server
 * log or /dev/mail, so it exists only where the stand-ins may (standInProblems): NODE_ENV
 * development in a development build. Anywhere else, no SMTP_URL means no mail.
 */
function mailSettings(v: Variables, builtFor: string | undefined): MailSettings {
  const from = v.EMAIL_FROM ?? DEV_EMAIL_FROM;
  if (v.SMTP_URL !== undefined) return { kind: "smtp", url: v.SMTP_URL, from };
  const developmentBuild = builtFor === undefined || builtFor === "development";
  if (v.NODE_ENV !== "development" || !developmentBuild) return null;
  return { kind: "dev-mailbox", dir: joinPath(v.GATEHOUSE_DATA_DIR, "mail"), from };
}

/** Where the app answers on this machine when APP_URL is not set (development, tests). */
function defaultAppUrl(port: number | undefined): string {
  return `http://localhost:${port ?? 3000}`;
}

/**
 * Next.js rewrites a loopback IP in request URLs to "localhost" (NextURL), so Auth.js sees
 * "localhost" on callbacks; APP_URL must name the origin the same way or the OAuth
 * redirect_uri of the authorize step and of the token step would differ.
 */
function canonicalOrigin(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === "127.0.0.1" || parsed.hostname === "[::1]") parsed.hostname = "localhost";
  return parsed.toString().replace(/\/+$/, "");
}

/** Whether a URL names this machine (localhost, 127.x.x.x, [::1]). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, "")}/${name}`;
}

/**
 * The development AUTH_SECRET: 32 random bytes written once to <dataDir>/dev-auth-secret
 * (mode 0600) and reused, so a restart of `npm run dev` keeps everyone signed in.
 * Only reached when AUTH_SECRET is unset, which production forbids.
 */
function readOrCreateDevSecret(dataDir: string): string {
  const fs = process.getBuiltinModule("node:fs");
  const crypto = process.getBuiltinModule("node:crypto");
  const file = joinPath(dataDir, "dev-auth-secret");
  try {
    const existing = fs.readFileSync(file, "utf8").trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    // A missing file is the first run; anything else (permissions) should be seen.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new Error(`Cannot read the development secret at ${file}`, { cause: error });
    }
  }
  const secret = crypto.randomBytes(32).toString("base64url");
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

let cached: Settings | undefined;

/** The app's settings, parsed from process.env on first use and cached. */
export function getSettings(): Settings {
  if (!cached) {
    // `process.env.NODE_ENV` written out: Next's compiler replaces exactly this expression
    // with the build's mode (see ParseOptions.builtFor).
    cached = parseSettings(process.env, { builtFor: process.env.NODE_ENV });
    // Auth.js reads AUTH_URL from the environment itself and then builds every URL (OAuth
    // redirect_uri, callbacks, server-action sign-in) from it instead of from the request's
    // Host / X-Forwarded-Host headers, which a client can forge. Pinning it to APP_URL here
    // keeps one source of truth for the public origin.
    process.env.AUTH_URL = cached.appUrl;
  }
  return cached;
}

/** Every variable lib/env.ts reads (the .env.example test keeps the docs in step). */
export const variableNames = Object.keys(variables.shape);
