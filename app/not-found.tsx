import type { Metadata } from "next";
import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <div className="mx-auto flex w-full max-w-page flex-1 flex-col justify-center px-5 py-16 sm:px-8">
      <p className="font-mono text-sm font-semibold text-brand">404</p>
      <h1 className="mt-2 text-4xl font-black tracking-tight sm:text-5xl">Page not found</h1>
      <p className="mt-4 max-w-xl text-lg text-muted">
        There is nothing at this address. It may have moved, or the link may be mistyped.
      </p>
      <div className="mt-8">
        <Link href="/" className={buttonClasses()}>
          Go to the home page
        </Link>
      </div>
    </div>
  );
}
