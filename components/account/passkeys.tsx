"use client";
// The account page's Passkeys section: each passkey with its name, when it was added and last
// used, and whether it is synced; "Rename" (inline) and "Remove" (inline confirmation, unless
// it is the account's last way to sign in); and "Add a passkey" with an optional name.

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useId, useRef, useState } from "react";

import { ActionButton } from "@/components/account/action-button";
import { FeedbackMessage, type Feedback } from "@/components/account/feedback";
import { InlineConfirm } from "@/components/account/inline-confirm";
import { MethodSummary } from "@/components/account/method-summary";
import { RelativeTime } from "@/components/account/relative-time";
import { focusSectionHeading } from "@/components/account/section";
import { useAddPasskey } from "@/components/account/use-add-passkey";
import { FormField } from "@/components/auth/form-field";
import { PasskeyMark } from "@/components/auth/passkey-mark";
import { Spinner } from "@/components/auth/spinner";
import { actionErrorMessage, fieldErrorsOf } from "@/components/forms/action-failure";
import { buttonClasses } from "@/components/ui/button";
import type { PasskeyView } from "@/lib/account/view-models";
import { removePasskeyAction, renamePasskeyAction } from "@/lib/actions/account";

/** The longest name (PASSKEY_NAME_MAX_LENGTH; the server checks it again). */
const NAME_MAX_LENGTH = 64;

const BACKUP_TEXT: Record<PasskeyView["backup"], string> = {
  synced: "Synced: works on your other devices too",
  "not-backed-up": "Not backed up yet",
  "device-bound": "On one device or security key only",
};

interface PasskeysProps {
  sectionId: string;
  passkeys: PasskeyView[];
  /** Ways in other than passkeys (linked providers, a password with an email). */
  otherWays: number;
  /** Passkeys can work on this site (APP_URL): otherwise nothing can be added. */
  canAdd: boolean;
}

