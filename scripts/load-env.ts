// .env files for scripts run outside Next (npm run db:migrate, bot:dev, bot:webhook), loaded
// by Next's own loader so they see the same settings as `next dev` / `next start`. Variables
// already in the environment win, as they do in Next.
import nextEnv from "@next/env";

/** `development`: also .env.development* (as `next dev`); otherwise .env.production*. */
export function loadEnvFiles(development: boolean): void {
  nextEnv.loadEnvConfig(process.cwd(), development, {
    info: () => undefined,
    error: console.error,
  });
}
