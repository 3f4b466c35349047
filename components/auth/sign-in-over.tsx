// A held sign-in that can no longer finish: what happened, that nothing was signed in, and
// the one way on. The code step (/sign-in/second-factor) and the wait for the Telegram chat
// (/sign-in/approve, when the page opens and when the chat refuses or the sign-in ends
// meanwhile) say it alike, so they share it. Titles write "sign‑in" with a non-breaking
// hyphen (U+2011): on a phone a plain one splits "sign-" / "in" over two lines.
import Link from "next/link";
import type { ReactNode } from "react";

import { buttonClasses } from "@/components/ui/button";

export function SignInOver({ title, children }: { title: string; children: ReactNode }) {
  return (
    <>
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">{title}</h1>
      <p className="mt-4 text-lg text-pretty">{children}</p>
      <Link href="/sign-in" className={buttonClasses({ className: "mt-8" })}>
        Sign in again
      </Link>
    </>
  );
}
