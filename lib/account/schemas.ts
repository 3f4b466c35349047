// Inputs of the account page's actions. The forms import these too, so both sides agree
// on names, limits and messages (lib/actions/account.ts validates with them on the server).
import { z } from "zod";

import { passkeyResponseSchema } from "@/lib/auth/passkey-ceremony";
import { PASSKEY_NAME_MAX_LENGTH } from "@/lib/auth/passkeys/names";
import { OAUTH_PROVIDER_IDS } from "@/lib/sign-in-methods";
import {
  emailSchema,
  existingPasswordSchema,
  newPasswordSchema,
  PASSWORD_MAX_LENGTH,
  withoutControlCharacters,
} from "@/lib/auth/schemas";

/**
 * Row ids are cuids; the bounds only keep junk out of queries and logs. A control character
 * (a NUL reached PostgreSQL as error 22021) answers like any id that is not ours.
 */
const rowId = withoutControlCharacters(z.string().trim(), "Unknown id.")
  .min(1, "Missing id.")
  .max(64, "Unknown id.");

export const providerIdSchema = z.enum(OAUTH_PROVIDER_IDS, {
  error: "Unknown sign-in method.",
});

export const linkProviderSchema = z.object({ provider: providerIdSchema });

export const unlinkIdentitySchema = z.object({
  accountId: rowId,
  /**
   * Unlinking Telegram whose chat gets the alerts: keep them coming (the default: taking a
   * way in away should not silently stop the alerts too), or stop them as well.
   */
  keepAlerts: z.boolean().default(true),
});

export const revokeSessionSchema = z.object({ sessionId: rowId });

/**
 * The current password as typed: any non-empty string up to the length cap, without NUL
 * (checked like a sign-in's password: an existing password may hold a pasted tab).
 */
const currentPasswordSchema = existingPasswordSchema(PASSWORD_MAX_LENGTH * 4);

export const setPasswordSchema = z.object({
  /** Only when the account has no email yet (a Stack Overflow account, say). */
  email: z
    .string()
    .optional()
    .transform((value) => (value?.trim() ? value : undefined))
    .pipe(emailSchema.optional()),
  password: newPasswordSchema,
});

export const changePasswordSchema = z.object({
  currentPassword: currentPasswordSchema,
  newPassword: newPasswordSchema,
  /** "Sign out my other sessions": on by default, as a changed password usually means worry. */
  signOutOtherSessions: z.boolean().default(true),
});

export type SetPasswordInput = z.input<typeof setPasswordSchema>;
export type ChangePasswordInput = z.input<typeof changePasswordSchema>;

/** "Change email" / "Add email": the new address (a link to it confirms the change). */
export const changeEmailSchema = z.object({ email: emailSchema });

/** The confirmation link's token, as posted back by its landing page (checked when used). */
export const confirmEmailChangeSchema = z.object({ token: z.string().max(128) });

export type ChangeEmailInput = z.input<typeof changeEmailSchema>;

export const TOTP_CODE_MESSAGE = "Enter the 6-digit code from your authenticator app.";

/**
 * "Turn on": a code from the app. Spaces are dropped (apps show "123 456"); anything but six
 * ASCII digits is refused here, before it costs a try of the code budget.
 */
export const confirmTwoStepSchema = z.object({
  code: z
    .string(TOTP_CODE_MESSAGE)
    .max(64, TOTP_CODE_MESSAGE)
    .transform((value) => value.replace(/\s+/gu, ""))
    .pipe(z.string().regex(/^[0-9]{6}$/, TOTP_CODE_MESSAGE)),
});

export type ConfirmTwoStepInput = z.input<typeof confirmTwoStepSchema>;
/**
 * A passkey's name as typed: bounded here (8 × the longest name, like the service's own
 * bound), normalized and checked by the passkey services (lib/auth/passkeys/names.ts).
 */
const passkeyNameSchema = z.string().max(PASSKEY_NAME_MAX_LENGTH * 8, "That name is too long.");

/** "Add a passkey": the browser's answer, and a name (blank: where and when it was made). */
export const finishPasskeyRegistrationSchema = z.object({
  response: passkeyResponseSchema,
  name: passkeyNameSchema.optional(),
});

export const renamePasskeySchema = z.object({ passkeyId: rowId, name: passkeyNameSchema });

export const removePasskeySchema = z.object({ passkeyId: rowId });

/** "Approve new sign-ins in Telegram": on or off, nothing else. */
export const setSignInApprovalSchema = z.object({
  on: z.boolean("Say whether to turn sign-in approval on or off."),
});

export type SetSignInApprovalInput = z.input<typeof setSignInApprovalSchema>;
