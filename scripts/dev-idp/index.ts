// A local fake identity provider: Google and Telegram (OpenID Connect), GitHub and Stack
// Overflow (OAuth 2), each speaking its real provider's protocol — quirks included — so
// Auth.js's own code paths run against it and only the base URLs differ from production. The
// tests drive it, and `npm run dev` (scripts/dev.ts) starts it as the development stand-in
// for Google, GitHub and Stack Overflow when none is configured (`standIn: true`: consent
// pages that let a person pick who signs in; Telegram's stand-in page exists too, for a
// `telegram` client registration). It is never part of the Next.js build: nothing under
// app/, lib/ or components/ imports it.
//
// Layout under the base URL `<fake>` (see lib/auth/providers.ts `localEndpoints`):
//   Google         <fake>/google (issuer: discovery, authorize, token, userinfo, jwks)
//   GitHub         <fake>/github/login/oauth/{authorize,access_token}, <fake>/github/api/user[/emails]
//   Stack Overflow <fake>/stackoverflow/oauth[/access_token[/json]], <fake>/stackexchange/2.3/me
//   Telegram       <fake>/telegram (issuer: .well-known/openid-configuration, auth, token,
//                  .well-known/jwks.json — oauth.telegram.org's paths; no userinfo)
//
// Each authorize endpoint shows a small consent page ("Fake GitHub — authorize Gatehouse")
// with "Authorize" and "Cancel" buttons; a browser test clicks one. Telegram's adds, when
// `telegram:bot_access` is asked for, a checkbox "Allow <bot> to send you messages" (checked;
// unchecked, the grant lacks that scope). The stand-in's page is
// "Development stand-in for GitHub", with ready-made identities and a form. Tests steer it in-process:
// `setIdentity` picks who signs in next, `failNext` breaks the next matching request, and
// `calls` records every request (to assert, say, that PKCE was used).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { createGitHub } from "./github";
import { createGoogle } from "./google";
import { formToRecord, readBody, sendJson, sendText, type ParsedRequest } from "./http";
import type { ModuleContext, ProviderModule, Route } from "./module";
import { createStackOverflow } from "./stack-overflow";
import { createTelegram } from "./telegram";
import type { Clients, Endpoint, FailureSpec, Identities, ProviderId, RecordedCall } from "./types";

export type * from "./types";
export { CODE_LIFETIME_MS } from "./grants";
export { BOT_ACCESS_SCOPE, telegramSubject } from "./telegram";

export interface FakeIdpOptions {
  clients: Clients;
  /** The app's name on consent pages. */
  appName?: string;
  /** Who signs in until `setIdentity` says otherwise (defaults: "Ada Lovelace" everywhere). */
  identities?: Partial<Identities>;
  /** Epoch milliseconds; a test may move it to expire codes and tokens. */
  now?: () => number;
  /** `npm run dev`'s stand-in: consent pages offer a choice of identity (scripts/dev-idp/stand-in.ts). */
  standIn?: boolean;
  /** Loopback port to listen on; 0 (the default) takes any free one. */
  port?: number;
}

export interface FakeIdpEndpoints {
  google: { issuer: string; authorization: string; token: string; userinfo: string; jwks: string };
  github: { authorization: string; token: string; user: string; emails: string };
  stackoverflow: { authorization: string; token: string; formToken: string; me: string };
  telegram: {
    issuer: string;
    discovery: string;
    authorization: string;
    token: string;
    jwks: string;
  };
}

export interface FakeIdp {
  /** Base URL, no trailing slash: `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly endpoints: FakeIdpEndpoints;
  /** Every request received, in order, recorded before validation or any failure. */
  readonly calls: readonly RecordedCall[];
  /** Recorded calls to one provider's endpoint. */
  callsTo(provider: ProviderId, endpoint: Endpoint): RecordedCall[];
  /** Who signs in from the next consent page on (a page already shown keeps its identity). */
  setIdentity<P extends ProviderId>(provider: P, identity: Identities[P]): void;
  /** Breaks the next matching request (token endpoint, or /me for `me-…` kinds), once. */
  failNext<P extends ProviderId>(provider: P, failure: FailureSpec<P>): void;
  /** Stops listening and drops every connection, including hung ones. */
  close(): Promise<void>;
}

export const defaultIdentities: Identities = {
  google: {
    sub: "110248495921238986420",
    email: "ada@example.com",
    email_verified: true,
    name: "Ada Lovelace",
  },
  github: {
    id: 5_083_511,
    login: "ada",
    name: "Ada Lovelace",
    email: null,
    emails: [{ email: "ada@example.com", primary: true, verified: true }],
  },
  stackoverflow: { user_id: 2_203_817, display_name: "Ada Lovelace" },
  telegram: {
    id: 6_183_204_117,
    name: "Ada Lovelace",
    preferred_username: "adalovelace",
    phone_number: "+15555550100",
  },
};

interface QueuedFailure {
  provider: ProviderId;
  endpoint: Endpoint;
  kind: string;
  /** For timeouts: answer normally after this long; null never answers. */
  answerAfterMs: number | null;
}

const isTimeout = (kind: string) => kind === "timeout" || kind === "me-timeout";

