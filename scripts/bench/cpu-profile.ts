// What npm run bench:profile makes of a V8 CPU profile (scripts/bench-profile.ts).
//
// The .cpuprofile format (V8's Profiler.Profile): a call tree whose nodes carry their
// function, and samples naming the node that was running, each after a time delta (µs).

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives, coarse enough to add up. */
export function placeOf(frame: ProfileNode["callFrame"]): string {
  const { url, functionName } = frame;
  if (url === "") {
    // V8's pseudo-frames: (garbage collector), (program), (idle), (root).
    return functionName.startsWith("(") ? functionName : "native";
  }
  if (url.startsWith("node:")) return "node";
  const compiled = /next\/dist\/compiled\/(@[^/]+\/[^/]+|[^/]+)/.exec(url);
  if (compiled) return `next (compiled ${compiled[1]})`;
  const nodeModules = /node_modules\/(@[^/]+\/[^/]+|[^/]+)\/(?!.*node_modules)/.exec(url);
  if (nodeModules?.[1]) return nodeModules[1];
  // Turbopack's server chunks bundle our code with what it imported from packages.
  if (url.includes("/.next/server/")) return "app bundle (.next/server)";
  return "other";
}

export interface Folded {
  /** Sampled CPU time (µs), idle excluded. */
  busyMicros: number;
  selfByPlace: Map<string, number>;
  /** Function (name + place) → time with it anywhere on the stack (µs). */
  inclusive: Map<string, number>;
}

export function fold(profile: CpuProfile): Folded {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const folded: Folded = { busyMicros: 0, selfByPlace: new Map(), inclusive: new Map() };
  const add = (map: Map<string, number>, key: string, micros: number) =>
    map.set(key, (map.get(key) ?? 0) + micros);
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === "(idle)") return;
    folded.busyMicros += micros;
    add(folded.selfByPlace, placeOf(node.callFrame), micros);
    // Each function once per sample, however deep its recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.url === "") continue;
      const key = `${frame.functionName || "(anonymous)"} ${placeOf(frame)}`;
      if (!seen.has(key)) {
        seen.add(key);
        add(folded.inclusive, key, micros);
      }
    }
  });
  return folded;
}
