// What a password form shows for an action's answer (components/forms/use-action-form.ts):
// the same rules for the sign-in and sign-up forms and the account page's password forms.
import { describe, expect, it } from "vitest";

import { formAnswer } from "@/components/forms/use-action-form";

const fields = ["currentPassword", "newPassword"] as const;

describe("formAnswer", () => {
  it("is a success when the action answered without a refusal", () => {
    expect(formAnswer({ data: { signedOutSessions: 2 } }, fields)).toEqual({
      ok: true,
      data: { signedOutSessions: 2 },
    });
    // An action that ends without data (its redirect did not happen) is no refusal either.
    expect(formAnswer(undefined, fields)).toEqual({ ok: true, data: undefined });
  });

  it("puts field errors at their fields and focuses the first in the form's order", () => {
    const answer = formAnswer(
      {
        validationErrors: {
          formErrors: [],
          fieldErrors: { newPassword: ["Use at least 8 characters"], currentPassword: ["Wrong"] },
        },
      },
      fields,
    );
    expect(answer).toEqual({
      ok: false,
      message: undefined,
      fieldErrors: { newPassword: "Use at least 8 characters", currentPassword: "Wrong" },
      focus: "currentPassword",
    });
  });

  it("shows the action's own form message next to its field errors (sign-up)", () => {
    const answer = formAnswer(
      {
        validationErrors: {
          formErrors: ["Please fix the highlighted fields."],
          fieldErrors: { name: ["Your name can't contain invisible characters"] },
        },
      },
      ["email", "password", "name"] as const,
    );
    expect(answer).toMatchObject({
      ok: false,
      message: "Please fix the highlighted fields.",
      focus: "name",
    });
  });

  it("shows a refusal no field explains as the form's message", () => {
    expect(formAnswer({ serverError: "Too many attempts." }, fields)).toEqual({
      ok: false,
      message: "Too many attempts.",
      fieldErrors: {},
      focus: undefined,
    });
    // A field the form does not show (an email the account already has) still says why.
    expect(
      formAnswer(
        { validationErrors: { formErrors: [], fieldErrors: { email: ["Email taken"] } } },
        fields,
      ),
    ).toMatchObject({ ok: false, message: "Email taken", focus: undefined });
  });
});
