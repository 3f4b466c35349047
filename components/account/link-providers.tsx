"use client";

import { useAction } from "next-safe-action/hooks";
import { useState } from "react";

import type { Feedback } from "@/components/account/feedback";
import { actionErrorMessage } from "@/components/forms/action-failure";
import { ProviderButton } from "@/components/auth/provider-button";
import { useBfcacheReset } from "@/components/auth/use-bfcache-reset";
import type { ProviderChoice } from "@/lib/account/view-models";
import { linkProviderAction } from "@/lib/actions/account";
import type { OAuthProviderId } from "@/lib/sign-in-methods";

/** "Add a sign-in method": a "Link …" button for each configured provider not linked yet. */
export function LinkProviders({
  linkable,
  setFeedback,
}: {
  linkable: ProviderChoice[];
  setFeedback: (feedback: Feedback) => void;
}) {
  // Linking ends in a full-page redirect to the provider, so the pending state is local
  // (as on the sign-in page) and cleared if the page comes back from the bfcache.
  const [linkingId, setLinkingId] = useState<OAuthProviderId | null>(null);
  const link = useAction(linkProviderAction, {
    onError({ error }) {
      setLinkingId(null);
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
    },
  });
  useBfcacheReset(() => {
    setLinkingId(null);
    link.reset();
  });
  const linkingName = linkable.find((provider) => provider.id === linkingId)?.name;

  function startLink(id: OAuthProviderId) {
    // A second flow would replace the first one's state cookie and fail whichever returns.
    if (linkingId !== null) return;
    setFeedback(null);
    setLinkingId(id);
    link.execute({ provider: id });
  }

  return (
    <div className="mt-8">
      <h3 className="font-bold">Add a sign-in method</h3>
      <p className="mt-1 text-sm text-pretty text-muted">
        You will confirm on the provider&apos;s site, then come back here.
      </p>
      <div className="mt-4 grid grid-cols-1 gap-3 min-[480px]:grid-cols-2">
        {linkable.map((provider) => (
          <ProviderButton
            key={provider.id}
            type="button"
            provider={provider.id}
            pending={linkingId === provider.id}
            onClick={() => startLink(provider.id)}
            disabled={linkingId !== null && linkingId !== provider.id}
            className="min-w-0 min-[480px]:odd:last:col-span-2"
          >
            Link {provider.name}
          </ProviderButton>
        ))}
      </div>
      <p aria-live="polite" className="sr-only">
        {linkingName ? `Redirecting to ${linkingName}…` : ""}
      </p>
    </div>
  );
}
