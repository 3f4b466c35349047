import type { Account } from "next-auth";
import { describe, expect, it } from "vitest";

import { oauthIdentity, refusalRedirect } from "@/lib/auth/callbacks/sign-in";

describe("refusalRedirect", () => {
  it("sends a refusal that needs a fresh proof to re-authenticate, back to the account page", () => {
    expect(refusalRedirect("recent-sign-in-required", "github", true)).toBe(
      "/sign-in?callbackUrl=%2Faccount&reauth=1",
    );
  });

  it("explains a refused link on the account page, where it started", () => {
    expect(refusalRedirect("identity-linked-to-another-user", "google", true)).toBe(
      "/account?error=IdentityLinkedElsewhere&provider=google",
    );
  });

  it("explains a refused sign-in on the error page", () => {
    expect(refusalRedirect("unverified-email-match", "github", false)).toBe(
      "/auth/error?error=EmailNotVerified&provider=github",
    );
  });
});

describe("oauthIdentity", () => {
  const account: Account = {
    provider: "google",
    providerAccountId: "g-1",
    type: "oidc",
    access_token: "at",
    refresh_token: "rt",
    expires_at: 123,
    token_type: "bearer",
    scope: "openid email",
    id_token: "id",
    session_state: { not: "a string" },
  };

  it("takes the policy's fields and only the token columns the Account table has", () => {
    const identity = oauthIdentity(account, {
      id: "g-1",
      email: "ada@example.com",
      emailVerified: true,
      name: "Ada",
      image: null,
      label: "ada@example.com",
    });
    expect(identity).toEqual({
      provider: "google",
      providerAccountId: "g-1",
      type: "oidc",
      email: "ada@example.com",
      emailVerified: true,
      name: "Ada",
      image: null,
      label: "ada@example.com",
      tokens: {
        access_token: "at",
        refresh_token: "rt",
        expires_at: 123,
        token_type: "bearer",
        scope: "openid email",
        id_token: "id",
        // Not a string: left out rather than stored as something it is not.
        session_state: undefined,
      },
    });
  });

  it("treats every provider type but OIDC as OAuth", () => {
    const identity = oauthIdentity(
      { provider: "github", providerAccountId: "7", type: "oauth" },
      { id: "7", email: null, emailVerified: false, name: null, image: null, label: null },
    );
    expect(identity).toMatchObject({ type: "oauth", email: null, emailVerified: false });
  });
});