export function Passkeys({ sectionId, passkeys, otherWays, canAdd }: PasskeysProps) {
  const router = useRouter();
  const lastWayNoteId = useId();
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [confirmingId, setConfirmingId] = useState<string | null>(null);
  const [renamingId, setRenamingId] = useState<string | null>(null);
  const [renameError, setRenameError] = useState<string | undefined>(undefined);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const nameInput = useRef<HTMLInputElement>(null);
  // The server counts again (the last-method guard); this only explains it beforehand.
  const canRemove = otherWays + passkeys.length > 1;

  const adding = useAddPasskey({
    setFeedback,
    onAdded: (name) => {
      if (nameInput.current) nameInput.current.value = "";
      setFeedback({
        kind: "success",
        message: `Passkey “${name}” added. You can sign in with it now.`,
      });
      router.refresh();
    },
  });

  const remove = useAction(removePasskeyAction, {
    onSuccess({ input }) {
      const name = passkeys.find((passkey) => passkey.id === input.passkeyId)?.name;
      setConfirmingId(null);
      setFeedback({
        kind: "success",
        message: `${name ? `“${name}”` : "That passkey"} is removed. You can also delete it from your device or password manager.`,
      });
      focusSectionHeading(sectionId);
      router.refresh();
    },
    onError({ error }) {
      setConfirmingId(null);
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
      router.refresh();
    },
  });

  const rename = useAction(renamePasskeyAction, {
    onSuccess({ input }) {
      setRenamingId(null);
      setFeedback({ kind: "success", message: `Renamed to “${input.name.trim()}”.` });
      requestAnimationFrame(() => buttons.current.get(`rename:${input.passkeyId}`)?.focus());
      router.refresh();
    },
    onError({ error }) {
      const fieldError = fieldErrorsOf<"name">(error).name;
      if (fieldError) {
        setRenameError(fieldError);
        return;
      }
      setRenamingId(null);
      setFeedback({ kind: "error", message: actionErrorMessage(error) });
      router.refresh();
    },
  });

  const busy = adding.busy || remove.isPending || rename.isPending;
  const buttonRef = (key: string) => (element: HTMLButtonElement | null) => {
    if (element) buttons.current.set(key, element);
    else buttons.current.delete(key);
  };
  const refocus = (key: string) => requestAnimationFrame(() => buttons.current.get(key)?.focus());

  return (
    <div>
      <FeedbackMessage feedback={feedback} className="mb-5" />

      {passkeys.length > 0 ? (
        <ul className="divide-y divide-border rounded-card border border-border">
          {passkeys.map((passkey) => (
            <li
              key={passkey.id}
              className="flex flex-wrap items-center gap-x-4 gap-y-3 px-4 py-4 sm:px-5"
            >
              {renamingId === passkey.id ? (
                <form
                  className="grid min-w-0 flex-1 basis-full gap-3"
                  onSubmit={(event) => {
                    event.preventDefault();
                    if (rename.isPending) return;
                    const name = new FormData(event.currentTarget).get("name");
                    setRenameError(undefined);
                    rename.execute({
                      passkeyId: passkey.id,
                      name: typeof name === "string" ? name : "",
                    });
                  }}
                  onKeyDown={(event) => {
                    if (event.key === "Escape" && !rename.isPending) {
                      setRenamingId(null);
                      refocus(`rename:${passkey.id}`);
                    }
                  }}
                >
                  <FormField
                    name="name"
                    label={`New name for “${passkey.name}”`}
                    defaultValue={passkey.name}
                    maxLength={NAME_MAX_LENGTH}
                    autoComplete="off"
                    required
                    autoFocus
                    error={renameError}
                  />
                  <div className="flex flex-wrap gap-3">
                    <button
                      type="submit"
                      aria-busy={rename.isPending || undefined}
                      className={buttonClasses({ size: "md", className: "gap-2 py-2" })}
                    >
                      Save name
                    </button>
                    <ActionButton
                      disabled={rename.isPending}
                      onClick={() => {
                        setRenamingId(null);
                        refocus(`rename:${passkey.id}`);
                      }}
                    >
                      Cancel
                    </ActionButton>
                  </div>
                </form>
              ) : (
                <>
                  <MethodSummary
                    mark={<PasskeyMark className="size-5 text-brand" />}
                    name={passkey.name}
                    detail={BACKUP_TEXT[passkey.backup]}
                  >
                    Added{" "}
                    <time dateTime={passkey.addedAt.iso} title={passkey.addedAt.absolute}>
                      {passkey.addedOn}
                    </time>
                    <span aria-hidden="true">{"\u00a0·"}</span>
                    <span className="sr-only">,</span>{" "}
                    {passkey.lastUsed ? (
                      <>
                        last used <RelativeTime time={passkey.lastUsed} />
                      </>
                    ) : (
                      "never used"
                    )}
                  </MethodSummary>
                  {confirmingId === passkey.id ? null : (
                    <div className="flex flex-wrap gap-3">
                      <ActionButton
                        ref={buttonRef(`rename:${passkey.id}`)}
                        aria-disabled={busy || undefined}
                        onClick={() => {
                          if (busy) return;
                          setFeedback(null);
                          setConfirmingId(null);
                          setRenameError(undefined);
                          setRenamingId(passkey.id);
                        }}
                      >
                        Rename<span className="sr-only"> {passkey.name}</span>
                      </ActionButton>
                      <ActionButton
                        ref={buttonRef(`remove:${passkey.id}`)}
                        tone="danger"
                        disabled={!canRemove}
                        aria-disabled={busy || undefined}
                        aria-describedby={canRemove ? undefined : lastWayNoteId}
                        onClick={() => {
                          if (busy) return;
                          setFeedback(null);
                          setRenamingId(null);
                          setConfirmingId(passkey.id);
                        }}
                      >
                        Remove<span className="sr-only"> {passkey.name}</span>
                      </ActionButton>
                    </div>
                  )}
                  {confirmingId === passkey.id ? (
                    <div className="basis-full">
                      <InlineConfirm
                        question={`Remove “${passkey.name}”?`}
                        consequence="You will no longer be able to sign in with it."
                        confirmLabel={
                          <>
                            Remove<span className="sr-only"> {passkey.name}</span>
                          </>
                        }
                        busy={remove.isPending}
                        onConfirm={() => remove.execute({ passkeyId: passkey.id })}
                        onCancel={() => {
                          setConfirmingId(null);
                          refocus(`remove:${passkey.id}`);
                        }}
                      />
                    </div>
                  ) : null}
                </>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p className="rounded-card border border-border px-4 py-4 text-pretty text-muted sm:px-5">
          No passkeys yet. Add one below, and sign in next time without typing a password.
        </p>
      )}

      {!canRemove && passkeys.length > 0 ? (
        <p id={lastWayNoteId} className="mt-3 text-sm text-pretty text-muted">
          This passkey is your only way to sign in, so it cannot be removed. Add another passkey,
          link a provider or set a password first.
        </p>
      ) : null}

      {canAdd ? (
        <form
          className="mt-8"
          onSubmit={(event) => {
            event.preventDefault();
            const name = new FormData(event.currentTarget).get("name");
            adding.add(typeof name === "string" ? name : "");
          }}
        >
          <h3 className="font-bold">Add a passkey</h3>
          <p className="mt-1 text-sm text-pretty text-muted">
            Your browser will ask you to create it on this device, your phone or a security key.
          </p>
          <div className="mt-4 grid gap-4 sm:max-w-md">
            <FormField
              ref={nameInput}
              name="name"
              label="Name"
              optional
              hint="Like “Work laptop”. Left blank, it is named after this browser and today."
              maxLength={NAME_MAX_LENGTH}
              autoComplete="off"
              error={adding.nameError}
            />
            <div>
              <button
                type="submit"
                aria-busy={adding.busy || undefined}
                className={buttonClasses({
                  variant: "secondary",
                  size: "md",
                  className: "gap-2.5 py-2 aria-busy:cursor-progress",
                })}
              >
                {adding.busy ? <Spinner /> : <PasskeyMark className="size-5" />}
                Add a passkey
              </button>
            </div>
          </div>
        </form>
      ) : null}

      <p aria-live="polite" className="sr-only">
        {adding.busy
          ? "Waiting for your browser to create the passkey…"
          : remove.isPending
            ? "Removing…"
            : rename.isPending
              ? "Saving…"
              : ""}
      </p>
    </div>
  );
}
