"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useRef, useState } from "react";

import type { Feedback } from "@/components/account/feedback";
import { actionErrorMessage } from "@/components/forms/action-failure";
import { focusSectionHeading } from "@/components/account/section";
import type { IdentityView } from "@/lib/account/view-models";
import { unlinkIdentityAction } from "@/lib/actions/account";

/** Unlinking an identity: which row is confirming, the action, and focus on the way back. */
export function useUnlinkIdentity({
  sectionId,
  identities,
  setFeedback,
}: {
  /** The section the list belongs to (focus returns to its heading). */
  sectionId: string;
  identities: IdentityView[];
  setFeedback: (feedback: Feedback) => void;
}) {
  const router = useRouter();
  const [confirmingId, setConfirmingId] = useState<string | null>(null);
  // The Unlink button that opened the confirmation, to take focus back on Cancel.
  const unlinkButtons = useRef(new Map<string, HTMLButtonElement>());

  const unlink = useAction(unlinkIdentityAction, {
    onSuccess({ input }) {
      const name = identities.find((identity) => identity.id === input.accountId)?.providerName;
      setConfirmingId(null);
      setFeedback({
        kind: "success",
        message: `${name ?? "That sign-in method"} is no longer linked. You can link it again at any time.`,
      });
      // The row is about to disappear with the focus in it.
      focusSectionHeading(sectionId);
      router.refresh();
    },
    onError({ error }) {
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
      // "Not found" means it is gone already; a refresh shows the truth either way.
      router.refresh();
    },
  });

  return {
    confirmingId,
    unlinkingId: unlink.isPending ? unlink.input?.accountId : undefined,
    /** "Unlink" pressed: open that row's confirmation. */
    ask: (id: string) => {
      setFeedback(null);
      setConfirmingId(id);
    },
    confirm: (id: string, keepAlerts: boolean) => unlink.execute({ accountId: id, keepAlerts }),
    cancel: (id: string) => {
      setConfirmingId(null);
      // After React has put the button back.
      requestAnimationFrame(() => unlinkButtons.current.get(id)?.focus());
    },
    /** The ref of a row's Unlink button. */
    buttonRef: (id: string) => (element: HTMLButtonElement | null) => {
      if (element) unlinkButtons.current.set(id, element);
      else unlinkButtons.current.delete(id);
    },
  };
}
