import type { Metadata } from "next";
import Link from "next/link";

import { describeAuthError } from "@/lib/auth/error-messages";
import { searchParam, type SearchParams } from "@/lib/http/search-params";
import { buttonClasses } from "@/components/ui/button";

export const metadata: Metadata = {
  title: "Sign-in problem",
  // A page about one person's failed attempt: nothing for a search engine.
  robots: { index: false },
};

interface AuthErrorPageProps {
  searchParams: Promise<SearchParams>;
}

/**
 * Where Auth.js (pages.error), our signIn callback and the sign-in actions send a failed
 * sign-in. Every code, known or not, becomes fixed copy: the query string is chosen by
 * whoever made the link, so none of it is reflected into the page.
 */
export default async function AuthErrorPage({ searchParams }: AuthErrorPageProps) {
  const params = await searchParams;
  const copy = describeAuthError(searchParam(params, "error"), searchParam(params, "provider"));

  return (
    <div className="mx-auto flex w-full max-w-page flex-1 flex-col justify-center px-5 py-16 sm:px-8">
      <div className="max-w-2xl" data-error-code={copy.code}>
        <p className="text-sm font-bold tracking-wide text-danger uppercase">Sign-in problem</p>
        <h1 className="mt-2 text-3xl font-black tracking-tight text-balance sm:text-5xl">
          {copy.title}
        </h1>
        <p className="mt-4 text-lg text-pretty">{copy.message}</p>
        <p className="mt-3 text-lg text-pretty text-muted">{copy.nextStep}</p>
        <div className="mt-8 flex flex-wrap gap-3">
          <Link href="/sign-in" className={buttonClasses()}>
            Back to sign in
          </Link>
          <Link href="/" className={buttonClasses({ variant: "secondary" })}>
            Go to the home page
          </Link>
        </div>
      </div>
    </div>
  );
}
