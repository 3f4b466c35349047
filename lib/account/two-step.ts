// The names an authenticator app shows above an account's codes: the site, and which of the
// person's accounts it is. Both go into the otpauth:// URI when the app is added, and the
// app keeps them; the enrolment shown again later must carry the same ones.

/** The site's name, as the page titles and the mails give it. */
export const TOTP_ISSUER = "Gatehouse";

/** Long enough for any email the schemas accept, short enough for an app's list row. */
const LABEL_MAX_LENGTH = 254;

/**
 * The issuer and the account label: the account's email (what the person signs in with,
 * and tells two accounts on one site apart), else their name, else "Gatehouse account".
 */
export function totpLabels(user: { email: string | null; name: string | null }): {
  issuer: string;
  accountLabel: string;
} {
  const label = user.email ?? user.name?.trim() ?? "";
  return {
    issuer: TOTP_ISSUER,
    accountLabel: label ? label.slice(0, LABEL_MAX_LENGTH) : `${TOTP_ISSUER} account`,
  };
}
