// Pending consents, authorization codes and access tokens of one provider.
import { randomToken } from "./http";

/** What a person agreed to on the consent page; a code and then a token carry it on. */
export interface Grant<I> {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  /** The S256 challenge from the authorize request, or null when the client sent none. */
  codeChallenge: string | null;
  /** OpenID Connect nonce to echo in the id_token (Google and Telegram). */
  nonce: string | null;
  /** The identity at the time the consent page was shown: what the page promised. */
  identity: I;
}

export interface IssuedToken<I> {
  grant: Grant<I>;
  /** Epoch milliseconds, or null for a token that never expires. */
  expiresAt: number | null;
}

export type Redemption<I> =
  { ok: true; grant: Grant<I> } | { ok: false; reason: "unknown" | "used" | "expired" };

/** Codes live 60 s, like GitHub's and shorter than most: a slow callback must be handled. */
export const CODE_LIFETIME_MS = 60_000;
/** How long a consent page stays submittable (a person reading it, or Back then Forward). */
const CONSENT_LIFETIME_MS = 10 * 60_000;

export class GrantStore<I> {
  readonly #consents = new Map<string, { grant: Grant<I>; expiresAt: number }>();
  readonly #codes = new Map<string, { grant: Grant<I>; expiresAt: number; used: boolean }>();
  readonly #tokens = new Map<string, IssuedToken<I>>();

  constructor(private readonly now: () => number) {}

  /** Remembers a shown consent page; its id travels in the page's form. */
  openConsent(grant: Grant<I>): string {
    const id = randomToken(16);
    this.#consents.set(id, { grant, expiresAt: this.now() + CONSENT_LIFETIME_MS });
    return id;
  }

  /**
   * The grant behind a submitted consent page. Not removed: submitting the same page twice
   * (Back, then Authorize again) gets a second code, as at the real providers.
   */
  consent(id: string): Grant<I> | null {
    const consent = this.#consents.get(id);
    return consent && consent.expiresAt > this.now() ? consent.grant : null;
  }

  issueCode(grant: Grant<I>, code: string): string {
    this.#codes.set(code, { grant, expiresAt: this.now() + CODE_LIFETIME_MS, used: false });
    return code;
  }

  /** Looks a code up without spending it (a failed exchange leaves it usable). */
  peekCode(code: string): Redemption<I> {
    const issued = this.#codes.get(code);
    if (!issued) return { ok: false, reason: "unknown" };
    if (issued.used) return { ok: false, reason: "used" };
    if (issued.expiresAt <= this.now()) return { ok: false, reason: "expired" };
    return { ok: true, grant: issued.grant };
  }

  /** Spends a code: every later exchange of it is refused as "used". */
  spendCode(code: string): void {
    const issued = this.#codes.get(code);
    if (issued) issued.used = true;
  }

  issueToken(grant: Grant<I>, token: string, lifetimeMs: number | null): string {
    this.#tokens.set(token, {
      grant,
      expiresAt: lifetimeMs === null ? null : this.now() + lifetimeMs,
    });
    return token;
  }

  /** A live token's grant, or null for an unknown or expired one. */
  token(token: string): Grant<I> | null {
    const issued = this.#tokens.get(token);
    if (!issued) return null;
    if (issued.expiresAt !== null && issued.expiresAt <= this.now()) return null;
    return issued.grant;
  }
}
