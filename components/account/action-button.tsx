import type { ButtonHTMLAttributes, ReactNode, Ref } from "react";

import { Spinner } from "@/components/auth/spinner";

export type ButtonTone = "neutral" | "danger" | "danger-solid";

const toneClasses: Record<ButtonTone, string> = {
  neutral: "border border-border bg-surface hover:border-muted hover:bg-raised",
  danger: "border border-danger/60 bg-surface text-danger hover:bg-danger/8",
  "danger-solid": "border border-danger bg-danger text-surface hover:brightness-110",
};

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
      className={`inline-flex min-h-11 shrink-0 cursor-pointer items-center justify-center gap-2 rounded-control px-4 py-2 text-center leading-tight font-semibold whitespace-nowrap transition-colors disabled:cursor-not-allowed disabled:opacity-55 aria-busy:cursor-progress ${toneClasses[tone]} ${className}`}
    >
      {busy ? <Spinner className="size-4" /> : null}
      {children}
    </button>
  );
}
