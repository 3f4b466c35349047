import { describe, expect, it } from "vitest";

import { mayAnswerAlert } from "@/lib/telegram/alert-answers";

describe("mayAnswerAlert", () => {
  const alert = { userId: "u1", externalId: "42" };

  it("lets the chat linked to the alert's account answer on the alert's own message", () => {
    expect(mayAnswerAlert(alert, "u1", 42)).toBe(true);
  });

  it("refuses a chat linked to another account, or to none", () => {
    expect(mayAnswerAlert(alert, "u2", 42)).toBe(false);
    expect(mayAnswerAlert(alert, null, 42)).toBe(false);
  });

  it("refuses the right chat on another message (a forwarded or forged callback)", () => {
    expect(mayAnswerAlert(alert, "u1", 43)).toBe(false);
    expect(mayAnswerAlert(alert, "u1", undefined)).toBe(false);
  });

  it("refuses an unknown alert, and one never sent", () => {
    expect(mayAnswerAlert(null, "u1", 42)).toBe(false);
    expect(mayAnswerAlert({ userId: "u1", externalId: null }, "u1", 42)).toBe(false);
  });
});
