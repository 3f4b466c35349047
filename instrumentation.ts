// Next.js calls register() once when a server instance starts.
export async function register(): Promise<void> {
  // The one process.env read outside lib/env.ts, on purpose: NEXT_RUNTIME is not a setting
  // but a constant Next writes into each bundle at build time. Written inline, the Edge
  // bundle folds this to `return` and drops the Node-only import below (pg, PGlite, fs);
  // behind a function in lib/env.ts the Edge build would compile all of it.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { runServerStart } = await import("@/lib/root/start");
  await runServerStart();
}
