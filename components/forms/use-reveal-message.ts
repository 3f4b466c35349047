"use client";

import { useEffect, type RefObject } from "react";

/**
 * Scrolls `ref` into view whenever `message` changes to a new text (the least scroll that
 * shows it whole), after React has rendered it and after any focus the action moved. A
 * message nobody sees is no answer: on a phone a form's or section's top can be a screen
 * away from the button that was pressed. Focus is left alone: moving it onto a live region's
 * message would make screen readers read it twice.
 */
export function useRevealMessage(ref: RefObject<HTMLElement | null>, message: string | null) {
  useEffect(() => {
    if (message) ref.current?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [ref, message]);
}
