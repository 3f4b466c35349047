// One way for every message a person reads when something is refused or fails: a sentence,
// starting with a capital and ending with a full stop (or a question mark). Headlines (the
// sign-in error titles) are not sentences and end without one. Every catalogue is read
// whole, so a message added later is checked too.
import { describe, expect, it } from "vitest";

import { accountErrorMessages } from "@/lib/account/errors";
import {
  confirmTwoStepSchema,
  linkProviderSchema,
  revokeSessionSchema,
  setSignInApprovalSchema,
  unlinkIdentitySchema,
} from "@/lib/account/schemas";
import { codeBudgetMessage } from "@/lib/actions/code-budget";
import { FIX_FIELDS } from "@/lib/actions/auth/shared";
import { authErrorCodes, describeAuthError } from "@/lib/auth/error-messages";
import { messages } from "@/lib/auth/schemas";
import * as refusalMessages from "@/lib/http/refusal-messages";
import { refusalMessage } from "@/lib/security/password-guard";
import { CONNECTION_ERROR } from "@/components/forms/action-failure";

const SENTENCE = /^[A-Z].*[.?]$/su;

function zodMessages(result: { error?: { issues: { message: string }[] } | undefined }) {
  return result.error?.issues.map((issue) => issue.message) ?? [];
}

/** Every catalogue, as [where, message] pairs. */
function allMessages(): [string, string][] {
  const pairs: [string, string][] = [
    ...Object.entries(messages).map(([key, text]): [string, string] => [`schemas.${key}`, text]),
    ...Object.entries(accountErrorMessages).map(([key, text]): [string, string] => [
      `account errors.${key}`,
      text,
    ]),
    ...Object.entries(refusalMessages).map(([key, text]): [string, string] => [key, text]),
    ["FIX_FIELDS", FIX_FIELDS],
    ["CONNECTION_ERROR", CONNECTION_ERROR],
    ...[true, false].map((unavailable): [string, string] => [
      `code budget, unavailable: ${unavailable}`,
      codeBudgetMessage({ allowed: false, retryAfterSeconds: 90, unavailable }),
    ]),
    ...(["unavailable", "limited"] as const).map((reason): [string, string] => [
      `password guard, ${reason}`,
      refusalMessage({ reason, retryAfterSeconds: 90, headers: {} }, "sign you in"),
    ]),
  ];
  for (const code of authErrorCodes) {
    for (const provider of [undefined, "github"]) {
      const copy = describeAuthError(code, provider);
      pairs.push([`${code}.message`, copy.message], [`${code}.nextStep`, copy.nextStep]);
    }
  }
  const refusedIds = [
    ...zodMessages(unlinkIdentitySchema.safeParse({ accountId: "" })),
    ...zodMessages(unlinkIdentitySchema.safeParse({ accountId: "x".repeat(65) })),
    ...zodMessages(revokeSessionSchema.safeParse({ sessionId: "a\u0000b" })),
    ...zodMessages(linkProviderSchema.safeParse({ provider: "myspace" })),
    ...zodMessages(confirmTwoStepSchema.safeParse({ code: "12345" })),
    ...zodMessages(setSignInApprovalSchema.safeParse({ on: "yes" })),
  ];
  expect(refusedIds).toHaveLength(6);
  for (const text of refusedIds) pairs.push(["account schemas", text]);
  return pairs;
}

describe("user-facing messages", () => {
  it("are sentences ending with a full stop, in every catalogue", () => {
    const pairs = allMessages();
    // Enough to be sure the catalogues were read, not an empty loop.
    expect(pairs.length).toBeGreaterThan(60);
    const broken = pairs.filter(([, text]) => !SENTENCE.test(text));
    expect(broken).toEqual([]);
  });

  it("sign-in error titles are headlines, without a full stop", () => {
    const titles = authErrorCodes.map((code) => describeAuthError(code, "github").title);
    expect(titles.filter((title) => /[.]$/u.test(title) || !/^[A-Z]/u.test(title))).toEqual([]);
  });

  it("the rule itself catches a message without a full stop", () => {
    expect(SENTENCE.test("Enter your email address")).toBe(false);
    expect(SENTENCE.test("Enter your email address.")).toBe(true);
  });
});
