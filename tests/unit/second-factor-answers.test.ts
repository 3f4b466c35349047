import { describe, expect, it } from "vitest";

import { SECOND_FACTOR_MESSAGES, secondFactorAnswer } from "@/lib/actions/auth/second-factor";

describe("what the challenge page says about a refused code", () => {
  it("counts the tries left at a held sign-in, and says when a code was already used", () => {
    expect(
      secondFactorAnswer({ status: "wrong-code", attemptsLeft: 3, reused: false }, "totp"),
    ).toEqual({
      message:
        "That code did not match. Check the time on your phone and try the newest code. (3 tries left.)",
      restart: false,
    });
    expect(
      secondFactorAnswer({ status: "wrong-code", attemptsLeft: 1, reused: true }, "totp").message,
    ).toBe("That code was already used. Wait for the next one in your app. (1 try left.)");
    expect(
      secondFactorAnswer({ status: "wrong-code", attemptsLeft: 4, reused: true }, "recovery")
        .message,
    ).toBe("That recovery code was already used. Each one works once. (4 tries left.)");
  });

  it("has no count when confirming it's you (the code budgets bound that)", () => {
    expect(secondFactorAnswer({ status: "wrong-code", reused: false }, "totp").message).toBe(
      "That code did not match. Check the time on your phone and try the newest code.",
    );
  });

  it("sends the person back to sign in when the sign-in is over", () => {
    expect(secondFactorAnswer({ status: "ended" }, "totp")).toEqual({
      message: SECOND_FACTOR_MESSAGES.ended,
      restart: true,
    });
    expect(secondFactorAnswer({ status: "expired" }, "recovery")).toEqual({
      message: SECOND_FACTOR_MESSAGES.expired,
      restart: true,
    });
    expect(secondFactorAnswer({ status: "signed-out" }, "totp").restart).toBe(true);
  });

  it("tells a spent budget how long to wait, and a limiter that cannot answer to retry shortly", () => {
    expect(
      secondFactorAnswer({ status: "limited", reason: "limited", retryAfterSeconds: 90 }, "totp"),
    ).toEqual({
      message: "Too many attempts. Please wait 2 minutes and try again.",
      restart: false,
    });
    expect(
      secondFactorAnswer({ status: "limited", reason: "unavailable", retryAfterSeconds: 5 }, "totp")
        .message,
    ).toBe("We can't check your code right now. Please try again shortly.");
  });
});
