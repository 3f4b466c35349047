import { describe, expect, it } from "vitest";

import {
  changePasswordSchema,
  revokeSessionSchema,
  setPasswordSchema,
  unlinkIdentitySchema,
} from "@/lib/account/schemas";
import { COMMON_PASSWORDS, isCommonPassword } from "@/lib/auth/common-passwords";
import {
  codePointLength,
  hasControlCharacter,
  EMAIL_MAX_LENGTH,
  emailSchema,
  messages,
  NAME_MAX_LENGTH,
  newPasswordSchema,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  passwordMatchesEmail,
  signInSchema,
  signUpSchema,
} from "@/lib/auth/schemas";

/** The messages of a failed parse, by field ("" for the root), or the parsed data. */
function messagesOf(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) {
  if (result.success) return {};
  const byField: Record<string, string[]> = {};
  for (const issue of result.error?.issues ?? []) {
    const key = issue.path.map(String).join(".");
    (byField[key] ??= []).push(issue.message);
  }
  return byField;
}

// A "🔑" is one code point but two UTF-16 units: a password of N keys is 2N `.length`.
const keys = (count: number) => "🔑".repeat(count);

describe("emailSchema", () => {
  it("trims and lower-cases the address", () => {
    expect(emailSchema.parse("  Ada.Lovelace@Example.COM \n")).toBe("ada.lovelace@example.com");
  });

  it("refuses an empty or blank address with its own message", () => {
    expect(emailSchema.safeParse("").error?.issues[0]?.message).toBe(messages.emailRequired);
    expect(emailSchema.safeParse("   ").error?.issues[0]?.message).toBe(messages.emailRequired);
    expect(emailSchema.safeParse(undefined).error?.issues[0]?.message).toBe(messages.emailRequired);
  });

  it.each(["ada", "ada@", "@example.com", "ada@example", "ada lovelace@example.com"])(
    "refuses %j as not an email",
    (input) => {
      expect(emailSchema.safeParse(input).error?.issues[0]?.message).toBe(messages.emailInvalid);
    },
  );

  it(`accepts ${EMAIL_MAX_LENGTH} characters and refuses one more, counted after trimming`, () => {
    const address = (length: number) => `${"a".repeat(64)}@${"b".repeat(length - 69)}.com`;
    const longest = address(EMAIL_MAX_LENGTH);
    const tooLong = address(EMAIL_MAX_LENGTH + 1);
    expect(longest).toHaveLength(EMAIL_MAX_LENGTH);
    expect(tooLong).toHaveLength(EMAIL_MAX_LENGTH + 1);

    expect(emailSchema.parse(`  ${longest.toUpperCase()}  `)).toBe(longest);
    expect(messagesOf(emailSchema.safeParse(tooLong))).toEqual({ "": [messages.emailTooLong] });
  });
});

describe("newPasswordSchema", () => {
  it(`accepts ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters and refuses one fewer or one more`, () => {
    expect(PASSWORD_MIN_LENGTH).toBe(8);
    expect(PASSWORD_MAX_LENGTH).toBe(128);
    expect(newPasswordSchema.parse("zq8#Lw2v")).toBe("zq8#Lw2v");
    expect(messagesOf(newPasswordSchema.safeParse("zq8#Lw2"))).toEqual({
      "": [messages.passwordTooShort],
    });
    expect(newPasswordSchema.safeParse("x".repeat(128)).success).toBe(true);
    expect(messagesOf(newPasswordSchema.safeParse("x".repeat(129)))).toEqual({
      "": [messages.passwordTooLong],
    });
  });

  it("counts Unicode code points, so an emoji is one character", () => {
    // 4 emoji are 8 UTF-16 units but only 4 characters: too short.
    expect(keys(4)).toHaveLength(8);
    expect(messagesOf(newPasswordSchema.safeParse(keys(4)))).toEqual({
      "": [messages.passwordTooShort],
    });
    expect(newPasswordSchema.safeParse(keys(8)).success).toBe(true);
    // 128 emoji are 256 UTF-16 units but 128 characters: allowed; 129 are not.
    expect(newPasswordSchema.safeParse(keys(128)).success).toBe(true);
    expect(messagesOf(newPasswordSchema.safeParse(keys(129)))).toEqual({
      "": [messages.passwordTooLong],
    });
    expect(codePointLength("a🔑é")).toBe(3);
  });

  it("keeps spaces: they are part of the password", () => {
    expect(newPasswordSchema.parse("  correct horse  ")).toBe("  correct horse  ");
    expect(messagesOf(newPasswordSchema.safeParse("       "))).toEqual({
      "": [messages.passwordTooShort],
    });
  });

  it("asks for no mix of character classes", () => {
    for (const password of ["abcdefghqz", "ZZZZYYYYXXX", "9081726354", "!!@@##$$%%^^"]) {
      expect(newPasswordSchema.safeParse(password).success).toBe(true);
    }
  });

  it.each(["password", "12345678", "qwerty123", "iloveyou", "PassWord1", "QWERTY123", "Pass@123"])(
    "refuses the common password %j, whatever its case",
    (password) => {
      expect(messagesOf(newPasswordSchema.safeParse(password))).toEqual({
        "": ["This password is too common. Pick something less guessable."],
      });
    },
  );

  it("says why with one message per password, the first rule broken", () => {
    expect(messages.passwordTooCommon).toBe(
      "This password is too common. Pick something less guessable.",
    );
    // "123456" is common, but too short comes first.
    expect(messagesOf(newPasswordSchema.safeParse("123456"))).toEqual({
      "": [messages.passwordTooShort],
    });
  });
});

