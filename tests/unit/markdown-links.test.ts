// Every relative link in the repository's Markdown resolves: the target file or folder
// exists, and a `#fragment` names a heading (or an `<a id>`/`<a name>`) of the target by
// GitHub's slug. External links (any `scheme:`) are not followed.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Folders that are not ours to check: dependencies, build output, generated code. */
const SKIPPED = new Set(["node_modules", ".next", ".git", "test-results", ".data", "tmp"]);
const SKIPPED_PATHS = new Set([join("lib", "generated")]);

function markdownFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (SKIPPED.has(entry.name) || SKIPPED_PATHS.has(relative(root, path))) continue;
      found.push(...markdownFiles(path));
    } else if (entry.isFile() && entry.name.endsWith(".md")) {
      found.push(path);
    }
  }
  return found.sort();
}

/** The text outside fenced code blocks, line by line (fenced lines become empty). */
function proseLines(text: string): string[] {
  let fence: string | null = null;
  return text.split(/\r?\n/).map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null) {
      if (marker !== undefined) {
        fence = marker;
        return "";
      }
      return line;
    }
    if (
      marker !== undefined &&
      marker.startsWith(fence.charAt(0)) &&
      marker.length >= fence.length
    ) {
      fence = null;
    }
    return "";
  });
}

/** GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link's text
    .replace(/<[^>]+>/g, "") // inline HTML
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown text offers: heading slugs (numbered when repeated), `<a id>`s. */
function anchors(text: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      found.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<a\s[^>]*\b(?:id|name)=["']([^"']+)["']/gi)) {
      if (match[1] !== undefined) found.add(match[1]);
    }
  }
  return found;
}

/**
 * Link targets in a Markdown text: inline links and images, reference definitions, and the
 * `href`/`src` of HTML links and images.
 */
function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(text)) {
    const prose = line.replace(/(`+)[^`]*?\1/g, ""); // inline code is not a link
    for (const match of prose.matchAll(/\]\(\s*(<[^>]*>|[^)\s]*)/g)) {
      const target = match[1] ?? "";
      targets.push(target.startsWith("<") ? target.slice(1, -1) : target);
    }
    for (const match of prose.matchAll(/<(?:a|img)\s[^>]*\b(?:href|src)=["']([^"']*)["']/gi)) {
      targets.push(match[1] ?? "");
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(prose)?.[1];
    if (definition !== undefined) {
      targets.push(definition.startsWith("<") ? definition.slice(1, -1) : definition);
    }
  }
  return targets;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/**
 * What is wrong with each relative link of `file` (whose text is `text`), in words; reads
 * targets through `read` (undefined: no such file) and `isFolder`.
 */
function brokenLinks(
  file: string,
  text: string,
  read: (path: string) => string | undefined,
  isFolder: (path: string) => boolean,
): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(text)) {
    if (target === "" || isExternal(target)) continue;
    const hashAt = target.indexOf("#");
    const pathPart = decodeURIComponent(hashAt === -1 ? target : target.slice(0, hashAt));
    const fragment = hashAt === -1 ? null : decodeURIComponent(target.slice(hashAt + 1));
    const path = pathPart === "" ? file : resolve(dirname(file), pathPart.split("/").join(sep));
    if (pathPart !== "" && !isFolder(path) && read(path) === undefined) {
      problems.push(`${target}: no such file`);
      continue;
    }
    if (fragment === null || fragment === "" || !path.endsWith(".md")) continue;
    if (!anchors(pathPart === "" ? text : (read(path) ?? "")).has(fragment)) {
      problems.push(`${target}: no heading with the anchor #${fragment}`);
    }
  }
  return problems;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? readFileSync(path, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

const isFolderOnDisk = (path: string) => existsSync(path) && statSync(path).isDirectory();

const files = markdownFiles(root);

describe("Markdown links", () => {
  it("finds the README and the docs", () => {
    const names = files.map((file) => relative(root, file).split(sep).join("/"));
    expect(names).toContain("README.md");
    expect(names.filter((name) => name.startsWith("docs/")).length).toBeGreaterThan(0);
  });

  it.each(files.map((file) => [relative(root, file), file]))(
    "%s: every relative link resolves",
    (_name, file) => {
      const text = readFileSync(file, "utf8");
      expect(brokenLinks(file, text, readOrUndefined, isFolderOnDisk)).toEqual([]);
    },
  );
});

describe("the link checker", () => {
  const docs = new Map([
    [
      "/r/a.md",
      [
        "# Going to production",
        "## Same email across providers",
        "## `proxy.ts` and the `RATE_LIMIT_*` settings",
        "## Performance (`npm run bench`)",
        "## What's new — 2.0?",
        "## Notes",
        "## Notes",
        "```bash",
        "# not a heading",
        "```",
        '<a id="custom"></a>',
      ].join("\n"),
    ],
  ]);
  const read = (path: string) => docs.get(path);
  const check = (text: string) => brokenLinks("/r/b.md", text, read, () => false);

  it("makes GitHub's slugs", () => {
    expect([...anchors(docs.get("/r/a.md") ?? "")]).toEqual([
      "going-to-production",
      "same-email-across-providers",
      "proxyts-and-the-rate_limit_-settings",
      "performance-npm-run-bench",
      "whats-new--20",
      "notes",
      "notes-1",
      "custom",
    ]);
  });

  it("accepts links that resolve, and ignores external ones and code", () => {
    expect(
      check(
        [
          "[a](a.md) [b](./a.md#same-email-across-providers) ![i](a.md)",
          "[c](a.md#notes-1) [d](<a.md#custom>) [e](https://example.com/x.md#nope)",
          '<img src="a.md" alt="i"> <a href="a.md#notes">n</a>',
          "`[f](missing.md)`",
          "```",
          "[g](missing.md)",
          "```",
          "[ref]: a.md#going-to-production",
        ].join("\n"),
      ),
    ).toEqual([]);
  });

  it("reports a missing file, a missing anchor and a missing anchor in the same file", () => {
    expect(
      check('# Here\n[a](missing.md) [b](a.md#nowhere) [c](#here) [d](#there) <img src="x.png">'),
    ).toEqual([
      "missing.md: no such file",
      "a.md#nowhere: no heading with the anchor #nowhere",
      "#there: no heading with the anchor #there",
      "x.png: no such file",
    ]);
  });
});