export async function startFakeIdp(options: FakeIdpOptions): Promise<FakeIdp> {
  const now = options.now ?? Date.now;
  const identities: Identities = structuredClone({ ...defaultIdentities, ...options.identities });
  const calls: RecordedCall[] = [];
  const failures: QueuedFailure[] = [];
  const sockets = new Set<Socket>();
  /** Delayed answers waiting to run; `close()` cancels them. */
  const delays = new Set<{ timer: NodeJS.Timeout; resolve: (run: boolean) => void }>();
  let closed = false;

  const server = createServer();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const address = await new Promise<ReturnType<typeof server.address>>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve(server.address()));
  });
  if (address === null || typeof address === "string") throw new Error("fake-idp has no port");
  const url = `http://127.0.0.1:${address.port}`;

  const context = <P extends ProviderId>(provider: P): ModuleContext<P> => ({
    baseUrl: url,
    appName: options.appName ?? "Gatehouse",
    client: options.clients[provider],
    now,
    currentIdentity: () => identities[provider],
    standIn: options.standIn ?? false,
  });
  const modules: Record<ProviderId, ProviderModule> = {
    google: await createGoogle(context("google")),
    github: createGitHub(context("github")),
    stackoverflow: createStackOverflow(context("stackoverflow")),
    telegram: await createTelegram(context("telegram")),
  };
  const routes = new Map<string, Route>(
    Object.values(modules).flatMap((module) => module.routes.map((route) => [route.path, route])),
  );

  function takeFailure(provider: ProviderId, endpoint: Endpoint): QueuedFailure | null {
    const index = failures.findIndex((f) => f.provider === provider && f.endpoint === endpoint);
    return index < 0 ? null : (failures.splice(index, 1)[0] ?? null);
  }

  /** Resolves true after `ms`, or false at once if the fake is closed first. */
  function delay(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          delays.delete(entry);
          resolve(!closed);
        }, ms),
        resolve,
      };
      delays.add(entry);
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? "GET";
    const requestUrl = new URL(request.url ?? "/", url);
    const route = routes.get(requestUrl.pathname);
    // Browsers ask every origin for its icon; a 404 there would show up as a console error
    // in tests that open the consent page. Real providers have one.
    if (requestUrl.pathname === "/favicon.ico") {
      response.writeHead(204).end();
      return;
    }
    if (!route) {
      sendJson(response, 404, { error: "not_found", path: requestUrl.pathname });
      return;
    }
    const rawBody = await readBody(request);
    const isForm = (request.headers["content-type"] ?? "").startsWith(
      "application/x-www-form-urlencoded",
    );
    const parsed: ParsedRequest = {
      method,
      url: requestUrl,
      query: formToRecord(requestUrl.searchParams),
      headers: request.headers,
      body: isForm ? formToRecord(new URLSearchParams(rawBody)) : {},
    };
    calls.push({
      provider: route.provider,
      endpoint: route.endpoint,
      method,
      path: requestUrl.pathname,
      query: parsed.query,
      headers: parsed.headers,
      body: parsed.body,
    });
    if (!route.methods.includes(method)) {
      sendJson(response, 405, { error: "method_not_allowed" }, { allow: route.methods.join(", ") });
      return;
    }

    const failure = takeFailure(route.provider, route.endpoint);
    if (failure && isTimeout(failure.kind)) {
      // Never answered (the socket is dropped by close()), or answered late and normally.
      if (failure.answerAfterMs === null || !(await delay(failure.answerAfterMs))) return;
    } else if (failure) {
      if (!modules[route.provider].answerFailure(failure.kind, parsed, response)) {
        throw new Error(`${route.provider} has no failure kind "${failure.kind}"`);
      }
      return;
    }
    await route.handle(parsed, response);
  }

  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the fake or a misuse by a test: fail the request loudly rather than hang it.
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) sendText(response, 500, `fake-idp: ${message}`);
      else response.destroy();
    });
  });

  return {
    url,
    endpoints: {
      google: {
        issuer: `${url}/google`,
        authorization: `${url}/google/authorize`,
        token: `${url}/google/token`,
        userinfo: `${url}/google/userinfo`,
        jwks: `${url}/google/jwks`,
      },
      github: {
        authorization: `${url}/github/login/oauth/authorize`,
        token: `${url}/github/login/oauth/access_token`,
        user: `${url}/github/api/user`,
        emails: `${url}/github/api/user/emails`,
      },
      stackoverflow: {
        authorization: `${url}/stackoverflow/oauth`,
        token: `${url}/stackoverflow/oauth/access_token/json`,
        formToken: `${url}/stackoverflow/oauth/access_token`,
        me: `${url}/stackexchange/2.3/me`,
      },
      telegram: {
        issuer: `${url}/telegram`,
        discovery: `${url}/telegram/.well-known/openid-configuration`,
        authorization: `${url}/telegram/auth`,
        token: `${url}/telegram/token`,
        jwks: `${url}/telegram/.well-known/jwks.json`,
      },
    },
    calls,
    callsTo: (provider, endpoint) =>
      calls.filter((call) => call.provider === provider && call.endpoint === endpoint),
    setIdentity(provider, identity) {
      identities[provider] = structuredClone(identity);
    },
    failNext(provider, failure) {
      const { kind, answerAfterMs } =
        typeof failure === "object" ? failure : { kind: failure, answerAfterMs: null };
      failures.push({
        provider,
        endpoint: kind.startsWith("me-") ? "me" : "token",
        kind,
        answerAfterMs,
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const entry of delays) {
        clearTimeout(entry.timer);
        entry.resolve(false);
      }
      delays.clear();
      // Hung requests and idle keep-alive connections would hold `server.close` open.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
