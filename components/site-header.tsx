import Link from "next/link";
import { unstable_rethrow } from "next/navigation";

import { SignInLink, SignOutButton } from "@/components/header-links";
import { signOutAction } from "@/lib/actions/auth";
import { pageSession } from "@/lib/root/auth";
import { getServices } from "@/lib/root";
import { buttonClasses } from "@/components/ui/button";

/** The product mark: a stylised gate. Decorative; the link's text names it. */
function GatehouseMark() {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="size-7 shrink-0 text-brand"
      fill="none"
      stroke="currentColor"
      strokeWidth="2.25"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="M4 21V8l8-5 8 5v13" />
      <path d="M9 21v-6a3 3 0 0 1 6 0v6" />
    </svg>
  );
}

interface HeaderUser {
  /** What the header calls the person: their name, else their email. */
  label: string;
  /** The email, when it differs from the label (shown as a second line). */
  email: string | null;
  /** The label's first character, for the phone-sized badge. */
  initial: string;
}

/**
 * The signed-in person, or null. Fails open to "signed out" on purpose: the header is on
 * every page, including the error pages, so a database or session failure here must not
 * take the whole page down — the page itself still checks the session where it matters.
 */
async function currentUser(): Promise<HeaderUser | null> {
  try {
    const user = (await pageSession())?.user;
    if (!user) return null;
    const email = user.email ?? null;
    // A blank name (some providers send "") counts as no name.
    const name = user.name?.trim() === "" ? null : user.name;
    const label = name ?? email ?? "Your account";
    // Code points, not UTF-16 units: a name starting with an emoji keeps it whole.
    const initial = Array.from(label)[0]?.toUpperCase() ?? "?";
    return { label, email: email === label ? null : email, initial };
  } catch (error) {
    // Next signals "this page is dynamic" and redirects by throwing; those must go through.
    unstable_rethrow(error);
    logHeaderFailure(error);
    return null;
  }
}

function logHeaderFailure(error: unknown): void {
  try {
    getServices().logger.error("site header: could not read the session", { error });
  } catch {
    // The services themselves failed to start (bad settings): still leave a trace.
    console.error("site header: could not read the session", error);
  }
}

export async function SiteHeader() {
  const user = await currentUser();

  return (
    <header className="border-b border-border">
      <div className="mx-auto flex w-full max-w-page items-center justify-between gap-2 px-5 py-4 sm:gap-4 sm:px-8">
        <Link
          href="/"
          className="-m-1 flex shrink-0 items-center gap-2 rounded-control p-1 text-base font-black tracking-tight sm:text-lg"
        >
          <GatehouseMark />
          Gatehouse
        </Link>
        {user ? (
          <div className="flex min-w-0 items-center gap-1 sm:gap-4">
            {/* On a phone there is room for an initial and a word, not for an email (it
                would truncate to two letters), so the name is read out but not shown there. */}
            <Link
              href="/account"
              className="-my-1 inline-flex min-h-11 shrink-0 flex-col items-center justify-center gap-0.5 rounded-control px-1 text-brand hover:bg-brand/8 sm:hidden"
            >
              <span
                aria-hidden="true"
                className="inline-flex size-7 items-center justify-center rounded-full bg-brand/12 text-sm leading-none font-bold"
              >
                {user.initial}
              </span>
              <span className="text-xs leading-none font-semibold">Account</span>
            </Link>
            <p className="min-w-0 text-right leading-tight max-sm:sr-only">
              <span className="sr-only">Signed in as </span>
              <span className="block truncate font-semibold">{user.label}</span>
              {user.email ? (
                <span className="block truncate text-sm text-muted">{user.email}</span>
              ) : null}
            </p>
            <Link
              href="/account"
              className={buttonClasses({
                variant: "outline",
                size: "md",
                className: "shrink-0 max-sm:hidden",
              })}
            >
              Account
            </Link>
            <form action={signOutAction} className="shrink-0">
              <SignOutButton />
            </form>
          </div>
        ) : (
          <SignInLink />
        )}
      </div>
    </header>
  );
}
