// The sign-in error copy (lib/auth/error-messages.ts): codes from the query string become
// fixed words; nothing from the query string is ever echoed.
import { describe, expect, it } from "vitest";

import { authErrorCode, describeAuthError } from "@/lib/auth/error-messages";

describe("authErrorCode", () => {
  it.each(["OAuthCallbackError", "IdentityLinkedElsewhere", "Configuration", "Default"])(
    "knows %s",
    (code) => {
      expect(authErrorCode(code)).toBe(code);
    },
  );

  it.each([undefined, "", "NoSuchCode", "constructor", "__proto__", "toString"])(
    "turns %j into Default",
    (raw) => {
      expect(authErrorCode(raw)).toBe("Default");
    },
  );
});

describe("describeAuthError", () => {
  it("names a known provider in the copy", () => {
    const copy = describeAuthError("OAuthAccountNotLinked", "github");
    expect(copy.code).toBe("OAuthAccountNotLinked");
    expect(copy.message).toContain("GitHub");
    expect(copy.nextStep).toContain("link GitHub");
  });

  it("stays generic for an unknown provider, and never prints what it was given", () => {
    const copy = describeAuthError("OAuthSignin", "<img src=x>");
    expect(copy.title).toBe("Could not start signing in with that provider");
    expect(JSON.stringify(copy)).not.toContain("<img");
  });

  it("gives the generic copy for an unknown code", () => {
    expect(describeAuthError("<script>alert(1)</script>")).toEqual({
      code: "Default",
      title: "Sign-in did not work",
      message: "Something went wrong while signing you in. Nothing was changed.",
      nextStep: "Go back to the sign-in page and try again.",
    });
  });
});
