// Reads the Dockerfile and compose.yaml the way Docker and Compose do, as far as the tests
// need: no Docker engine runs here, so tests check these files with this and run what the
// image would run (e2e/container.test.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import yaml from "js-yaml";

const root = fileURLToPath(new URL("../..", import.meta.url));

// ---------------------------------------------------------------------------------------
// Compose

/** A `${NAME:?message}` (or `${NAME?message}`) whose variable is missing. */
export class InterpolationError extends Error {
  constructor(readonly missing: { name: string; message: string }[]) {
    super(missing.map((m) => `${m.name}: ${m.message}`).join("\n"));
    this.name = "InterpolationError";
  }
}

type Variables = Record<string, string | undefined>;

/**
 * Compose's interpolation (compose-spec, "Interpolation"): `$$`, `$NAME`, `${NAME}`, and
 * `${NAME<op>word}` with the operators `:-` `-` `:?` `?` `:+` `+`, where `word` may hold
 * further `${…}`. With a colon, an empty value counts as unset.
 */
export function interpolate(
  text: string,
  variables: Variables,
  missing: InterpolationError["missing"] = [],
): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char !== "$") {
      out += char;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next !== "{") {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      if (!name) throw new Error(`bad "$" at ${i} in ${text}`);
      out += variables[name] ?? "";
      i += 1 + name.length;
      continue;
    }
    // The matching "}", past any nested ${…}.
    let depth = 0;
    let end = i + 1;
    for (; end < text.length; end += 1) {
      if (text[end] === "{") depth += 1;
      else if (text[end] === "}" && --depth === 0) break;
    }
    if (end >= text.length) throw new Error(`unclosed "\${" in ${text}`);
    const body = text.slice(i + 2, end);
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
    if (!match?.[1]) throw new Error(`bad "\${${body}}" in ${text}`);
    const [, name, operator, word = ""] = match;
    const value = variables[name];
    const set = operator?.startsWith(":")
      ? value !== undefined && value !== ""
      : value !== undefined;
    const kind = operator?.replace(":", "");
    if (kind === "-") out += set ? value : interpolate(word, variables, missing);
    else if (kind === "+") out += set ? interpolate(word, variables, missing) : "";
    else if (kind === "?") {
      if (set) out += value;
      else missing.push({ name, message: interpolate(word, variables, missing) });
    } else out += value ?? "";
    i = end + 1;
  }
  return out;
}

/** Every string of a parsed YAML document interpolated (Compose interpolates all of them). */
function interpolateAll(
  node: unknown,
  variables: Variables,
  missing: InterpolationError["missing"],
): unknown {
  if (typeof node === "string") return interpolate(node, variables, missing);
  if (Array.isArray(node)) return node.map((item) => interpolateAll(item, variables, missing));
  if (node !== null && typeof node === "object") {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, interpolateAll(value, variables, missing)]),
    );
  }
  return node;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  profiles?: string[];
  volumes?: string[];
  init?: boolean;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** compose.yaml as written: anchors and merge keys resolved, `${…}` left as they are. */
export function readComposeRaw(): ComposeFile {
  return yaml.load(readFileSync(join(root, "compose.yaml"), "utf8")) as ComposeFile;
}

/**
 * compose.yaml as Compose sees it with these variables (its `.env` file, the shell), or an
 * InterpolationError naming every required variable that is missing.
 */
export function readCompose(variables: Variables): ComposeFile {
  const missing: InterpolationError["missing"] = [];
  const file = interpolateAll(readComposeRaw(), variables, missing) as ComposeFile;
  if (missing.length > 0) throw new InterpolationError(missing);
  return file;
}

/** A service's environment as the variables its process gets (list or map form). */
export function serviceEnvironment(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  const entries = Array.isArray(environment)
    ? environment.map((line) => {
        const at = line.indexOf("=");
        return [line.slice(0, at), line.slice(at + 1)] as const;
      })
    : Object.entries(environment).map(
        ([key, value]) => [key, value === null ? "" : String(value)] as const,
      );
  return Object.fromEntries(entries);
}

// ---------------------------------------------------------------------------------------
// Dockerfile

export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  /** The image after ARG defaults are filled in. */
  from: string;
  name: string | null;
  instructions: DockerInstruction[];
}

/** The Dockerfile's stages, continuation lines joined, comments dropped. */
export function readDockerfile(): DockerStage[] {
  const text = readFileSync(join(root, "Dockerfile"), "utf8");
  const logical: string[] = [];
  let current = "";
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== "") logical.push(current.trim());
    current = "";
  }
  const args: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const keyword = /^\S+/.exec(line)?.[0] ?? "";
    const instruction = { keyword: keyword.toUpperCase(), args: line.slice(keyword.length).trim() };
    if (instruction.keyword === "ARG" && stages.length === 0) {
      const [name, value = ""] = instruction.args.split("=");
      if (name) args[name] = value;
    } else if (instruction.keyword === "FROM") {
      const [image = "", as, name] = instruction.args.split(/\s+/);
      const from = image.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => args[arg] ?? "");
      stages.push({
        from,
        name: as?.toUpperCase() === "AS" ? (name ?? null) : null,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The argument list of an exec-form instruction (`["node", "server.mjs"]`), or null. */
export function execForm(args: string): string[] | null {
  if (!args.trimStart().startsWith("[")) return null;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((item) => typeof item === "string") ? parsed : null;
}

/** The HEALTHCHECK's command (exec form) and its options (`--interval=15s` → interval). */
export function healthcheck(
  stage: DockerStage,
): { options: Record<string, string>; command: string[] | null } | null {
  const instruction = stage.instructions.find((i) => i.keyword === "HEALTHCHECK");
  if (!instruction) return null;
  const at = instruction.args.indexOf("CMD");
  const options: Record<string, string> = {};
  for (const [, name = "", value = ""] of instruction.args
    .slice(0, at)
    .matchAll(/--([\w-]+)=(\S+)/g)) {
    options[name] = value;
  }
  return { options, command: execForm(instruction.args.slice(at + "CMD".length)) };
}
