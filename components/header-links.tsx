"use client";
// The header's parts that depend on where the person is or what the page is doing: the
// header itself is a server component (it reads the session), these read the path and
// the sign-out form's pending state.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useFormStatus } from "react-dom";

import { buttonClasses } from "@/components/ui/button";

/** "Sign in", except on the sign-in page itself, where the form is the way in. */
export function SignInLink() {
  const pathname = usePathname();
  if (pathname === "/sign-in") return null;
  return (
    <Link
      href="/sign-in"
      // Outlined, not filled: the page's own buttons are its primary actions.
      className={buttonClasses({ variant: "outline", size: "md", className: "shrink-0" })}
    >
      Sign in
    </Link>
  );
}

/**
 * The header's sign-out button. While the sign-out runs it says so ("Signing out…"), from
 * tablet width up: there the longer label's room is kept from the start (an invisible copy
 * under the visible one), so the header does not shift. A 360 px phone has no room for it
 * beside the logo and the account link, so there it stays "Sign out" and only aria-busy
 * changes. The button's name is "Sign out" throughout.
 */
export function SignOutButton() {
  const { pending } = useFormStatus();
  return (
    <button
      type="submit"
      aria-busy={pending}
      aria-disabled={pending || undefined}
      onClick={(event) => {
        // A second click would send a second sign-out while the first is on its way.
        if (pending) event.preventDefault();
      }}
      className={buttonClasses({
        variant: "secondary",
        size: "header",
        className: "aria-busy:cursor-progress",
      })}
    >
      <span className="grid">
        <span
          aria-hidden="true"
          className={`col-start-1 row-start-1 max-sm:hidden ${pending ? "" : "invisible"}`}
        >
          Signing out…
        </span>
        <span className={`col-start-1 row-start-1 ${pending ? "sm:sr-only" : ""}`}>Sign out</span>
      </span>
    </button>
  );
}
