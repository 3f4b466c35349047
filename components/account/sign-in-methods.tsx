"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useId, useRef, useState, type ReactNode } from "react";

import { ActionButton } from "@/components/account/action-button";
import { EmailText } from "@/components/account/email-text";
import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { InlineConfirm } from "@/components/account/inline-confirm";
import { RelativeTime } from "@/components/account/relative-time";
import { focusSectionHeading } from "@/components/account/section";
import type { IdentityView, ProviderChoice } from "@/components/account/view-models";
import { actionErrorMessage } from "@/components/forms/action-failure";
import { ProviderMark } from "@/components/auth/provider-mark";
import { Spinner } from "@/components/auth/spinner";
import { useBfcacheReset } from "@/components/auth/use-bfcache-reset";
import { linkProviderAction, unlinkIdentityAction } from "@/lib/actions/account";
import type { OAuthProviderId } from "@/lib/sign-in-methods";

interface SignInMethodsProps {
  /** The section this list belongs to (focus returns to its heading). */
  sectionId: string;
  identities: IdentityView[];
  /** The password row, when the account has one; `email` is what signs in with it. */
  password: { email: string | null } | null;
  /** Configured providers not linked yet. */
  linkable: ProviderChoice[];
}

/**
 * The ways to sign in: linked identities (each removable after a confirmation, unless it
 * is the last way in), the password, and "Link …" buttons for the providers not linked yet.
 */
export function SignInMethods({ sectionId, identities, password, linkable }: SignInMethodsProps) {
  const router = useRouter();
  const onlyMethodNoteId = useId();
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [confirmingId, setConfirmingId] = useState<string | null>(null);
  // The Unlink button that opened the confirmation, to take focus back on Cancel.
  const unlinkButtons = useRef(new Map<string, HTMLButtonElement>());

  // A password counts only with an email: sign-in asks for both. The server checks again.
  const methodCount = identities.length + (password?.email ? 1 : 0);
  const canUnlink = methodCount > 1;

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
  const unlinkingId = unlink.isPending ? unlink.input?.accountId : undefined;

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

  function cancelConfirm(id: string) {
    setConfirmingId(null);
    // After React has put the button back.
    requestAnimationFrame(() => unlinkButtons.current.get(id)?.focus());
  }

  return (
    <div>
      <FeedbackMessage feedback={feedback} className="mb-5" />

      <ul className="divide-y divide-border rounded-card border border-border">
        {identities.map((identity) => {
          const confirming = confirmingId === identity.id;
          return (
            <li
              key={identity.id}
              className="flex flex-wrap items-center gap-x-4 gap-y-3 px-4 py-4 sm:px-5"
            >
              <MethodSummary
                mark={
                  identity.provider ? <ProviderMark provider={identity.provider} /> : <KeyIcon />
                }
                name={identity.providerName}
                detail={identity.label}
              >
                Linked <RelativeTime time={identity.linkedAt} />
              </MethodSummary>
              {confirming ? (
                <div className="basis-full">
                  <InlineConfirm
                    question={`Unlink ${identity.providerName}?`}
                    consequence="You will no longer be able to sign in with it."
                    confirmLabel={
                      <>
                        Unlink<span className="sr-only"> {identity.providerName}</span>
                      </>
                    }
                    busy={unlinkingId === identity.id}
                    onConfirm={() => unlink.execute({ accountId: identity.id })}
                    onCancel={() => cancelConfirm(identity.id)}
                  />
                </div>
              ) : (
                <ActionButton
                  ref={(element) => {
                    if (element) unlinkButtons.current.set(identity.id, element);
                    else unlinkButtons.current.delete(identity.id);
                  }}
                  disabled={!canUnlink}
                  aria-describedby={canUnlink ? undefined : onlyMethodNoteId}
                  onClick={() => {
                    setFeedback(null);
                    setConfirmingId(identity.id);
                  }}
                >
                  Unlink<span className="sr-only"> {identity.providerName}</span>
                </ActionButton>
              )}
            </li>
          );
        })}

        {password ? (
          <li className="flex flex-wrap items-center gap-x-4 gap-y-3 px-4 py-4 sm:px-5">
            <MethodSummary
              mark={<KeyIcon />}
              name="Email and password"
              detail={
                password.email ? (
                  <EmailText email={password.email} />
                ) : (
                  "No email address: add one to use your password"
                )
              }
            />
          </li>
        ) : null}

        {identities.length === 0 && !password ? (
          <li className="px-4 py-4 text-muted sm:px-5">No sign-in method is linked.</li>
        ) : null}
      </ul>

      {identities.length > 0 && !canUnlink ? (
        <p id={onlyMethodNoteId} className="mt-3 text-sm text-pretty text-muted">
          {identities.length === 1 ? "This is" : "It is"} your only way to sign in, so it cannot be
          unlinked. Link another provider{password ? "" : " or set a password"} first.
        </p>
      ) : null}

      {linkable.length > 0 ? (
        <div className="mt-8">
          <h3 className="font-bold">Add a sign-in method</h3>
          <p className="mt-1 text-sm text-pretty text-muted">
            You will confirm on the provider&apos;s site, then come back here.
          </p>
          <div className="mt-4 grid grid-cols-1 gap-3 min-[480px]:grid-cols-2">
            {linkable.map((provider) => {
              const isPending = linkingId === provider.id;
              return (
                <button
                  key={provider.id}
                  type="button"
                  onClick={() => startLink(provider.id)}
                  // The clicked button stays enabled (and focused) and says it is busy;
                  // the others are disabled so a second flow cannot start.
                  disabled={linkingId !== null && !isPending}
                  aria-busy={isPending}
                  className="flex h-full min-h-12 w-full min-w-0 cursor-pointer items-center justify-center gap-2.5 rounded-control border border-border bg-raised px-3 py-2.5 text-center text-[0.9375rem] leading-snug font-semibold transition-colors hover:border-muted disabled:cursor-not-allowed disabled:opacity-55 disabled:hover:border-border aria-busy:cursor-progress min-[480px]:odd:last:col-span-2"
                >
                  {isPending ? <Spinner /> : <ProviderMark provider={provider.id} />}
                  <span className="text-balance">Link {provider.name}</span>
                </button>
              );
            })}
          </div>
          <p aria-live="polite" className="sr-only">
            {linkingName ? `Redirecting to ${linkingName}…` : ""}
          </p>
        </div>
      ) : null}

      <p aria-live="polite" className="sr-only">
        {unlinkingId ? "Unlinking…" : ""}
      </p>
    </div>
  );
}

function MethodSummary({
  mark,
  name,
  detail,
  children,
}: {
  mark: ReactNode;
  name: string;
  detail: ReactNode;
  children?: ReactNode;
}) {
  return (
    <div className="flex min-w-0 flex-1 basis-56 items-start gap-3.5">
      <span className="inline-flex size-10 shrink-0 items-center justify-center rounded-control bg-raised">
        {mark}
      </span>
      <div className="min-w-0">
        {/* The spaces keep the lines apart in the text of the row (copying, tests). */}
        <p className="font-semibold">{name}</p>{" "}
        {detail ? <p className="wrap-anywhere text-muted">{detail}</p> : null}{" "}
        {children ? <p className="text-sm text-muted">{children}</p> : null}
      </div>
    </div>
  );
}

function KeyIcon() {
  return (
    <svg
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="size-5 shrink-0 text-brand"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <circle cx="8" cy="15" r="4" />
      <path d="m10.85 12.15 8.15-8.15M16 7l2 2M14 9l2 2" />
    </svg>
  );
}
