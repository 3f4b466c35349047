import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";

import { searchParam, withCallbackUrl, type SearchParams } from "@/lib/http/search-params";
import { SignUpForm } from "@/components/auth/sign-up-form";
import { pageSession } from "@/lib/root/auth";
import { safeRedirectPath } from "@/lib/auth/redirect";
import { PASSWORD_HINT } from "@/lib/auth/schemas";
import { getServices } from "@/lib/root";
import { configuredProviders, providerSetupNote } from "@/lib/auth/providers";
import { ProviderSetupNote } from "@/components/dev/provider-setup-note";
import { OAUTH_PROVIDER_NAME } from "@/lib/sign-in-methods";

export const metadata: Metadata = { title: "Create an account" };

// Reads the session cookie and the settings on every request (see the sign-in page).
export const dynamic = "force-dynamic";

/** "Google", "Google or GitHub", "Google, GitHub or Stack Overflow". */
function orList(names: string[]): string {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

interface SignUpPageProps {
  searchParams: Promise<SearchParams>;
}

export default async function SignUpPage({ searchParams }: SignUpPageProps) {
  const params = await searchParams;
  const { settings } = getServices();
  const callbackUrl = safeRedirectPath(searchParam(params, "callbackUrl"), settings.appUrl);

  const session = await pageSession();
  if (session?.user) redirect(callbackUrl);

  const signInHref = withCallbackUrl("/sign-in", callbackUrl);
  // Only the providers this site has (their plain names: a stand-in is still "Google" here).
  const providerNames = configuredProviders(settings.auth).map((p) => OAUTH_PROVIDER_NAME[p.id]);
  const setupNote = providerSetupNote(settings);
  const linkClass =
    "rounded-sm font-semibold text-brand underline underline-offset-4 hover:no-underline";

  if (!settings.auth.passwordEnabled) {
    return (
      <>
        <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">
          Create an account
        </h1>
        <p className="mt-4 text-lg text-muted">
          This site does not use passwords. Sign in with one of its providers instead: the first
          sign-in creates your account.
        </p>
        <p className="mt-6">
          <Link href={signInHref} className={linkClass}>
            Go to sign in
          </Link>
        </p>
      </>
    );
  }

  return (
    <>
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">
        Create an account
      </h1>
      <p className="mt-3 text-muted">
        With an email and a password.
        {providerNames.length > 0
          ? ` You can link ${orList(providerNames)} later from your account page.`
          : null}
      </p>
      {setupNote ? <ProviderSetupNote note={setupNote} className="mt-4" /> : null}
      <div className="mt-8">
        <SignUpForm signInHref={signInHref} passwordHint={PASSWORD_HINT} />
      </div>
      <p className="mt-6 text-muted">
        Already have an account?{" "}
        <Link href={signInHref} className={linkClass}>
          Sign in
        </Link>
      </p>
    </>
  );
}
