"use client";

import { useId, useState } from "react";

import { EmailText } from "@/components/account/email-text";
import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { IdentityRow } from "@/components/account/identity-row";
import { LinkProviders } from "@/components/account/link-providers";
import { KeyIcon, MethodSummary } from "@/components/account/method-summary";
import { useUnlinkIdentity } from "@/components/account/use-unlink-identity";
import type { IdentityView, ProviderChoice } from "@/lib/account/view-models";

interface SignInMethodsProps {
  /** The section this list belongs to (focus returns to its heading). */
  sectionId: string;
  identities: IdentityView[];
  /** The password row, when the account has one; `email` is what signs in with it. */
  password: { email: string | null } | null;
  /** Configured providers not linked yet. */
  linkable: ProviderChoice[];
  /** The account's passkeys (listed in their own section): each one is a way in too. */
  passkeyCount?: number;
}

/**
 * The ways to sign in: linked identities (each removable after a confirmation, unless it
 * is the last way in), the password, and "Link …" buttons for the providers not linked yet.
 */
export function SignInMethods({
  sectionId,
  identities,
  password,
  linkable,
  passkeyCount = 0,
}: SignInMethodsProps) {
  const onlyMethodNoteId = useId();
  const [feedback, setFeedback] = useState<Feedback>(null);
  const unlink = useUnlinkIdentity({ sectionId, identities, setFeedback });

  // A password counts only with an email: sign-in asks for both; every passkey counts. The
  // server checks again (lib/auth/ways-in.ts).
  const methodCount = identities.length + (password?.email ? 1 : 0) + passkeyCount;
  const canUnlink = methodCount > 1;

  return (
    <div>
      <FeedbackMessage feedback={feedback} className="mb-5" />

      <ul className="divide-y divide-border rounded-card border border-border">
        {identities.map((identity) => (
          <IdentityRow
            key={identity.id}
            identity={identity}
            confirming={unlink.confirmingId === identity.id}
            busy={unlink.unlinkingId === identity.id}
            canUnlink={canUnlink}
            onlyMethodNoteId={onlyMethodNoteId}
            buttonRef={unlink.buttonRef(identity.id)}
            onAsk={() => unlink.ask(identity.id)}
            onConfirm={(keepAlerts) => unlink.confirm(identity.id, keepAlerts)}
            onCancel={() => unlink.cancel(identity.id)}
          />
        ))}

        {password ? <PasswordRow email={password.email} /> : null}

        {identities.length === 0 && !password ? (
          <li className="px-4 py-4 text-muted sm:px-5">
            {passkeyCount > 0
              ? "No provider or password: you sign in with a passkey."
              : "No sign-in method is linked."}
          </li>
        ) : null}
      </ul>

      {identities.length > 0 && !canUnlink ? (
        <p id={onlyMethodNoteId} className="mt-3 text-sm text-pretty text-muted">
          {identities.length === 1 ? "This is" : "It is"} your only way to sign in, so it cannot be
          unlinked. Link another provider, add a passkey{password ? "" : " or set a password"}{" "}
          first.
        </p>
      ) : null}

      {linkable.length > 0 ? <LinkProviders linkable={linkable} setFeedback={setFeedback} /> : null}

      <p aria-live="polite" className="sr-only">
        {unlink.unlinkingId ? "Unlinking…" : ""}
      </p>
    </div>
  );
}

/** The password, with the email it signs in with (it needs one to be usable). */
function PasswordRow({ email }: { email: string | null }) {
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-3 px-4 py-4 sm:px-5">
      <MethodSummary
        mark={<KeyIcon />}
        name="Email and password"
        detail={
          email ? <EmailText email={email} /> : "No email address: add one to use your password"
        }
      />
    </li>
  );
}
