import { describe, expect, it } from "vitest";

import { isRecentSignIn, reauthenticationPath } from "@/lib/auth/recent-sign-in";

const now = new Date("2026-11-22T12:00:00.000Z");
const seconds = now.getTime() / 1000;

describe("isRecentSignIn", () => {
  it("accepts a sign-in up to the limit and refuses one a second older", () => {
    expect(isRecentSignIn(seconds, now, 600)).toBe(true);
    expect(isRecentSignIn(seconds - 600, now, 600)).toBe(true);
    expect(isRecentSignIn(seconds - 601, now, 600)).toBe(false);
  });

  it("allows a minute of clock skew into the future, not more", () => {
    expect(isRecentSignIn(seconds + 60, now, 600)).toBe(true);
    expect(isRecentSignIn(seconds + 61, now, 600)).toBe(false);
  });

  it("refuses a token without a usable time", () => {
    for (const authTime of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(isRecentSignIn(authTime, now, 600)).toBe(false);
    }
  });
});

describe("reauthenticationPath", () => {
  it("sends to the sign-in page in confirm mode with the way back", () => {
    const url = new URL(reauthenticationPath("/account"), "http://localhost");
    expect(url.pathname).toBe("/sign-in");
    expect(url.searchParams.get("callbackUrl")).toBe("/account");
    expect(url.searchParams.get("reauth")).toBe("1");
  });
});
