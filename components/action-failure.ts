// What a form says when calling its server action fails in the browser, before the action
// could answer: the actions themselves answer every refusal and failure with a message, so
// a thrown error here means the request did not reach them or was refused in front of them.
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
 * Wraps a server action for useActionState so that a failed call becomes a state the form
 * shows (`onThrown`) instead of an error boundary replacing the page and what was typed.
 * Next's own signals (a redirect after signing in) still go through.
 */
export function catchThrownAction<State>(
  action: (state: State, formData: FormData) => Promise<State>,
  onThrown: (message: string, formData: FormData) => State,
): (state: State, formData: FormData) => Promise<State> {
  return async (state, formData) => {
    try {
      return await action(state, formData);
    } catch (error) {
      unstable_rethrow(error);
      return onThrown(thrownActionMessage(error), formData);
    }
  };
}
