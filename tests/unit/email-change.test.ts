// The change-of-address pieces that need no database: how the notice masks the new address,
// what the confirmation mail adds when another account has the address, and the landing
// page's words for each outcome.
import { describe, expect, it } from "vitest";

import { maskEmail } from "@/lib/account/email-change";
import { describeEmailChange } from "@/lib/account/email-change-copy";
import { renderMail } from "@/lib/mail/templates";

describe("maskEmail", () => {
  it.each([
    ["grace.hopper@example.com", "gr•••@e•••.com"],
    ["ada@example.co.uk", "a•••@e•••.uk"],
    ["x@localhost", "x•••@l•••"],
    ["not-an-address", "•••"],
  ])("%s → %s", (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it("never shows the whole local part or domain", () => {
    const masked = maskEmail("someone.private@secret-company.example");
    expect(masked).not.toContain("someone");
    expect(masked).not.toContain("secret-company");
  });
});

describe("the confirmation mail when another account has the address", () => {
  const render = (addressInUse?: "verified" | "unverified") =>
    renderMail("CHANGE_EMAIL_CONFIRM", {
      data: {
        newEmail: "new@example.com",
        expiresInMinutes: 60,
        ...(addressInUse ? { addressInUse } : {}),
      },
      link: "http://localhost:3000/confirm-email-change?token=t",
      appUrl: "http://localhost:3000",
    });

  it("says nothing of other accounts when none has it", () => {
    expect(render().text).not.toContain("account that never confirmed");
    expect(render().text).not.toContain("already has a Gatehouse account");
  });

  it("tells the mailbox that the address already has an account", () => {
    expect(render("verified").text).toContain("This address already has a Gatehouse account");
  });

  it("tells the mailbox that confirming moves an unproven address", () => {
    expect(render("unverified").text).toContain("never confirmed it");
  });
});

describe("the confirmation page's words", () => {
  it("sends a signed-in person to the account, a signed-out one to sign in", () => {
    const changed = { status: "changed", previousEmail: "a@x.io", email: "b@x.io" } as const;
    expect(describeEmailChange(changed, true).next.href).toBe("/account");
    expect(describeEmailChange(changed, false).next.href).toBe("/sign-in");
    expect(describeEmailChange(changed, false).message).toContain("b@x.io");
  });

  it("gives every refusal a title and a next step", () => {
    for (const status of ["expired", "used", "unknown", "other-account"] as const) {
      const copy = describeEmailChange({ status }, true);
      expect(copy.tone).toBe("problem");
      expect(copy.message).toMatch(/\.$/);
      expect(copy.next.href).toBe("/account");
    }
    expect(describeEmailChange({ status: "taken", newEmail: "t@x.io" }, true).message).toContain(
      "t@x.io",
    );
  });
});
