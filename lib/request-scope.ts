// The request a piece of code runs for, without passing it by hand: route handlers, server
// actions and bot updates enter a scope (runInRequestScope) where they start, and
// everything awaited inside it — Auth.js callbacks, services, after() work — sees the same
// request id. The logger stamps it on every line (lib/logger.ts, pino's mixin).
//
// Not entered in proxy.ts: Next runs the proxy apart from the route, page or action that
// follows (a separate call, and a separate bundle), so a scope opened there would not reach
// them. Each entry point opens its own with the request id the proxy put in the headers.
import { AsyncLocalStorage } from "node:async_hooks";

import { kept } from "@/lib/process-slot";

export interface RequestScope {
  requestId: string;
}

// One storage per process, not per module copy: the proxy and the app are separate bundles
// with a copy of this module each, and the logger (built by whichever ran first) must read
// the storage the route entered.
const storage = () => kept("requestScope", () => new AsyncLocalStorage<RequestScope>());

/** Runs `work` as part of the request `requestId`: its log lines carry the id. */
export function runInRequestScope<T>(requestId: string, work: () => T): T {
  return storage().run({ requestId }, work);
}

/** The id of the request the caller runs for, or undefined outside any request. */
export function currentRequestId(): string | undefined {
  return storage().getStore()?.requestId;
}
