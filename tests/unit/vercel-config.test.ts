// vercel.json: its cron must deploy on every Vercel plan (Hobby refuses schedules that run
// more than once a day) and must call a route that exists, with the method Vercel uses.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface VercelConfig {
  crons?: { path: string; schedule: string }[];
}

const config = JSON.parse(readFileSync(join(root, "vercel.json"), "utf8")) as VercelConfig;

describe("vercel.json", () => {
  const crons = config.crons ?? [];

  it("schedules the outbox sweeper (Telegram alerts and mail)", () => {
    expect(crons.map((cron) => cron.path)).toEqual(["/api/outbox/sweep"]);
  });

  it.each(crons)("$path runs at most once a day (Hobby plan)", ({ schedule }) => {
    const [minute, hour, ...rest] = schedule.split(" ");
    expect(rest).toHaveLength(3);
    // One fixed minute of one fixed hour: no "*", "/", "," or "-".
    expect(minute).toMatch(/^\d{1,2}$/);
    expect(hour).toMatch(/^\d{1,2}$/);
  });

  it.each(crons)("$path is a route handler with GET (what Vercel Cron calls)", ({ path }) => {
    const file = join(root, "app", ...path.split("/").filter(Boolean), "route.ts");
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8")).toMatch(/export const GET\b/);
  });
});
