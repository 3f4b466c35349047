// Zod schemas for email + password forms, shared by the forms and the server actions so
// both say the same thing. Messages are exported so the UI and the tests agree on them.
//
// Password policy (NIST SP 800-63B): a length floor and ceiling, no composition rules
// ("one digit, one symbol" makes passwords harder to remember, not harder to guess), and
// a refusal of the most common passwords and of the account's own email. Lengths count
// Unicode code points, not UTF-16 units, so "🔑" is one character, as a person sees it.
//
// Control characters: every text field refuses them with its own field error, through
// one helper (withoutControlCharacters), before any other rule and before the action
// spends a rate-limit budget. A NUL reached PostgreSQL as error 22021 ("Something went
// wrong on our side"); the others are invisible, break copy and paste, and can forge
// lines wherever a value is displayed. See the helper for what counts and for passwords.
import { z } from "zod";

import { isCommonPassword } from "@/lib/auth/common-passwords";
import { normalizeEmail } from "@/lib/email";

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

/**
 * Every refusal is a sentence and ends with a full stop, as do the other message catalogues
 * (tests/unit/message-style.test.ts checks them all).
 */
export const messages = {
  emailRequired: "Enter your email address.",
  emailInvalid: "Enter a valid email address, like name@example.com.",
  emailTooLong: `An email address has at most ${EMAIL_MAX_LENGTH} characters.`,
  passwordRequired: "Enter your password.",
  passwordTooShort: `Use at least ${PASSWORD_MIN_LENGTH} characters.`,
  passwordTooLong: `Use at most ${PASSWORD_MAX_LENGTH} characters.`,
  passwordTooCommon: "This password is too common. Pick something less guessable.",
  passwordIsEmail: "Don't use your email address as your password.",
  nameTooLong: `Use at most ${NAME_MAX_LENGTH} characters for your name.`,
  emailControlCharacters:
    "An email address can't contain invisible characters such as tabs or line breaks.",
  nameControlCharacters:
    "Your name can't contain invisible characters such as tabs or line breaks.",
  passwordControlCharacters:
    "A password can't contain invisible control characters such as tabs or line breaks.",
  passwordNul: "A password can't contain a NUL character.",
  // Says that the account exists, as sign-up has to until it confirms addresses by email.
} as const;

/**
 * The password rule as people read it, wherever a new password is chosen (sign-up, set and
 * change password), from the constants newPasswordSchema enforces. NIST SP 800-63B: length,
 * not composition, plus a check against commonly used passwords.
 */
export const PASSWORD_HINT = `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters. Spaces and symbols are fine; no mix of letters, numbers or symbols is required. Very common passwords and your email address are refused.`;

/** Length as a person counts it: Unicode code points (an emoji is one, not two). */
export function codePointLength(value: string): number {
  let length = 0;
  // Iterating a string walks code points, so a surrogate pair counts once.
  for (const _ of value) length++;
  return length;
}

/**
 * Unicode's control characters (category Cc: C0 including NUL, tab and line breaks, DEL,
 * C1) and lone UTF-16 surrogates (Cs; a string from JSON can carry one, and it is not a
 * character at all). Format characters such as zero-width joiners stay allowed: emoji and
 * many scripts need them.
 */
const CONTROL_CHARACTER = /[\p{Cc}\p{Cs}]/u;

export function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTER.test(value);
}

/**
 * The shared rule for text fields: refuses control characters with `message`, and stops
 * there (`abort`), so the field shows this one reason and nothing after it runs on the
 * value. Put it after trim() where the field is trimmed: surrounding whitespace (a pasted
 * trailing newline) is dropped, not refused; what would be stored is checked.
 *
 * Passwords that someone is choosing now get it in full: a control character cannot be
 * typed, so one arrives by pasting and would lock its owner out of any device that cannot
 * paste it. Passwords being checked (sign-in, the current password) refuse only NUL, which
 * no browser sends: an existing password with, say, a pasted tab must keep working.
 */
export function withoutControlCharacters<Schema extends z.ZodString>(
  schema: Schema,
  message: string,
): Schema {
  return schema.refine((value) => !hasControlCharacter(value), { message, abort: true });
}

/** NUL only: for passwords being checked, see withoutControlCharacters. */
function withoutNul<Schema extends z.ZodString>(schema: Schema): Schema {
  return schema.refine((value) => !value.includes("\u0000"), {
    message: messages.passwordNul,
    abort: true,
  });
}

export const emailSchema = withoutControlCharacters(
  z.string({ error: messages.emailRequired }).overwrite(normalizeEmail),
  messages.emailControlCharacters,
)
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
export const newPasswordSchema = withoutControlCharacters(
  z.string({ error: messages.passwordRequired }),
  messages.passwordControlCharacters,
).superRefine((password, ctx) => {
  const length = codePointLength(password);
  if (length < PASSWORD_MIN_LENGTH) {
    ctx.addIssue({ code: "custom", message: messages.passwordTooShort });
  } else if (length > PASSWORD_MAX_LENGTH) {
    ctx.addIssue({ code: "custom", message: messages.passwordTooLong });
  } else if (isCommonPassword(password)) {
    ctx.addIssue({ code: "custom", message: messages.passwordTooCommon });
  }
});

const nameSchema = withoutControlCharacters(z.string().trim(), messages.nameControlCharacters)
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
  password: withoutNul(z.string({ error: messages.passwordRequired }))
    .min(1, messages.passwordRequired)
    .refine((password) => codePointLength(password) <= PASSWORD_MAX_LENGTH, {
      message: messages.passwordTooLong,
    }),
});

/** For the current password on the account page: checked like a sign-in's. */
export const existingPasswordSchema = (maxLength: number) =>
  withoutNul(z.string({ error: messages.passwordRequired }))
    .min(1, messages.passwordRequired)
    .max(maxLength, messages.passwordTooLong);
