// npm run dev
//
// `next dev`, and — when no OAuth provider is configured — the development stand-ins for
// Google, GitHub and Stack Overflow: the local identity provider the tests use
// (scripts/dev-idp), started on a free loopback port and handed to the app as
// AUTH_DEV_IDP_URL. The app then signs in through its real provider code with only the base
// URLs changed, so linking, unlinking and the same-email policy can be tried with nothing
// registered. lib/env.ts refuses AUTH_DEV_IDP_URL anywhere but a development build on
// loopback; `next build` / `npm start` never run this file. docs/sign-in.md has the details.
//
// Arguments go to `next dev` (npm run dev -- --port 3001); run `npx next dev` to see the
// app with no provider at all.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

import { startFakeIdp, type FakeIdp } from "./dev-idp";
import { planStandIns, standInClients } from "./dev-idp/plan";
import { loadEnvFiles } from "./load-env";

async function startStandIns(): Promise<FakeIdp | null> {
  const plan = planStandIns(process.env);
  if (!plan.start) {
    console.log(`Development stand-ins for the sign-in providers: off (${plan.reason}).`);
    return null;
  }
  const idp = await startFakeIdp({ clients: standInClients(plan.appUrl), standIn: true });
  console.log(
    `Development stand-ins for Google, GitHub, Stack Overflow and Telegram at ${idp.url}` +
      " — set AUTH_GOOGLE_ID/_SECRET, AUTH_GITHUB_ID/_SECRET, AUTH_STACKOVERFLOW_ID/_SECRET/_KEY" +
      " or AUTH_TELEGRAM_ID/_SECRET" +
      " in .env.local to use the real ones (docs/sign-in.md).",
  );
  return idp;
}

async function main(): Promise<void> {
  // The same .env files `next dev` reads, so the plan sees the settings the app will.
  loadEnvFiles(true);
  const idp = await startStandIns();
  const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
  const child = spawn(process.execPath, [nextBin, "dev", ...process.argv.slice(2)], {
    stdio: "inherit",
    env: idp ? { ...process.env, AUTH_DEV_IDP_URL: idp.url } : process.env,
  });
  // Ctrl-C reaches both processes; a signal sent to this one alone is passed on. Either
  // way this process stays until `next dev` is gone, then stops the stand-ins.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => child.kill(signal));
  }
  const code = await new Promise<number>((resolve) => {
    child.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    child.once("error", (error) => {
      console.error(`could not start next dev: ${error.message}`);
      resolve(1);
    });
  });
  await idp?.close();
  process.exit(code);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
