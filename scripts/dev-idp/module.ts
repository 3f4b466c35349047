// What each fake provider gives the server: its routes, and how it answers a failure a test
// asked for.
import type { ServerResponse } from "node:http";
import type { ParsedRequest } from "./http";
import type { Clients, Endpoint, Identities, ProviderId } from "./types";

export interface Route {
  provider: ProviderId;
  endpoint: Endpoint;
  /** Exact path below the fake's base URL. */
  path: string;
  methods: readonly string[];
  handle(request: ParsedRequest, response: ServerResponse): void | Promise<void>;
}

export interface ProviderModule {
  routes: Route[];
  /**
   * Answers the request the way failure `kind` says; false for a kind this provider does not
   * have. (`failNext` is typed per provider; timeouts are the server's business.)
   */
  answerFailure(kind: string, request: ParsedRequest, response: ServerResponse): boolean;
}

export interface ModuleContext<P extends ProviderId> {
  /** The fake's base URL, no trailing slash. */
  baseUrl: string;
  /** Shown on consent pages: "Fake GitHub — authorize <appName>". */
  appName: string;
  client: Clients[P];
  now: () => number;
  currentIdentity: () => Identities[P];
  /** `npm run dev`'s stand-in: consent pages let the person choose the identity. */
  standIn: boolean;
}
