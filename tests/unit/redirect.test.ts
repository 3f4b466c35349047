import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "@/lib/auth/redirect";

const origin = "https://gatehouse.example";

describe("safeRedirectPath", () => {
  it.each([
    ["/account", "/account"],
    ["/account?tab=sessions#list", "/account?tab=sessions#list"],
    ["https://gatehouse.example/account", "/account"],
    [null, "/"],
    ["", "/"],
  ])("keeps same-origin %s", (target, expected) => {
    expect(safeRedirectPath(target, origin)).toBe(expected);
  });

  it.each([
    "//evil.example",
    "https://evil.example",
    "https://evil.example/account",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "%2F%2Fevil.example",
    "%252F%252Fevil.example",
    "/%5Cevil.example",
    "javascript%3Aalert(1)",
    "https:evil.example",
    "https://gatehouse.example.evil.example/",
    "https://gatehouse.example@evil.example/",
    "/\tevil.example",
    "data:text/html,<script>alert(1)</script>",
  ])("sends %s to the home page", (target) => {
    expect(safeRedirectPath(target, origin)).toBe("/");
  });
});
