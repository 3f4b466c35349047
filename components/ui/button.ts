// The app's button look, in one place: pages, forms and the account page take their button
// (and button-like link) classes from here instead of repeating them. Plain class strings,
// not a component, so a <button>, a next/link <Link> and an <a> can all wear them, in server
// and client components alike.

/**
 * - primary: the one main action of a view (filled brand colour);
 * - secondary: a quieter action beside it (bordered);
 * - outline: the header's links, a stronger border on the page background;
 * - neutral / danger / danger-solid: the account page's row actions (ActionButton).
 */
export type ButtonVariant =
  "primary" | "secondary" | "outline" | "neutral" | "danger" | "danger-solid";

/**
 * md: 44 px tall (rows, the header's links); lg: 48 px (a page's main actions); header: md
 * with less padding on a phone, where the logo, the account link and "Sign out" share 320 px.
 */
export type ButtonSize = "md" | "lg" | "header";

const VARIANTS: Record<ButtonVariant, string> = {
  primary: "bg-brand font-bold text-brand-contrast hover:brightness-110",
  secondary: "border border-border font-semibold hover:bg-raised",
  outline: "border border-muted font-semibold hover:bg-raised",
  neutral: "border border-border bg-surface font-semibold hover:border-muted hover:bg-raised",
  danger: "border border-danger/60 bg-surface font-semibold text-danger hover:bg-danger/8",
  "danger-solid": "border border-danger bg-danger font-semibold text-surface hover:brightness-110",
};

const SIZES: Record<ButtonSize, string> = {
  md: "min-h-11 px-4",
  lg: "min-h-12 px-6",
  header: "min-h-11 px-3 sm:px-4",
};

export interface ButtonStyle {
  variant?: ButtonVariant;
  size?: ButtonSize;
  /** Full width (a form's submit button). */
  block?: boolean;
  /** Extra classes for this one place (spacing, wrapping). */
  className?: string;
}

export function buttonClasses({
  variant = "primary",
  size = "lg",
  block = false,
  className = "",
}: ButtonStyle = {}): string {
  const layout = block ? "flex w-full" : "inline-flex";
  return `${layout} cursor-pointer items-center justify-center rounded-control ${SIZES[size]} ${VARIANTS[variant]} ${className}`.trim();
}
