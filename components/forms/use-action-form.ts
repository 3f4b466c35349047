"use client";
// The client half of every password form (sign-in, sign-up, set and change password): it
// submits the form's fields to a next-safe-action server action and shows the answer.
//
// - One submit at a time: a second one (a double click, Enter) would count twice against
//   the rate limits, or race the first.
// - Refused fields get their message next to them and the first one, in the form's order,
//   gets the caret; the form's own message goes to `message` (and `onMessage`). A call that
//   fails before the action answers (offline, a page older than the server) says so the
//   same way (action-failure.ts), and what was typed stays.
// - Passwords never go into React state: the inputs are uncontrolled and read once on
//   submit; fields listed in `forget` are emptied after every answer (see `forget` for how),
//   and the whole form is reset after a success.
// - A page shown again from the back/forward cache drops its pending state
//   (useBfcacheReset), since React's pending flag cannot be cleared from outside.
import { startTransition, useActionState, useRef, useState, type FormEvent } from "react";

import { useBfcacheReset } from "@/components/auth/use-bfcache-reset";
import {
  actionErrorMessage,
  catchThrownAction,
  fieldErrorsOf,
  type ActionErrorResult,
} from "@/components/forms/action-failure";

/** A next-safe-action result, as far as a form reads it. */
export interface ActionFormResult<Data> extends Omit<ActionErrorResult, "thrownError"> {
  data?: Data;
}

export type FormAnswer<Field extends string, Data> =
  | { ok: true; data?: Data | undefined }
  | { ok: false; message?: string; fieldErrors: Partial<Record<Field, string>>; focus?: Field };

/**
 * What a form shows for an action's result: field errors, the first refused field in the
 * form's order, and the form's message: the action's own (formErrors) or, when no field
 * of the form explains the refusal, the one sentence for it.
 */
export function formAnswer<Field extends string, Data>(
  result: ActionFormResult<Data> | undefined,
  fields: readonly Field[],
): FormAnswer<Field, Data> {
  if (!result?.serverError && !result?.validationErrors) return { ok: true, data: result?.data };
  const fieldErrors = fieldErrorsOf<Field>(result);
  const focus = fields.find((field) => fieldErrors[field]);
  const message =
    result.validationErrors?.formErrors[0] ?? (focus ? undefined : actionErrorMessage(result));
  return { ok: false, message, fieldErrors, focus };
}

export interface ActionFormOptions<Field extends string, Input, Data> {
  /** The server action. */
  action: (input: Input) => Promise<ActionFormResult<Data> | undefined>;
  /** The action's input, read from the form when it is submitted. */
  read: (form: FormData) => NoInfer<Input>;
  /** The form's fields in the order they appear. */
  fields: readonly Field[];
  /**
   * Emptied after every answer (a password is typed again, never kept). A form that forgets
   * is submitted as a React form action (`formProps.action`): React replays a submit made
   * before hydration instead of the browser sending the fields in the address, and resets
   * the form after each answer; the fields it keeps come back through `values` (use them
   * as defaultValue). Otherwise every field keeps what was typed until a success.
   */
  forget?: readonly Field[];
  onSuccess?: (data: Data | undefined, input: Input) => void;
  /** The form's message, or undefined when there is none (on submit, on success). */
  onMessage?: (message: string | undefined) => void;
}

type Kept<Field extends string> = Partial<Record<Field, string>>;
/** Kept values by field name (not generic: React's useActionState cannot infer one). */
type KeptValues = Partial<Record<string, string>>;

/** What a form that forgets keeps of a submit: the other fields, as typed. */
function keptValues<Field extends string>(
  formData: FormData,
  fields: readonly Field[],
  forget: readonly Field[],
): KeptValues {
  const kept: KeptValues = {};
  for (const field of fields) {
    const value = formData.get(field);
    if (!forget.includes(field) && typeof value === "string") kept[field] = value;
  }
  return kept;
}

/** A form's refusals on screen: each field's message, the form's message, the caret. */
function useRefusals<Field extends string>(onMessage?: (message: string | undefined) => void) {
  const [errors, setErrors] = useState<Kept<Field>>({});
  const [message, setMessage] = useState<string | undefined>(undefined);
  const inputs = useRef<Partial<Record<Field, HTMLInputElement | null>>>({});

  /** Shows a refusal (or, with nothing, clears the last one), focusing `focus`. */
  function show(refusal: { fieldErrors: Kept<Field>; message?: string; focus?: Field }) {
    setErrors(refusal.fieldErrors);
    setMessage(refusal.message);
    onMessage?.(refusal.message);
    if (refusal.focus) inputs.current[refusal.focus]?.focus();
  }

  /** A field's name, its error, and the ref that lets the form focus it. */
  const field = (name: Field) => ({
    name,
    error: errors[name],
    ref: (element: HTMLInputElement | null) => {
      inputs.current[name] = element;
    },
  });

  return { show, message, field };
}

export function useActionForm<Field extends string, Input, Data>(
  options: ActionFormOptions<Field, Input, Data>,
) {
  const [restored, setRestored] = useState(false);
  useBfcacheReset(() => setRestored(true));
  const refusals = useRefusals<Field>(options.onMessage);
  const formRef = useRef<HTMLFormElement>(null);

  /** What React's reset after a form action restores (see `forget`). */
  const kept = (formData: FormData) =>
    options.forget ? keptValues(formData, options.fields, options.forget) : {};

  async function submit(formData: FormData): Promise<KeptValues> {
    const input = options.read(formData);
    const answer = formAnswer(await options.action(input), options.fields);
    if (answer.ok) {
      formRef.current?.reset();
      options.onSuccess?.(answer.data, input);
    } else {
      refusals.show(answer);
    }
    return kept(formData);
  }

  function failed(thrown: string, formData: FormData): KeptValues {
    refusals.show({ message: thrown, fieldErrors: {} });
    return kept(formData);
  }

  const [values, dispatch, isPending] = useActionState(
    // A call that fails before the action answers becomes an answer too; Next's redirect
    // (a finished sign-in, a reauthentication) goes through.
    (previous: KeptValues, formData: FormData) =>
      catchThrownAction<KeptValues>((_, payload) => submit(payload), failed)(previous, formData),
    {},
  );
  // React's pending flag cannot be cleared from outside: this masks it once the page is
  // shown again from the back/forward cache, until the next submit.
  const busy = isPending && !restored;

  /** False (and the submit cancelled) while the previous one is still running. */
  function start(event: FormEvent<HTMLFormElement>): boolean {
    if (busy) {
      event.preventDefault();
      return false;
    }
    setRestored(false);
    refusals.show({ fieldErrors: {} });
    return true;
  }

  function submitKeepingFields(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formData = new FormData(event.currentTarget);
    if (start(event)) startTransition(() => dispatch(formData));
  }

  const formProps = options.forget
    ? { ref: formRef, action: dispatch, onSubmit: start }
    : { ref: formRef, onSubmit: submitKeepingFields };

  return { formProps, busy, message: refusals.message, values, field: refusals.field };
}
