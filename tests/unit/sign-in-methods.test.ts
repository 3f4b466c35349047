// The catalogue of sign-in methods (lib/sign-in-methods.ts): the one place that names them.
import { describe, expect, it } from "vitest";

import {
  isOAuthProviderId,
  methodName,
  OAUTH_PROVIDER_IDS,
  OAUTH_PROVIDER_NAME,
  OAUTH_PROVIDERS,
  providerDisplayName,
} from "@/lib/sign-in-methods";

describe("the OAuth providers", () => {
  it("are listed once, in the order the pages show them", () => {
    const ids = ["google", "github", "stackoverflow", "telegram"];
    expect(OAUTH_PROVIDERS.map((p) => p.id)).toEqual(ids);
    expect(OAUTH_PROVIDER_IDS).toEqual(ids);
    expect(OAUTH_PROVIDER_NAME).toEqual({
      google: "Google",
      github: "GitHub",
      stackoverflow: "Stack Overflow",
      telegram: "Telegram",
    });
  });

  it.each([
    ["google", "Google"],
    ["github", "GitHub"],
    ["stackoverflow", "Stack Overflow"],
    ["telegram", "Telegram"],
  ])("%j is a provider named %j", (id, name) => {
    expect(isOAuthProviderId(id)).toBe(true);
    expect(providerDisplayName(id)).toBe(name);
  });

  it.each([
    null,
    undefined,
    "",
    "password",
    "passkey",
    "Telegram",
    "GitHub",
    "constructor",
    "__proto__",
  ])("%j is not an OAuth provider, and no name is made up for it", (id) => {
    expect(isOAuthProviderId(id)).toBe(false);
    expect(providerDisplayName(id)).toBeNull();
  });
});

describe("methodName", () => {
  it.each([
    ["password", "email and password"],
    ["google", "Google"],
    ["github", "GitHub"],
    ["stackoverflow", "Stack Overflow"],
    ["telegram", "Telegram"],
    ["passkey", "a passkey"],
    [" GitHub ", "GitHub"],
  ])("names %j as %j", (method, expected) => {
    expect(methodName(method)).toBe(expected);
  });

  it.each([null, undefined, "", "   ", "facebook", "constructor", "__proto__", "toString"])(
    "returns null for %j",
    (method) => {
      expect(methodName(method)).toBeNull();
    },
  );
});
