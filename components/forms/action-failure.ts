// What a form says when its server action refuses or fails. The actions answer every
// refusal and failure of their own with a message (next-safe-action's result: serverError,
// or validationErrors per field). A thrown error means the request did not reach them or
// was refused in front of them:
//
// - The page is older than the server (a deploy since it loaded): Next answers 409 with
//   x-nextjs-action-not-found and its client throws UnrecognizedActionError. Only a reload
//   fetches the new page, so the message asks for one, and the form keeps what was typed.
// - proxy.ts refused the request (413 too large, 403 another origin, 400 cut short): its
//   `text/plain` answer becomes the thrown Error's message (lib/http/refusal.ts), which is
//   shown when it is one of ours — never an arbitrary error text.
// - Anything else is a failed request (offline, server restarting).
import { unstable_isUnrecognizedActionError, unstable_rethrow } from "next/navigation";

import {
  BODY_TOO_LARGE_MESSAGE,
  CROSS_ORIGIN_MESSAGE,
  INCOMPLETE_BODY_MESSAGE,
  STALE_PAGE_MESSAGE,
} from "@/lib/http/refusal-messages";

export const CONNECTION_ERROR =
  "We could not reach Gatehouse. Check your connection and try again.";

const refusalMessages = new Set<string>([
  BODY_TOO_LARGE_MESSAGE,
  CROSS_ORIGIN_MESSAGE,
  INCOMPLETE_BODY_MESSAGE,
]);

/** One sentence for an error thrown by a server action call; never the error's own text. */
export function thrownActionMessage(error: unknown): string {
  if (unstable_isUnrecognizedActionError(error)) return STALE_PAGE_MESSAGE;
  if (error instanceof Error && refusalMessages.has(error.message)) return error.message;
  return CONNECTION_ERROR;
}

/**
 * Wraps a server action call (shaped for useActionState: previous state and payload) so
 * that a failed call becomes a state the form shows (`onThrown`) instead of an error
 * boundary replacing the page and what was typed. Next's own signals (a redirect after
 * signing in) still go through.
 */
export function catchThrownAction<State, Payload = FormData>(
  action: (state: State, payload: Payload) => Promise<State>,
  onThrown: (message: string, payload: Payload) => State,
): (state: State, payload: Payload) => Promise<State> {
  return async (state, payload) => {
    try {
      return await action(state, payload);
    } catch (error) {
      unstable_rethrow(error);
      return onThrown(thrownActionMessage(error), payload);
    }
  };
}

/** What the server actions answer when they refuse (next-safe-action, flattened errors). */
export interface ActionErrorResult {
  serverError?: string;
  validationErrors?: {
    formErrors: string[];
    fieldErrors: Partial<Record<string, string[] | undefined>>;
  };
  thrownError?: Error;
}

/** One sentence for a refused or failed action; never the thrown error's own text. */
export function actionErrorMessage(error: ActionErrorResult): string {
  if (error.serverError) return error.serverError;
  const validation = error.validationErrors;
  const firstFieldError = Object.values(validation?.fieldErrors ?? {}).find(
    (messages) => messages && messages.length > 0,
  )?.[0];
  const message = validation?.formErrors[0] ?? firstFieldError;
  if (message) return message;
  // A thrown error is a call that never reached the action (offline, refused in front of
  // it, a page older than the server): the action itself answers every error with a message.
  return thrownActionMessage(error.thrownError);
}

/** The first message of each field, as the forms show them. */
export function fieldErrorsOf<Field extends string>(
  error: ActionErrorResult,
): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  for (const [field, messages] of Object.entries(error.validationErrors?.fieldErrors ?? {})) {
    const first = messages?.[0];
    if (first) out[field as Field] = first;
  }
  return out;
}
