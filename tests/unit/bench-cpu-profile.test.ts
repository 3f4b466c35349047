// npm run bench:profile's arithmetic (scripts/bench/cpu-profile.ts): its numbers are read to
// decide what to optimise, so how a profile is folded is checked on a profile made by hand.
import { describe, expect, it } from "vitest";

import { fold, placeOf, type CpuProfile } from "@/scripts/bench/cpu-profile";

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });

describe("placeOf", () => {
  it("names where the code lives", () => {
    expect(placeOf(frame("(garbage collector)", ""))).toBe("(garbage collector)");
    expect(placeOf(frame("JSON.parse", ""))).toBe("native");
    expect(placeOf(frame("emit", "node:events"))).toBe("node");
    expect(
      placeOf(frame("render", "file:///app/node_modules/next/dist/compiled/react-dom/x.js")),
    ).toBe("next (compiled react-dom)");
    expect(placeOf(frame("parse", "file:///app/node_modules/pg-protocol/dist/parser.js"))).toBe(
      "pg-protocol",
    );
    // A package inside another's node_modules is the inner one.
    expect(placeOf(frame("x", "file:///app/node_modules/a/node_modules/@scope/b/i.js"))).toBe(
      "@scope/b",
    );
    expect(placeOf(frame("page", "file:///app/.next/server/chunks/ssr/app.js"))).toBe(
      "app bundle (.next/server)",
    );
    expect(placeOf(frame("main", "file:///app/server.mjs"))).toBe("other");
  });
});

describe("fold", () => {
  // (root) → handle (bundle) → query (pg) → handle (bundle, recursion) → parse (pg-protocol);
  // plus (garbage collector) and (idle) under the root.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", ""), children: [2, 6, 7] },
      { id: 2, callFrame: frame("handle", "file:///a/.next/server/x.js"), children: [3] },
      { id: 3, callFrame: frame("query", "file:///a/node_modules/pg/lib/c.js"), children: [4] },
      { id: 4, callFrame: frame("handle", "file:///a/.next/server/x.js"), children: [5] },
      { id: 5, callFrame: frame("parse", "file:///a/node_modules/pg-protocol/p.js") },
      { id: 6, callFrame: frame("(garbage collector)", "") },
      { id: 7, callFrame: frame("(idle)", "") },
    ],
    samples: [2, 5, 5, 6, 7, 3],
    timeDeltas: [100, 200, 300, 50, 10_000, 25],
  };
  const folded = fold(profile);

  it("adds sampled time by place, idle left out", () => {
    expect(folded.busyMicros).toBe(100 + 200 + 300 + 50 + 25);
    expect(Object.fromEntries(folded.selfByPlace)).toEqual({
      "app bundle (.next/server)": 100,
      "pg-protocol": 500,
      "(garbage collector)": 50,
      pg: 25,
    });
  });

  it("counts a function once per sample however deep its recursion, inclusive of callees", () => {
    expect(Object.fromEntries(folded.inclusive)).toEqual({
      "handle app bundle (.next/server)": 100 + 200 + 300 + 25,
      "query pg": 200 + 300 + 25,
      "parse pg-protocol": 500,
    });
  });
});
