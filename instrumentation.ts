// Next.js calls register() once when a server instance starts.
export async function register(): Promise<void> {
  // The one process.env read outside lib/env.ts, on purpose: NEXT_RUNTIME is not a setting
  // but a constant Next writes into each bundle at build time. Written inline, the Edge
  // bundle folds this to `return` and drops the Node-only import below (pg, PGlite, fs);
  // behind a function in lib/env.ts the Edge build would compile all of it.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // First: the tracer is in place before the app's modules load and any request arrives.
  // Without OTEL_EXPORTER_OTLP_ENDPOINT this loads nothing of OpenTelemetry's SDK.
  const { startTracing } = await import("@/lib/telemetry/start");
  await startTracing();
  const { runServerStart } = await import("@/lib/root/start");
  await runServerStart();
}
