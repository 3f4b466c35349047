// Signing out from the header's button: Auth.js ends the session and redirects home.
import { createActionClient, type ActionClientDependencies } from "@/lib/actions/clients";

export interface SignOutActionDependencies extends ActionClientDependencies {
  /** Auth.js's signOut: deletes the session and ends by throwing Next's redirect. */
  signOut: (options: { redirectTo: string }) => Promise<unknown>;
}

export function createSignOutActions(deps: SignOutActionDependencies) {
  const actionClient = createActionClient(deps);

  return {
    // A plain form action in a server component: a failure is thrown, and the error page
    // says it, as for a call Next itself could not make.
    signOut: actionClient.action(
      async () => {
        await deps.signOut({ redirectTo: "/" });
      },
      { throwServerError: true },
    ),
  };
}
