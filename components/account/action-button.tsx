import type { ButtonHTMLAttributes, ReactNode, Ref } from "react";

import { Spinner } from "@/components/auth/spinner";
import { buttonClasses, type ButtonVariant } from "@/components/ui/button";

export type ButtonTone = Extract<ButtonVariant, "neutral" | "danger" | "danger-solid">;

interface ActionButtonProps extends Omit<
  ButtonHTMLAttributes<HTMLButtonElement>,
  "type" | "className" | "aria-busy"
> {
  children: ReactNode;
  tone?: ButtonTone;
  /** Shows a spinner. The button stays focusable and ignores clicks (aria-disabled). */
  busy?: boolean;
  className?: string;
  ref?: Ref<HTMLButtonElement>;
}

/**
 * The account page's secondary buttons (unlink, sign out a device …): 44 px tall, never
 * wrapping their label. Busy is not `disabled`, so keyboard focus stays where it was; the
 * caller ignores a second click and says what is happening in a live region.
 */
export function ActionButton({
  children,
  tone = "neutral",
  busy = false,
  className = "",
  onClick,
  ref,
  ...button
}: ActionButtonProps) {
  return (
    <button
      {...button}
      ref={ref}
      type="button"
      aria-busy={busy || undefined}
      aria-disabled={busy ? true : button["aria-disabled"]}
      onClick={busy ? undefined : onClick}
      className={buttonClasses({
        variant: tone,
        size: "md",
        className: `shrink-0 gap-2 py-2 text-center leading-tight whitespace-nowrap transition-colors disabled:cursor-not-allowed disabled:opacity-55 aria-busy:cursor-progress ${className}`,
      })}
    >
      {busy ? <Spinner className="size-4" /> : null}
      {children}
    </button>
  );
}
