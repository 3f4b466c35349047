import type { ButtonHTMLAttributes, ReactNode } from "react";

import { PasskeyMark } from "@/components/auth/passkey-mark";
import { ProviderMark } from "@/components/auth/provider-mark";
import { Spinner } from "@/components/auth/spinner";
import type { OAuthProviderId, PASSKEY_PROVIDER_ID } from "@/lib/sign-in-methods";

// A provider's button, the same on the sign-in page ("Continue with GitHub") and the
// account page ("Link GitHub"): the provider's mark on a raised tile, a grid cell tall. The
// sign-in page's "Sign in with a passkey" wears it too, with the passkey mark.
// Not buttonClasses (components/ui/button.ts): those are the app's action buttons, padded
// and coloured for one label; this tile has tighter padding for long provider names.
const PROVIDER_BUTTON_CLASSES =
  "flex h-full min-h-12 w-full cursor-pointer items-center justify-center gap-2.5 rounded-control border border-border bg-raised px-3 py-2.5 text-center text-[0.9375rem] leading-snug font-semibold transition-colors hover:border-muted disabled:cursor-not-allowed disabled:opacity-55 disabled:hover:border-border aria-busy:cursor-progress";

interface ProviderButtonProps extends Omit<
  ButtonHTMLAttributes<HTMLButtonElement>,
  "className" | "aria-busy" | "children"
> {
  type: "button" | "submit";
  provider: OAuthProviderId | typeof PASSKEY_PROVIDER_ID;
  /** This provider's flow is starting: a spinner instead of the mark, and aria-busy. */
  pending: boolean;
  /** Extra classes for one place (grid placement). */
  className?: string;
  /** The label, inside a balanced span. */
  children: ReactNode;
}

/**
 * The clicked button stays enabled (and focused) and says it is busy; the caller disables
 * the others so a second flow cannot start.
 */
export function ProviderButton({
  type,
  provider,
  pending,
  className,
  children,
  ...button
}: ProviderButtonProps) {
  return (
    <button
      {...button}
      type={type}
      aria-busy={pending}
      className={className ? `${PROVIDER_BUTTON_CLASSES} ${className}` : PROVIDER_BUTTON_CLASSES}
    >
      {pending ? (
        <Spinner />
      ) : provider === "passkey" ? (
        <PasskeyMark />
      ) : (
        <ProviderMark provider={provider} />
      )}
      <span className="text-balance">{children}</span>
    </button>
  );
}
