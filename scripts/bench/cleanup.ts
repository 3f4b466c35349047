// Everything the bench starts or creates is registered here, so that a normal end, a thrown
// error and Ctrl-C all leave the machine as it was: no server left listening, no PostgreSQL
// cluster running in /tmp, no gigabyte of build copies.
import type { ChildProcess } from "node:child_process";

type Step = () => Promise<void> | void;

const steps: { label: string; run: Step }[] = [];
const children = new Set<ChildProcess>();
let running: Promise<void> | null = null;

/** Registers an undo step; steps run newest first. Returns a function that drops the step. */
export function onCleanup(label: string, run: Step): () => void {
  const step = { label, run };
  steps.push(step);
  return () => {
    const index = steps.indexOf(step);
    if (index !== -1) steps.splice(index, 1);
  };
}

/** Runs every registered step once, newest first; a failing step does not stop the others. */
export function runCleanups(): Promise<void> {
  running ??= (async () => {
    while (steps.length > 0) {
      const step = steps.pop();
      if (!step) break;
      try {
        await step.run();
      } catch (error) {
        console.error(`bench: clean-up "${step.label}" failed:`, error);
      }
    }
  })();
  return running;
}

/** Sends `signal` to a detached child's whole process group (Next may fork workers). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone (ESRCH).
  }
}

/**
 * Remembers a detached child until it exits. The async clean-up stops children gently; this
 * is the last resort for an exit that skips it (process.exit in a library, a second Ctrl-C):
 * detached children are in their own process group and would outlive the bench.
 */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

process.once("exit", () => {
  for (const child of children) killGroup(child, "SIGKILL");
});

/** Ctrl-C and SIGTERM clean up before leaving; a second one leaves at once. */
export function installSignalHandlers(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (running) {
        console.error(`\nbench: ${signal} again, leaving without finishing clean-up`);
        process.exit(130);
      }
      console.error(`\nbench: ${signal}, cleaning up…`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}