describe("the common-password list", () => {
  it("holds at least the thousand most common passwords that pass the length rule", () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(1_000);
    for (const password of ["password", "12345678", "123456789", "qwerty123", "1q2w3e4r"]) {
      expect(COMMON_PASSWORDS.has(password)).toBe(true);
    }
  });

  it("stores lower-case entries, each long enough to pass the length rule (no dead weight)", () => {
    const offenders = [...COMMON_PASSWORDS].filter(
      (entry) =>
        entry !== entry.toLowerCase() ||
        codePointLength(entry) < PASSWORD_MIN_LENGTH ||
        /\s/.test(entry),
    );
    expect(offenders).toEqual([]);
  });

  it("is looked up case-insensitively and exactly", () => {
    expect(isCommonPassword("IloveYou")).toBe(true);
    expect(isCommonPassword("iloveyou but longer")).toBe(false);
  });
});

describe("passwordMatchesEmail", () => {
  it("matches the address or its local part, ignoring case", () => {
    expect(passwordMatchesEmail("Ada.Lovelace@Example.com", "ada.lovelace@example.com")).toBe(true);
    expect(passwordMatchesEmail("ADA.LOVELACE", "ada.lovelace@example.com")).toBe(true);
    expect(passwordMatchesEmail("ada.lovelace1", "ada.lovelace@example.com")).toBe(false);
    expect(passwordMatchesEmail("example.com", "ada.lovelace@example.com")).toBe(false);
    expect(passwordMatchesEmail("", "")).toBe(false);
  });
});

describe("signUpSchema", () => {
  const valid = { email: " Ada@Example.com ", password: "analytical engine 1843" };

  it("normalizes the email and keeps the password as typed", () => {
    expect(signUpSchema.parse(valid)).toEqual({
      email: "ada@example.com",
      password: "analytical engine 1843",
    });
  });

  it("trims the name, drops a blank one, and caps it at the limit in code points", () => {
    expect(signUpSchema.parse({ ...valid, name: "  Ada Lovelace " }).name).toBe("Ada Lovelace");
    expect(signUpSchema.parse({ ...valid, name: "   " }).name).toBeUndefined();
    expect(signUpSchema.parse({ ...valid, name: keys(NAME_MAX_LENGTH) }).name).toBe(
      keys(NAME_MAX_LENGTH),
    );
    expect(messagesOf(signUpSchema.safeParse({ ...valid, name: "n".repeat(101) }))).toEqual({
      name: [messages.nameTooLong],
    });
  });

  it("refuses a password equal to the email or its local part, on the password field", () => {
    expect(
      messagesOf(signUpSchema.safeParse({ email: "Ada.Byron@example.com", password: "ada.byron" })),
    ).toEqual({ password: [messages.passwordIsEmail] });
    expect(
      messagesOf(
        signUpSchema.safeParse({
          email: "ada.byron@example.com",
          password: "ADA.BYRON@EXAMPLE.COM",
        }),
      ),
    ).toEqual({ password: [messages.passwordIsEmail] });
  });

  it("applies the new-password rules and reports each field once", () => {
    expect(
      messagesOf(signUpSchema.safeParse({ email: "password@x.io", password: "password" })),
    ).toEqual({ password: [messages.passwordTooCommon] });
    expect(messagesOf(signUpSchema.safeParse({ email: "nope", password: "nope" }))).toEqual({
      email: [messages.emailInvalid],
      password: [messages.passwordTooShort],
    });
    expect(messagesOf(signUpSchema.safeParse({}))).toEqual({
      email: [messages.emailRequired],
      password: [messages.passwordRequired],
    });
  });
});

