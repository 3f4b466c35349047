import type { Metadata } from "next";
import Link from "next/link";

import { ForgotPasswordForm } from "@/components/auth/forgot-password-form";
import { getServices } from "@/lib/root";

export const metadata: Metadata = { title: "Forgot password" };

// Reads the settings on every request; never prerendered at build.
export const dynamic = "force-dynamic";

const linkClass =
  "rounded-sm font-semibold text-brand underline underline-offset-4 hover:no-underline";

// Open to everyone, signed in or not: the form reveals nothing about any account, and
// someone signed in on one device may have forgotten the password on another.
export default function ForgotPasswordPage() {
  const { settings } = getServices();
  const expiresInMinutes = Math.round(settings.emailTokens.lifetimeSeconds.RESET_PASSWORD / 60);

  return (
    <>
      <h1 className="text-3xl font-black tracking-tight text-balance sm:text-4xl">
        Reset your password
      </h1>
      {settings.auth.passwordEnabled ? (
        <>
          <p className="mt-3 text-muted">
            Enter the email address of your account. We&apos;ll send a link to choose a new
            password.
          </p>
          <div className="mt-8">
            <ForgotPasswordForm expiresInMinutes={expiresInMinutes} />
          </div>
        </>
      ) : (
        <p className="mt-4 text-lg text-muted">
          This site does not use passwords: sign in with one of its providers instead.
        </p>
      )}
      <p className="mt-6 text-muted">
        Remembered it?{" "}
        <Link href="/sign-in" className={linkClass}>
          Sign in
        </Link>
      </p>
    </>
  );
}
