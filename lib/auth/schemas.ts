// Zod schemas for email + password forms, shared by the forms and the server actions so
// both say the same thing. Messages are exported so the UI and the tests agree on them.
//
// Password policy (NIST SP 800-63B): a length floor and ceiling, no composition rules
// ("one digit, one symbol" makes passwords harder to remember, not harder to guess), and
// a refusal of the most common passwords and of the account's own email. Lengths count
// Unicode code points, not UTF-16 units, so "🔑" is one character, as a person sees it.
import { z } from "zod";

import { isCommonPassword } from "@/lib/auth/common-passwords";

/** RFC 5321 caps a forward path at 256 octets, which leaves 254 for the address itself. */
export const EMAIL_MAX_LENGTH = 254;
/** NIST SP 800-63B's floor for a password chosen by its user when it is the only factor. */
export const PASSWORD_MIN_LENGTH = 8;
/**
 * Long enough for any passphrase or password manager; the cap keeps request bodies and
 * the work of the common-password check bounded (argon2 itself takes any length).
 */
export const PASSWORD_MAX_LENGTH = 128;
export const NAME_MAX_LENGTH = 100;

export const messages = {
  emailRequired: "Enter your email address",
  emailInvalid: "Enter a valid email address, like name@example.com",
  emailTooLong: `An email address has at most ${EMAIL_MAX_LENGTH} characters`,
  passwordRequired: "Enter your password",
  passwordTooShort: `Use at least ${PASSWORD_MIN_LENGTH} characters`,
  passwordTooLong: `Use at most ${PASSWORD_MAX_LENGTH} characters`,
  passwordTooCommon: "This password is too common — pick something less guessable",
  passwordIsEmail: "Don't use your email address as your password",
  nameTooLong: `Use at most ${NAME_MAX_LENGTH} characters for your name`,
  emailTaken:
    "An account with this email exists — sign in, then add a password from your account page",
} as const;

/** Length as a person counts it: Unicode code points (an emoji is one, not two). */
export function codePointLength(value: string): number {
  let length = 0;
  // Iterating a string walks code points, so a surrogate pair counts once.
  for (const _ of value) length++;
  return length;
}

/** The form of an email the database stores and looks up (users_email_normalized). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const emailSchema = z
  .string({ error: messages.emailRequired })
  .trim()
  .toLowerCase()
  .min(1, messages.emailRequired)
  // Format and length are checked after normalization, on what will be stored.
  .pipe(z.email(messages.emailInvalid).max(EMAIL_MAX_LENGTH, messages.emailTooLong));

/**
 * True when the password is the email address or its local part, ignoring case: the
 * first guess of anyone who knows whose account it is.
 */
export function passwordMatchesEmail(password: string, email: string): boolean {
  const normalizedEmail = normalizeEmail(email);
  if (normalizedEmail === "") return false;
  const candidate = password.toLowerCase();
  const at = normalizedEmail.lastIndexOf("@");
  const localPart = at > 0 ? normalizedEmail.slice(0, at) : normalizedEmail;
  return candidate === normalizedEmail || candidate === localPart;
}

/**
 * A password someone is choosing now (sign-up, set or change password). Never trimmed:
 * spaces are characters of the password. At most one message per password, the first
 * rule it breaks, so the form shows one clear reason.
 */
export const newPasswordSchema = z
  .string({ error: messages.passwordRequired })
  .superRefine((password, ctx) => {
    const length = codePointLength(password);
    if (length < PASSWORD_MIN_LENGTH) {
      ctx.addIssue({ code: "custom", message: messages.passwordTooShort });
    } else if (length > PASSWORD_MAX_LENGTH) {
      ctx.addIssue({ code: "custom", message: messages.passwordTooLong });
    } else if (isCommonPassword(password)) {
      ctx.addIssue({ code: "custom", message: messages.passwordTooCommon });
    }
  });

const nameSchema = z
  .string()
  .trim()
  .refine((name) => codePointLength(name) <= NAME_MAX_LENGTH, messages.nameTooLong)
  // A blank name means "no name", not an empty one.
  .transform((name) => (name === "" ? undefined : name))
  .optional();

export const signUpSchema = z
  .object({
    email: emailSchema,
    password: newPasswordSchema,
    name: nameSchema,
  })
  .superRefine(({ email, password }, ctx) => {
    // One reason per field: a password that already broke a rule above is not checked again.
    if (!newPasswordSchema.safeParse(password).success) return;
    if (passwordMatchesEmail(password, email)) {
      ctx.addIssue({ code: "custom", path: ["password"], message: messages.passwordIsEmail });
    }
  });

/**
 * Sign-in checks only that a password was sent and is not absurdly long. It must not
 * apply the new-password policy: accounts created before a rule existed (or under a
 * shorter minimum) must still sign in, and a sign-in error that quoted the policy would
 * tell an attacker which guesses cannot be anyone's password. Callers answer every
 * failure with one generic message.
 */
export const signInSchema = z.object({
  email: emailSchema,
  password: z
    .string({ error: messages.passwordRequired })
    .min(1, messages.passwordRequired)
    .refine((password) => codePointLength(password) <= PASSWORD_MAX_LENGTH, {
      message: messages.passwordTooLong,
    }),
});

export type SignUpInput = z.output<typeof signUpSchema>;
export type SignInInput = z.output<typeof signInSchema>;
