// The pages' query-string helpers (lib/http/search-params.ts).
import { describe, expect, it } from "vitest";

import { searchParam, withCallbackUrl } from "@/lib/http/search-params";

describe("searchParam", () => {
  it("takes the first of repeated values, and undefined for a missing one", () => {
    const params = { a: ["1", "2"], b: "x", c: undefined };
    expect(searchParam(params, "a")).toBe("1");
    expect(searchParam(params, "b")).toBe("x");
    expect(searchParam(params, "c")).toBeUndefined();
    expect(searchParam(params, "d")).toBeUndefined();
  });
});

describe("withCallbackUrl", () => {
  it("leaves the default destination off", () => {
    expect(withCallbackUrl("/sign-up", "/")).toBe("/sign-up");
  });

  it("carries any other destination, encoded", () => {
    expect(withCallbackUrl("/sign-up", "/account?tab=a&b=c")).toBe(
      "/sign-up?callbackUrl=%2Faccount%3Ftab%3Da%26b%3Dc",
    );
  });
});
