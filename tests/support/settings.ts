// What the settings tests share: a stand-in for the generated development secret, and the
// problems parseSettings reports for an environment it must refuse.
import { parseSettings, SettingsError, type Env, type ParseOptions } from "@/lib/env";

/** A fixed development secret, so no test writes one to disk. */
export const devSecret = () => "d".repeat(43);

/** The problems parseSettings names for `env`; fails the test when it accepts it. */
export function problemsOf(env: Env, options: ParseOptions = {}): string[] {
  try {
    parseSettings(env, { devSecret, ...options });
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  throw new Error("expected parseSettings to throw");
}
