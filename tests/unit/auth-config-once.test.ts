// lib/root/auth.ts hands Auth.js a configuration function, which Auth.js calls on every
// auth() and every request to its routes: oncePerServices makes that one build per set of
// services (keys derived and providers made once), and a new set of services gets its own.
import type { NextAuthConfig } from "next-auth";
import { describe, expect, it } from "vitest";

import { oncePerServices } from "@/lib/auth/config";

describe("oncePerServices", () => {
  it("builds once per services object and hands back the same configuration", () => {
    let builds = 0;
    const configFor = oncePerServices((services: { name: string }) => {
      builds += 1;
      return { providers: [], basePath: `/${services.name}` } satisfies NextAuthConfig;
    });
    const first = { name: "a" };
    const config = configFor(first);
    expect(configFor(first)).toBe(config);
    expect(configFor(first)).toBe(config);
    expect(builds).toBe(1);

    const second = { name: "b" };
    expect(configFor(second)).not.toBe(config);
    expect(configFor(second).basePath).toBe("/b");
    expect(builds).toBe(2);
  });
});
