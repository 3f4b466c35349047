// No import loops in lib/: every module of lib/ (the generated Prisma client aside) and the
// modules it imports through "@/lib/…" or a relative path, type-only imports included — a
// loop of types still ties two files together, and it is the first step to a runtime one.
// A loop is reported as the files that form it, each importing the next.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const lib = join(root, "lib");
const generated = join(lib, "generated");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (path === generated) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The lib/ file an import names, or null for a package or anything outside lib/. */
function resolveImport(from: string, specifier: string): string | null {
  let base: string;
  if (specifier.startsWith("@/")) base = join(root, specifier.slice(2));
  else if (specifier.startsWith(".")) base = join(dirname(from), specifier);
  else return null;
  const candidates = [`${base}.ts`, `${base}.tsx`, join(base, "index.ts"), base];
  const file = candidates.find(
    (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
  );
  return file !== undefined && file.startsWith(lib) && !file.startsWith(generated) ? file : null;
}

function importGraph(files: string[]): Map<string, string[]> {
  return new Map(
    files.map((file) => {
      // Static imports, `import type`, re-exports and dynamic import() alike.
      const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
      const targets = importedFiles
        .map(({ fileName }) => resolveImport(file, fileName))
        .filter((target): target is string => target !== null);
      return [file, [...new Set(targets)]];
    }),
  );
}

/** Each loop as a list of files, the first importing the second … and the last the first. */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, "visiting");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "visiting") cycles.push(path.slice(path.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

describe("imports in lib/", () => {
  it("form no loop", () => {
    const graph = importGraph(sourceFiles(lib));
    // The walk found the modules and their imports (a broken resolver would find no loop).
    expect(graph.size).toBeGreaterThan(50);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
    const loops = findCycles(graph).map((cycle) =>
      [...cycle, cycle[0] ?? ""].map((file) => relative(root, file)).join(" → "),
    );
    expect(loops).toEqual([]);
  });
});
