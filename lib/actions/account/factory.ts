// The account page's actions, built from injected dependencies (lib/actions/clients.ts),
// one file per part of the page. Each one validates its input with the schema the form
// uses, reads who is asking from the session (never from the input), and touches only
// that user's rows: another user's id gets the same "not found" as an unknown one, and
// nothing changes. lib/actions/account.ts wires them to the real session and Auth.js.
import { createMethodActions, type MethodActionDependencies } from "@/lib/actions/account/methods";
import {
  createPasswordActions,
  type PasswordActionDependencies,
} from "@/lib/actions/account/password";
import {
  createPasskeyActions,
  type PasskeyActionDependencies,
} from "@/lib/actions/account/passkeys";
import {
  createSessionActions,
  type SessionActionDependencies,
} from "@/lib/actions/account/sessions";
import { createTelegramActions } from "@/lib/actions/account/telegram";
import {
  createTwoStepActions,
  type TwoStepActionDependencies,
} from "@/lib/actions/account/two-step";

export type AccountActionDependencies = MethodActionDependencies &
  PasswordActionDependencies &
  SessionActionDependencies &
  TwoStepActionDependencies &
  PasskeyActionDependencies;

export function createAccountActions(deps: AccountActionDependencies) {
  return {
    ...createMethodActions(deps),
    ...createPasswordActions(deps),
    ...createSessionActions(deps),
    ...createTelegramActions(deps),
    ...createTwoStepActions(deps),
    ...createPasskeyActions(deps),
  };
}

export type AccountActions = ReturnType<typeof createAccountActions>;
