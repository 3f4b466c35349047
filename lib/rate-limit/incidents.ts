// Logging an outage once, not once per request: used by the limiter and the account throttle
// (lib/security/account-throttle.ts).
import type { Logger } from "@/lib/logger";

export type IncidentState =
  { open: false } | { open: true; since: number; failures: number; firstReason: string };

export type IncidentTransition =
  { kind: "opened" } | { kind: "recovered"; failures: number; durationMs: number } | null;

/**
 * The once-per-incident state machine, pure: a first failure opens an incident (log it), more
 * failures only count, the first success closes it (log the recovery, with how many calls
 * failed and for how long). Concurrent calls can interleave, so a flapping backend logs each
 * flap — still bounded by how often it changes state, not by the request rate.
 */
export function nextIncidentState(
  state: IncidentState,
  event: { kind: "failure"; reason: string } | { kind: "success" },
  at: number,
): { state: IncidentState; transition: IncidentTransition } {
  if (event.kind === "failure") {
    if (state.open) return { state: { ...state, failures: state.failures + 1 }, transition: null };
    return {
      state: { open: true, since: at, failures: 1, firstReason: event.reason },
      transition: { kind: "opened" },
    };
  }
  if (!state.open) return { state, transition: null };
  return {
    state: { open: false },
    transition: { kind: "recovered", failures: state.failures, durationMs: at - state.since },
  };
}

export interface IncidentTracker {
  failed(error: unknown, data?: Record<string, unknown>): void;
  succeeded(): void;
  readonly isOpen: boolean;
}

/** Drives nextIncidentState and logs its transitions: a warning when, info when over. */
export function createIncidentTracker(options: {
  now: () => number;
  logger: Pick<Logger, "warn" | "info">;
  openedMessage: string;
  recoveredMessage: string;
  /** Added to both lines (which backend, which feature). */
  data?: Record<string, unknown>;
}): IncidentTracker {
  const { now, logger, openedMessage, recoveredMessage, data = {} } = options;
  let state: IncidentState = { open: false };
  return {
    failed(error, extra = {}) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const next = nextIncidentState(state, { kind: "failure", reason }, now());
      state = next.state;
      if (next.transition?.kind === "opened")
        logger.warn(openedMessage, { ...data, ...extra, reason });
    },
    succeeded() {
      const next = nextIncidentState(state, { kind: "success" }, now());
      state = next.state;
      if (next.transition?.kind === "recovered") {
        logger.info(recoveredMessage, {
          ...data,
          failedCalls: next.transition.failures,
          outageMs: next.transition.durationMs,
        });
      }
    },
    get isOpen() {
      return state.open;
    },
  };
}
