// What each sign-in error code means to the person who hit it, and what to do next.
//
// Codes arrive in the query string (`?error=…`) from three places: Auth.js itself (its error
// types, and the older v4 names that links and bookmarks may still carry), our signIn
// callback (lib/auth/config.ts `policyErrors`), and the sign-in actions (`UnknownProvider`).
// The query string is attacker-controlled, so pages never print it: they print only the
// copy looked up here, and an unknown code gets the generic copy.
//
// Wording, yet in lib/ rather than components/: pages and lib/ presenters alike look codes
// up here, and lib/ never imports from components/.
import type { policyErrors } from "@/lib/auth/config";
import { providerDisplayName } from "@/lib/sign-in-methods";

type PolicyErrorCode = (typeof policyErrors)[keyof typeof policyErrors];

/** Titles are headlines, without a full stop; message and next step are sentences, with one. */
export interface AuthErrorCopy {
  /** A short headline. */
  title: string;
  /** What happened, in plain words. */
  message: string;
  /** What the person can do about it. */
  nextStep: string;
}

/** Builds the copy for a code; `provider` is a display name or null when unknown. */
type CopyFor = (provider: string | null) => AuthErrorCopy;

const oauthStartFailed: CopyFor = (provider) => ({
  title: `Could not start signing in with ${provider ?? "that provider"}`,
  message: `We could not reach ${provider ?? "the provider"} to begin signing you in.`,
  nextStep: "Try again in a moment, or use another way to sign in.",
});

const oauthCallbackFailed: CopyFor = (provider) => ({
  title: "Sign-in did not complete",
  message: `Signing in with ${provider ?? "the provider"} was cancelled, took too long, or ended with an error. Nothing was changed.`,
  nextStep: "Start again from the sign-in page, or use another way to sign in.",
});

const accountNotLinked: CopyFor = (provider) => ({
  title: "This email already has an account",
  message: `An account with the same email already exists, and ${provider ?? "this sign-in method"} is not linked to it.`,
  nextStep: `Sign in the way you did before, then link ${provider ?? "this provider"} from your account page.`,
});

const createAccountFailed: CopyFor = () => ({
  title: "We could not create your account",
  message: "Something went wrong while setting up your account. Nothing was saved.",
  nextStep: "Try again in a moment, or use another way to sign in.",
});

const defaultCopy: CopyFor = () => ({
  title: "Sign-in did not work",
  message: "Something went wrong while signing you in. Nothing was changed.",
  nextStep: "Go back to the sign-in page and try again.",
});

const copyByCode = {
  // Auth.js v5 sends this for every error it does not name to the browser — a provider
  // answering something unusable as well as a real misconfiguration — so it blames neither.
  Configuration: () => ({
    title: "Sign-in is not available right now",
    message:
      "We could not finish signing you in: the sign-in service answered something we could not use, or this site is not set up correctly. This is not something you did.",
    nextStep:
      "Try again in a moment, or use another way to sign in. If it keeps happening, tell the people who run this site.",
  }),
  AccessDenied: () => ({
    title: "Sign-in was refused",
    message: "This account is not allowed to sign in here, or the sign-in was declined.",
    nextStep: "Use another way to sign in, or ask the people who run this site for access.",
  }),
  Verification: () => ({
    title: "That sign-in link no longer works",
    message: "It has expired or has already been used.",
    nextStep: "Ask for a new link from the sign-in page.",
  }),
  OAuthSignin: oauthStartFailed,
  OAuthSignInError: oauthStartFailed,
  OAuthCallback: oauthCallbackFailed,
  OAuthCallbackError: oauthCallbackFailed,
  OAuthAccountNotLinked: accountNotLinked,
  AccountNotLinked: accountNotLinked,
  OAuthCreateAccount: createAccountFailed,
  EmailCreateAccount: createAccountFailed,
  Callback: () => ({
    title: "Sign-in could not be completed",
    message: "Something went wrong while finishing sign-in. Nothing was changed.",
    nextStep: "Start again from the sign-in page.",
  }),
  // The same words as the password form's own answer (lib/actions/auth.ts): whichever
  // path reports a failed password sign-in, it never says which half was wrong.
  CredentialsSignin: () => ({
    title: "Sign-in did not work",
    message: "That email and password do not match an account.",
    nextStep: "Check them and try again, or use another way to sign in.",
  }),
  EmailSignin: () => ({
    title: "We could not send the sign-in email",
    message: "The email with your sign-in link could not be sent.",
    nextStep: "Check the address and try again in a moment.",
  }),
  SessionRequired: () => ({
    title: "Please sign in",
    message: "You need to be signed in to see that page.",
    nextStep: "Sign in, and we will take you back there.",
  }),
  MissingCSRF: () => ({
    title: "The sign-in form expired",
    message:
      "Its security check failed, usually because the page was open for a long time or in another tab.",
    nextStep: "Reload the sign-in page and try again.",
  }),
  Default: defaultCopy,

  // Ours: the same-email policy (docs/sign-in.md, "Same email across providers").
  EmailNotVerified: (provider) => ({
    title: "Sign in the way you did before",
    message: `That ${provider ?? "provider"} account's email is not verified, and an account with that email already exists.`,
    nextStep: `Sign in the way you did before, then link ${provider ?? "this provider"} from your account page.`,
  }),
  IdentityLinkedElsewhere: (provider) => ({
    title: "That account is linked elsewhere",
    message: `That ${provider ?? "provider"} account already belongs to another Gatehouse account. Nothing was changed.`,
    nextStep:
      "Sign in with the other account to use it, or unlink it there first and then try again.",
  }),
  RecentSignInRequired: (provider) => ({
    title: "Confirm it's you first",
    message: `Linking ${provider ?? "a sign-in method"} needs a sign-in from the last few minutes. Nothing was changed.`,
    nextStep: "Sign in again, then link it from your account page.",
  }),
  UnknownProvider: () => ({
    title: "That sign-in method is not available",
    message: "The sign-in form asked for a provider this site does not offer.",
    nextStep: "Choose one of the options on the sign-in page.",
  }),
} satisfies Record<string, CopyFor> & Record<PolicyErrorCode, CopyFor>;

export type AuthErrorCode = keyof typeof copyByCode;

/** Every known code (for the tests that read all the copy). */
export const authErrorCodes = Object.keys(copyByCode) as AuthErrorCode[];

/** The known code for `raw`, or "Default". Own keys only, so "constructor" is not a code. */
export function authErrorCode(raw: string | undefined): AuthErrorCode {
  return raw !== undefined && Object.hasOwn(copyByCode, raw) ? (raw as AuthErrorCode) : "Default";
}

/** The copy for a raw `error` and `provider` pair taken from the query string. */
export function describeAuthError(
  rawCode: string | undefined,
  rawProvider?: string,
): AuthErrorCopy & { code: AuthErrorCode } {
  const code = authErrorCode(rawCode);
  return { code, ...copyByCode[code](providerDisplayName(rawProvider)) };
}
