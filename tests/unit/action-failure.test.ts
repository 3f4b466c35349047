// What a form says when its server action call fails before the action answers
// (components/forms/action-failure.ts). The browser side of the same, against the real server,
// is in e2e/bad-input.test.ts.
import { UnrecognizedActionError } from "next/dist/client/components/unrecognized-action-error";
import { redirect } from "next/navigation";
import { describe, expect, it } from "vitest";

import {
  actionErrorMessage,
  catchThrownAction,
  CONNECTION_ERROR,
  thrownActionMessage,
} from "@/components/forms/action-failure";
import {
  BODY_TOO_LARGE_MESSAGE,
  CROSS_ORIGIN_MESSAGE,
  STALE_PAGE_MESSAGE,
} from "@/lib/http/refusal-messages";

describe("thrownActionMessage", () => {
  it("asks for a reload when the server no longer knows the action (a deploy since the page loaded)", () => {
    expect(
      thrownActionMessage(new UnrecognizedActionError('Server Action "7f…" was not found')),
    ).toBe(STALE_PAGE_MESSAGE);
  });

  it("shows our own refusals (the text of proxy.ts's text/plain answer) as they are", () => {
    expect(thrownActionMessage(new Error(BODY_TOO_LARGE_MESSAGE))).toBe(BODY_TOO_LARGE_MESSAGE);
    expect(thrownActionMessage(new Error(CROSS_ORIGIN_MESSAGE))).toBe(CROSS_ORIGIN_MESSAGE);
  });

  it("never shows any other error's text", () => {
    for (const error of [
      new TypeError("Failed to fetch"),
      new Error("An unexpected response was received from the server."),
      new Error("internal: connect ECONNREFUSED 10.0.0.7:5432"),
      "a string",
      undefined,
    ]) {
      expect(thrownActionMessage(error)).toBe(CONNECTION_ERROR);
    }
  });

  it("is what the account page's sections say for a thrown error", () => {
    expect(actionErrorMessage({ thrownError: new UnrecognizedActionError("gone") })).toBe(
      STALE_PAGE_MESSAGE,
    );
    // The action's own answers still come first.
    expect(actionErrorMessage({ serverError: "Not found", thrownError: new Error("x") })).toBe(
      "Not found",
    );
  });
});

describe("catchThrownAction", () => {
  interface State {
    message?: string;
    email?: string;
  }
  const form = new FormData();
  form.set("email", "ada@example.com");

  it("turns a failed call into the state the form shows, with what was typed", async () => {
    const action = catchThrownAction<State>(
      () => Promise.reject(new UnrecognizedActionError("gone")),
      (message, formData) => ({ message, email: formData.get("email") as string }),
    );
    expect(await action({}, form)).toEqual({
      message: STALE_PAGE_MESSAGE,
      email: "ada@example.com",
    });
  });

  it("passes the action's own answer through untouched", async () => {
    const action = catchThrownAction<State>(
      () => Promise.resolve({ message: "That email and password do not match an account." }),
      () => ({ message: "unused" }),
    );
    expect(await action({}, form)).toEqual({
      message: "That email and password do not match an account.",
    });
  });

  it("lets Next's redirect (a successful sign-in) through", async () => {
    const action = catchThrownAction<State>(
      () =>
        new Promise<State>(() => {
          redirect("/account");
        }),
      () => ({ message: "unused" }),
    );
    // redirect() throws synchronously inside the executor: the promise rejects with it.
    await expect(action({}, form)).rejects.toMatchObject({
      digest: expect.stringMatching(/^NEXT_REDIRECT;/) as unknown,
    });
  });
});
