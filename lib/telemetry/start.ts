// Starts tracing when a collector is configured (instrumentation.ts calls it first thing,
// before the app's modules load). Unset, it returns without importing the SDK: the
// `import()` below is the only way in, so the SDK stays out of memory and out of start-up.
import { getSettings, SettingsError, type TracingSettings } from "@/lib/env";

export interface StartTracingOptions {
  /** Injected by tests; the real one reads the process's settings. */
  settings?: () => TracingSettings | null;
  load?: () => Promise<{ registerTracing: (settings: TracingSettings) => void }>;
}

/** Returns whether tracing was started. */
export async function startTracing(options: StartTracingOptions = {}): Promise<boolean> {
  let settings: TracingSettings | null;
  try {
    settings = (options.settings ?? (() => getSettings().tracing))();
  } catch (error) {
    // Invalid settings are reported, every one of them, by the start-up that runs next
    // (lib/root/start.ts); tracing just stays off.
    if (error instanceof SettingsError) return false;
    throw error;
  }
  if (!settings) return false;
  const { registerTracing } = await (options.load ?? (() => import("./otel")))();
  registerTracing(settings);
  return true;
}