describe("signInSchema", () => {
  it("normalizes the email and keeps the password as typed", () => {
    expect(signInSchema.parse({ email: " Ada@Example.COM", password: " secret " })).toEqual({
      email: "ada@example.com",
      password: " secret ",
    });
  });

  it("accepts short and common passwords, so accounts made under older rules still sign in", () => {
    for (const password of ["a", "1234", "password", "iloveyou", "ada"]) {
      expect(signInSchema.safeParse({ email: "ada@example.com", password }).success).toBe(true);
    }
  });

  it("accepts a password equal to the email (the policy is for new passwords only)", () => {
    expect(
      signInSchema.safeParse({ email: "ada@example.com", password: "ada@example.com" }).success,
    ).toBe(true);
  });

  it("refuses an empty password and one longer than the maximum in code points", () => {
    expect(messagesOf(signInSchema.safeParse({ email: "ada@example.com", password: "" }))).toEqual({
      password: [messages.passwordRequired],
    });
    expect(
      signInSchema.safeParse({ email: "ada@example.com", password: keys(PASSWORD_MAX_LENGTH) })
        .success,
    ).toBe(true);
    expect(
      messagesOf(
        signInSchema.safeParse({
          email: "ada@example.com",
          password: keys(PASSWORD_MAX_LENGTH + 1),
        }),
      ),
    ).toEqual({ password: [messages.passwordTooLong] });
  });
});

describe("control characters, in every text field of the shared schemas", () => {
  // NUL (what reached PostgreSQL as 22021), other C0 controls, DEL, a C1 control, a lone
  // surrogate (not a character at all).
  const controls = ["\u0000", "\u0007", "\t", "\n", "\r", "\u001b", "\u007f", "\u0085", "\ud800"];
  const valid = { email: "ada@example.com", password: "analytical engine 1843" };

  it("hasControlCharacter finds each of them and nothing in ordinary text", () => {
    for (const control of controls) expect(hasControlCharacter(`a${control}b`)).toBe(true);
    // Emoji with joiners and variation selectors, right-to-left text, a no-break space.
    for (const text of ["👩‍👩‍👧", "❤️", "אדה לאבלייס", "Ada\u00a0Lovelace", "Zoë Ø'Brien-Ünal"]) {
      expect(hasControlCharacter(text)).toBe(false);
    }
  });

  it.each(controls)(
    "sign-up refuses %j inside the name, email or password, at that field",
    (control) => {
      expect(
        messagesOf(signUpSchema.safeParse({ ...valid, name: `Ada${control}Lovelace` })),
      ).toEqual({
        name: [messages.nameControlCharacters],
      });
      expect(
        messagesOf(signUpSchema.safeParse({ ...valid, email: `ada${control}@example.com` })),
      ).toEqual({
        email: [messages.emailControlCharacters],
      });
      expect(
        messagesOf(signUpSchema.safeParse({ ...valid, password: `analytical${control}engine` })),
      ).toEqual({ password: [messages.passwordControlCharacters] });
    },
  );

  it("gives that one reason first, before length or format rules", () => {
    expect(
      messagesOf(signUpSchema.safeParse({ email: "\u0000", password: "\u0000", name: "\u0000" })),
    ).toEqual({
      email: [messages.emailControlCharacters],
      password: [messages.passwordControlCharacters],
      name: [messages.nameControlCharacters],
    });
    expect(messagesOf(newPasswordSchema.safeParse("\u0000".repeat(200)))).toEqual({
      "": [messages.passwordControlCharacters],
    });
  });

  it("drops surrounding whitespace before checking, as it is never stored", () => {
    expect(
      signUpSchema.parse({ ...valid, email: "\tada@example.com\n", name: "\n Ada \t" }),
    ).toEqual({
      ...valid,
      name: "Ada",
    });
  });

  it("refuses only NUL in a password being checked: an existing one may hold a pasted tab", () => {
    expect(messagesOf(signInSchema.safeParse({ ...valid, password: "pass\u0000word" }))).toEqual({
      password: [messages.passwordNul],
    });
    expect(signInSchema.safeParse({ ...valid, password: "pass\tword\u0007" }).success).toBe(true);
    expect(
      messagesOf(signInSchema.safeParse({ ...valid, email: "ada\u0000@example.com" })),
    ).toEqual({
      email: [messages.emailControlCharacters],
    });
  });

  it("holds on the account page's schemas too", () => {
    const change = { currentPassword: "old one", newPassword: "analytical engine 1843" };
    expect(
      messagesOf(changePasswordSchema.safeParse({ ...change, currentPassword: "old\u0000" })),
    ).toEqual({ currentPassword: [messages.passwordNul] });
    expect(changePasswordSchema.safeParse({ ...change, currentPassword: "old\tone" }).success).toBe(
      true,
    );
    expect(
      messagesOf(
        changePasswordSchema.safeParse({ ...change, newPassword: "analytical\u0000engine" }),
      ),
    ).toEqual({ newPassword: [messages.passwordControlCharacters] });
    expect(
      messagesOf(
        setPasswordSchema.safeParse({ email: "a\u0000@example.com", password: valid.password }),
      ),
    ).toEqual({ email: [messages.emailControlCharacters] });
    // Row ids answer like any id that is not ours; a NUL never reaches the database.
    expect(messagesOf(unlinkIdentitySchema.safeParse({ accountId: "ckx\u0000" }))).toEqual({
      accountId: ["Unknown id."],
    });
    expect(messagesOf(revokeSessionSchema.safeParse({ sessionId: "\u0000" }))).toEqual({
      sessionId: ["Unknown id."],
    });
  });
});
