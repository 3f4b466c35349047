// The fake identity provider's vocabulary: who it pretends to be, which app it knows, what a
// test can make it do, and what it records.
import type { IncomingHttpHeaders } from "node:http";

export type ProviderId = "google" | "github" | "stackoverflow" | "telegram";

/** An OAuth app as registered with the provider (its console, "OAuth Apps", StackApps). */
export interface ClientRegistration {
  clientId: string;
  clientSecret: string;
  /** The one callback URL the provider accepts, compared exactly. */
  redirectUri: string;
}

export interface StackOverflowClientRegistration extends ClientRegistration {
  /** The StackApps "key": not a secret, but the API refuses a token sent without it. */
  key: string;
}

/** A bot's Web Login as BotFather sets it up: client id = the bot's numeric id. */
export interface TelegramClientRegistration extends ClientRegistration {
  /** The bot's name on the consent page ("Allow <botName> to send you messages"); the
   *  fake's `appName` when absent. */
  botName?: string;
}

export interface Clients {
  google?: ClientRegistration;
  github?: ClientRegistration;
  stackoverflow?: StackOverflowClientRegistration;
  telegram?: TelegramClientRegistration;
}

/** The person signed in at Google: the id_token claims the fake will sign. */
export interface GoogleIdentity {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  picture?: string;
}

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility?: "public" | "private" | null;
}

/** The person signed in at GitHub: /user plus the list /user/emails answers. */
export interface GitHubIdentity {
  id: number;
  login: string;
  name: string | null;
  /** The *public* profile email (null when the person hides it, GitHub's default). */
  email?: string | null;
  avatar_url?: string;
  emails: GitHubEmail[];
}

/** The person signed in at Stack Overflow: /me's only item. Stack Exchange gives no email. */
export interface StackOverflowIdentity {
  user_id: number;
  display_name: string;
  profile_image?: string;
}

/**
 * The person signed in at Telegram: what the id_token says about them. Telegram gives no
 * email; `sub` is not part of the identity because Telegram derives it per app (client id).
 */
export interface TelegramIdentity {
  /** The Telegram user id, as the Bot API knows it (and the id of the private chat). */
  id: number;
  name: string;
  /** The @username without "@"; many people have none. */
  preferred_username?: string;
  picture?: string;
  /** Sent only when the `phone` scope is granted. */
  phone_number?: string;
}

export interface Identities {
  google: GoogleIdentity;
  github: GitHubIdentity;
  stackoverflow: StackOverflowIdentity;
  telegram: TelegramIdentity;
}

/**
 * What `failNext` can make a provider do to the next matching request. Kinds starting with
 * `me-` apply to Stack Exchange's /me; all others to the provider's token endpoint.
 */
export interface FailureKinds {
  /** token-error: Google's 400 invalid_grant JSON. */
  google: "token-error" | "html" | "timeout";
  /** token-error: GitHub's HTTP 200 answer carrying `error=bad_verification_code`. */
  github: "token-error" | "html" | "timeout";
  /**
   * used-code: 400 `{"error":{"type":"invalid_request","message":"…"}}`;
   * used-code-api-shape: 400 `{"error_id":400,"error_message":"…","error_name":"bad_parameter"}`
   * (the API's error shape; which of the two the OAuth endpoint really uses is not settled,
   * so the app must survive both); form-error: 400 form-encoded `error=…&error_description=…`;
   * html: 200 text/html; me-error: 400 with the API's error JSON from /me.
   */
  stackoverflow:
    | "used-code"
    | "used-code-api-shape"
    | "form-error"
    | "html"
    | "timeout"
    | "me-error"
    | "me-timeout";
  /** token-error: 400 `{"error":"invalid_grant"}`. */
  telegram: "token-error" | "html" | "timeout";
}

type TimeoutKind = "timeout" | "me-timeout";

/**
 * A failure kind, or a timeout that does answer — normally — after `answerAfterMs`, for a
 * test that wants the app's own deadline to fire first and the late answer to arrive anyway.
 * A bare "timeout" never answers; `close()` drops the connection.
 */
export type FailureSpec<P extends ProviderId> =
  FailureKinds[P] | { kind: Extract<FailureKinds[P], TimeoutKind>; answerAfterMs: number };

export type Endpoint =
  | "discovery"
  | "jwks"
  | "authorize"
  | "consent"
  | "token"
  | "userinfo"
  | "user"
  | "emails"
  | "me"
  | "avatar";

/** One HTTP request the fake received, recorded before any failure or validation. */
export interface RecordedCall {
  provider: ProviderId;
  endpoint: Endpoint;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The form-encoded body's fields (every client here sends forms); empty for GET. */
  body: Record<string, string>;
}
