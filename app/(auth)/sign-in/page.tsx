import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";

import { describeAuthError } from "@/lib/auth/error-messages";
import { PasswordSignInForm } from "@/components/auth/password-sign-in-form";
import { ProviderButtons } from "@/components/auth/provider-buttons";
import { CheckIcon } from "@/components/account/feedback";
import { searchParam, withCallbackUrl, type SearchParams } from "@/lib/http/search-params";
import { pageSession } from "@/lib/root/auth";
import { configuredProviders, providerSetupNote } from "@/lib/auth/providers";
import { ProviderSetupNote } from "@/components/dev/provider-setup-note";
import { safeRedirectPath } from "@/lib/auth/redirect";
import { getServices } from "@/lib/root";
import { requiresSecondFactor } from "@/lib/auth/second-factor";
import { SecondFactorForm } from "@/components/auth/second-factor-form";
import { passkeyRelyingParty } from "@/lib/auth/passkey-ceremony";

export const metadata: Metadata = { title: "Sign in" };

// Reads the session cookie and the settings on every request; never prerendered at build
// (which would open the database while building).
export const dynamic = "force-dynamic";

interface SignInPageProps {
  searchParams: Promise<SearchParams>;
}

export default async function SignInPage({ searchParams }: SignInPageProps) {
  const params = await searchParams;
  const { settings } = getServices();
  // Only ever a same-origin path: it goes into links and hidden fields, and the redirect
  // below, so an attacker's `?callbackUrl=https://evil.example` ends up as "/".
  const callbackUrl = safeRedirectPath(searchParam(params, "callbackUrl"), settings.appUrl);

  // `reauth=1`: a signed-in person sent here to prove it is still them before a sensitive
  // change (lib/auth/recent-sign-in.ts). Anyone else who is signed in has nothing to do here.
  const session = await pageSession();
  const reauth = searchParam(params, "reauth") === "1" && Boolean(session?.user);
  if (session?.user && !reauth) redirect(callbackUrl);

  // Confirming it's you: a code from the authenticator app does instead of a full sign-in.
  const withCode =
    reauth && session?.user?.id
      ? await requiresSecondFactor(getServices().database.prisma, session.user.id)
      : false;

  // Passkeys where browsers allow them for APP_URL; confirming it's you, only for an account
  // that has one (the provider takes only the signed-in user's own).
  const passkeysHere = passkeyRelyingParty(settings.appUrl) !== null;
  const withPasskey =
    passkeysHere &&
    (!reauth ||
      (session?.user?.id
        ? (await getServices().database.prisma.passkey.count({
            where: { userId: session.user.id },
          })) > 0
        : false));

  const providers = configuredProviders(settings.auth);
  const setupNote = reauth ? null : providerSetupNote(settings);
  const passwordEnabled = settings.auth.passwordEnabled;
  // Auth.js sends sign-in failures back here as `?error=<code>`. Only the mapped copy is
  // shown, never the raw parameter.
  const rawError = searchParam(params, "error");
  const error = rawError === undefined ? null : describeAuthError(rawError);
  // Where "Sign out everywhere" ends (lib/actions/account/sessions.ts): say it worked.
  const signedOutEverywhere = searchParam(params, "signedOut") === "everywhere" && !error;

  return (
    <>
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">
        {reauth ? "Confirm it's you" : "Sign in to Gatehouse"}
      </h1>
      {reauth ? (
        <p className="mt-3 text-muted">
          {withCode
            ? `That change needs a recent sign-in. Enter a code from your authenticator app, ${withPasskey ? "use your passkey " : ""}or sign in again with any method linked to your account, and we will take you back.`
            : `That change needs a recent sign-in. ${withPasskey ? "Use your passkey or sign" : "Sign"} in again with any method linked to your account, and we will take you back.`}
        </p>
      ) : providers.length > 0 ? (
        <p className="mt-3 text-muted">
          With an account you already have. New here? Your first sign-in with a provider creates
          your Gatehouse account.
        </p>
      ) : passwordEnabled ? (
        <p className="mt-3 text-muted">With your email and password.</p>
      ) : null}

      {signedOutEverywhere ? (
        <div
          role="status"
          className="mt-8 flex items-start gap-2.5 rounded-control border border-success/50 bg-success/8 px-4 py-3"
        >
          <CheckIcon />
          <p>
            <span className="font-bold">You&apos;re signed out everywhere.</span> Every device that
            was signed in to your account, this one too, needs to sign in again.
          </p>
        </div>
      ) : null}

      {error ? (
        <div
          role="alert"
          className="mt-8 rounded-control border border-danger/50 bg-danger/8 px-4 py-3"
        >
          <p className="font-bold">{error.title}</p>
          <p className="mt-1">
            {error.message} {error.nextStep}
          </p>
        </div>
      ) : null}

      {withCode ? (
        <section aria-labelledby="confirm-with-code" className="mt-8">
          <h2 id="confirm-with-code" className="mb-4 text-xl font-bold">
            With your authenticator app
          </h2>
          <SecondFactorForm kind="totp" callbackUrl={callbackUrl} />
          <div className="my-8 flex items-center gap-4 text-sm font-semibold text-muted">
            <span aria-hidden="true" className="h-px flex-1 bg-border" />
            <span>or sign in again</span>
            <span aria-hidden="true" className="h-px flex-1 bg-border" />
          </div>
        </section>
      ) : null}

      {providers.length > 0 || withPasskey ? (
        <div className={withCode ? "" : "mt-8"}>
          <ProviderButtons
            providers={providers}
            callbackUrl={callbackUrl}
            // The email field's autofill offers passkeys on a first sign-in, not when
            // confirming it's you (the address is filled in already).
            passkey={withPasskey ? { autofill: passwordEnabled && !reauth } : null}
          />
        </div>
      ) : null}

      {setupNote ? (
        <ProviderSetupNote note={setupNote} className={providers.length > 0 ? "mt-4" : "mt-8"} />
      ) : null}

      {(providers.length > 0 || withPasskey) && passwordEnabled ? (
        <div className="my-8 flex items-center gap-4 text-sm font-semibold text-muted">
          <span aria-hidden="true" className="h-px flex-1 bg-border" />
          <span>or</span>
          <span aria-hidden="true" className="h-px flex-1 bg-border" />
        </div>
      ) : null}

      {passwordEnabled ? (
        <div className={providers.length > 0 || withPasskey || withCode ? "" : "mt-8"}>
          <PasswordSignInForm
            callbackUrl={callbackUrl}
            passkeyAutofill={withPasskey && !reauth}
            email={reauth ? (session?.user?.email ?? undefined) : undefined}
            showForgotPassword={!reauth}
          />
          {reauth ? null : (
            <p className="mt-6 text-muted">
              No account yet?{" "}
              <Link
                href={withCallbackUrl("/sign-up", callbackUrl)}
                className="rounded-sm font-semibold text-brand underline underline-offset-4 hover:no-underline"
              >
                Create one with a password
              </Link>
            </p>
          )}
        </div>
      ) : null}

      {providers.length === 0 && !passwordEnabled ? (
        <p className="mt-8 rounded-control border border-border bg-raised px-4 py-3">
          No sign-in method is turned on for this site yet. The people who run it can enable one in
          its settings.
        </p>
      ) : null}
    </>
  );
}
