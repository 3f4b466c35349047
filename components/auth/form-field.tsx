import { useId, type InputHTMLAttributes, type ReactNode, type Ref } from "react";

export interface FormFieldProps extends Omit<
  InputHTMLAttributes<HTMLInputElement>,
  "id" | "name" | "aria-invalid" | "aria-describedby"
> {
  name: string;
  /** Always visible: placeholders vanish while typing and are not labels. */
  label: string;
  /** Shown between label and input, and read with the input (aria-describedby). */
  hint?: ReactNode;
  /** The server's message for this field, if it refused the value. */
  error?: string;
  /** Marks the label "(optional)" instead of relying on people to guess. */
  optional?: boolean;
  ref?: Ref<HTMLInputElement>;
}

/** A labelled text input with its hint and error wired up for assistive technology. */
export function FormField({
  name,
  label,
  hint,
  error,
  optional = false,
  ref,
  ...input
}: FormFieldProps) {
  const id = `${useId()}-${name}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;

  return (
    <div>
      <label htmlFor={id} className="block font-semibold">
        {label}
        {optional ? <span className="font-normal text-muted"> (optional)</span> : null}
      </label>
      {hint ? (
        <p id={hintId} className="mt-1 text-sm text-muted">
          {hint}
        </p>
      ) : null}
      <input
        ref={ref}
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        // 16 px text keeps iOS from zooming into the field; 48 px clears the 44 px target.
        className="mt-2 block min-h-12 w-full min-w-0 rounded-control border border-muted bg-surface px-3.5 py-2 text-base text-text placeholder:text-muted aria-invalid:border-danger aria-invalid:ring-1 aria-invalid:ring-danger"
        {...input}
      />
      {error ? (
        <p id={errorId} className="mt-2 text-sm font-semibold text-danger">
          <span className="sr-only">Error: </span>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The props every email field shares, fixed by EmailField. */
type EmailInputProps = "type" | "inputMode" | "autoCapitalize" | "spellCheck";

/**
 * An email address field: the email keyboard on phones, the browser's saved address
 * offered (`autoComplete` "email" unless said otherwise: the sign-in form adds passkeys), and no auto-capitalised first letter or spelling marks under an address.
 * Required unless said otherwise.
 */
export function EmailField({
  required = true,
  autoComplete = "email",
  ...field
}: Omit<FormFieldProps, EmailInputProps>) {
  return (
    <FormField
      {...field}
      type="email"
      autoComplete={autoComplete}
      inputMode="email"
      autoCapitalize="none"
      spellCheck={false}
      required={required}
    />
  );
}
