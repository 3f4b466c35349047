// The anchor: a stock Auth.js app, built and measured beside ours in the pages section, so
// that what our pages cost is always read next to what the same framework costs without
// anything of ours (issue 18).
//
// Exactly what it is: Next.js + next-auth at the versions our node_modules has (so also
// React and React DOM), as the Auth.js docs set it up — `auth.ts` with a JWT session, one
// Credentials provider (email + password; a fixed user for the bench password, else null),
// AUTH_SECRET from the environment and trustHost; the Auth.js route handlers; a root layout;
// and one dynamic page, "/", that reads the session with `await auth()` and shows "Signed in
// as <name>" or "Signed out" in a little markup (a header, a heading, four short features, a
// footer). Nothing else: no middleware or proxy, no CSP, no database, no rate limit, no CSS.
// Built with `next build` and served by `next start` (no server.mjs).
//
// Its files are the template strings below; node_modules is a hard-link copy of ours, as
// for our builds (scripts/bench/app.ts).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import {
  baseEnv,
  nextBin,
  prerenderedRoutes,
  randomSecret,
  runBuild,
  startServer,
  type AppServer,
} from "./app";
import { check, renderedPerRequest, signIn } from "./browser";

export const ANCHOR_NAME = "Anchor Person";
const EMAIL = "anchor@example.com";
const PASSWORD = "a long anchor password 5150";

/** Ours, installed: the anchor runs on the very same packages. */
const PACKAGES = ["next", "next-auth", "react", "react-dom"] as const;
/** What `next build` needs to type-check a TypeScript app (also ours, installed). */
const DEV_PACKAGES = ["typescript", "@types/node", "@types/react", "@types/react-dom"] as const;

function installedVersion(root: string, name: string): string {
  const manifest = JSON.parse(
    readFileSync(join(root, "node_modules", name, "package.json"), "utf8"),
  ) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error(`no version in ${name}'s package`);
  return manifest.version;
}

function versions(root: string, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, installedVersion(root, name)]));
}

/** The anchor's files, path → content. */
export function anchorFiles(root: string): Record<string, string> {
  const packageJson = {
    name: "gatehouse-bench-anchor",
    private: true,
    scripts: { build: "next build", start: "next start" },
    dependencies: versions(root, PACKAGES),
    devDependencies: versions(root, DEV_PACKAGES),
  };
  const tsconfig = {
    compilerOptions: {
      target: "ES2017",
      lib: ["dom", "dom.iterable", "esnext"],
      allowJs: true,
      skipLibCheck: true,
      strict: true,
      noEmit: true,
      esModuleInterop: true,
      module: "esnext",
      moduleResolution: "bundler",
      resolveJsonModule: true,
      isolatedModules: true,
      jsx: "react-jsx",
      incremental: true,
      plugins: [{ name: "next" }],
      paths: { "@/*": ["./*"] },
    },
    include: [
      "next-env.d.ts",
      "**/*.ts",
      "**/*.tsx",
      ".next/types/**/*.ts",
      ".next/dev/types/**/*.ts",
    ],
    exclude: ["node_modules"],
  };
  return {
    "package.json": `${JSON.stringify(packageJson, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(tsconfig, null, 2)}\n`,
    // The root only says where the project is: without a lockfile, Next would look for one
    // in the folders above (the bench's, or a repository with --keep-builds).
    "next.config.mjs": `import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** @type {import("next").NextConfig} */
const nextConfig = {
  turbopack: { root: dirname(fileURLToPath(import.meta.url)) },
};

export default nextConfig;
`,
    "auth.ts": `import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";

const USER = { id: "anchor-user", name: ${JSON.stringify(ANCHOR_NAME)}, email: ${JSON.stringify(EMAIL)} };

export const { handlers, auth, signIn, signOut } = NextAuth({
  session: { strategy: "jwt" },
  providers: [
    Credentials({
      credentials: { email: {}, password: {} },
      authorize: async (credentials) =>
        credentials.password === ${JSON.stringify(PASSWORD)} ? USER : null,
    }),
  ],
  secret: process.env.AUTH_SECRET,
  trustHost: true,
});
`,
    "app/api/auth/[...nextauth]/route.ts": `import { handlers } from "@/auth";

export const { GET, POST } = handlers;
`,
    "app/layout.tsx": `import type { Metadata } from "next";
import type { ReactNode } from "react";

export const metadata: Metadata = {
  title: "Anchor",
  description: "A stock Auth.js app the Gatehouse bench measures beside Gatehouse.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
`,
    "app/page.tsx": `import { auth } from "@/auth";

const features = [
  { title: "Sign in your way", body: "An email and a password, checked by the credentials provider." },
  { title: "Sessions in a cookie", body: "An encrypted JWT: nothing to look up per request." },
  { title: "One configuration", body: "auth.ts exports the route handlers and auth() for pages." },
  { title: "Rendered per request", body: "This page reads the session, so Next renders it every time." },
];

export default async function Home() {
  const session = await auth();
  const name = session?.user?.name;
  return (
    <>
      <header>
        <a href="/">Anchor</a>
        <nav>{name ? <span>{\`Signed in as \${name}\`}</span> : <span>Signed out</span>}</nav>
      </header>
      <main>
        <h1>A stock Auth.js app</h1>
        <p>Next.js and Auth.js as their documentation sets them up, with nothing added.</p>
        <ul>
          {features.map((feature) => (
            <li key={feature.title}>
              <h2>{feature.title}</h2>
              <p>{feature.body}</p>
            </li>
          ))}
        </ul>
      </main>
      <footer>
        <p>Measured by the Gatehouse bench.</p>
      </footer>
    </>
  );
}
`,
  };
}

const FINGERPRINT_FILE = ".bench-fingerprint";

/**
 * The anchor written to `dest` and built. With --keep-builds, a build of the same files
 * (the versions are in package.json) is reused.
 */
export async function buildAnchor(
  root: string,
  dest: string,
  log: (line: string) => void,
): Promise<{ reused: boolean; seconds: number }> {
  const files = anchorFiles(root);
  const print = createHash("sha256").update(JSON.stringify(files)).digest("hex");
  const marker = join(dest, FINGERPRINT_FILE);
  if (existsSync(join(dest, ".next", "BUILD_ID")) && existsSync(marker)) {
    if (readFileSync(marker, "utf8") === print) return { reused: true, seconds: 0 };
  }

  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    const target = join(dest, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  execFileSync("cp", ["-al", join(root, "node_modules"), join(dest, "node_modules")]);

  log(`building the stock Auth.js anchor in ${dest} …`);
  const started = Date.now();
  await runBuild(dest, { ...baseEnv(), AUTH_SECRET: randomSecret() });
  writeFileSync(marker, print);
  return { reused: false, seconds: (Date.now() - started) / 1_000 };
}

export interface Anchor {
  server: AppServer;
  /** The Cookie header of a signed-in browser. */
  cookie: string;
  /** What "/" answered with, anonymous. */
  cacheControl: string;
}

/**
 * `next start` on the built anchor, signed in once, and checked: "/" is rendered per
 * request and names the user only when signed in. Stopped again if a check fails.
 */
export async function startAnchor(dir: string, port: number): Promise<Anchor> {
  const server = await startServer(
    "anchor",
    dir,
    port,
    { ...baseEnv(), AUTH_SECRET: randomSecret() },
    {
      args: [nextBin(dir), "start", "-p", String(port), "-H", "127.0.0.1"],
      readyPath: "/api/auth/providers",
    },
  );
  try {
    if (prerenderedRoutes(dir).includes("/")) {
      throw new Error(`the anchor's build prerendered "/"`);
    }
    const anonymous = await check(server, "/");
    const cookie = await signIn(server, {
      provider: "credentials",
      email: EMAIL,
      password: PASSWORD,
    });
    const signedIn = await check(server, "/", cookie);
    for (const [label, page] of [
      ["anonymous", anonymous],
      ["signed in", signedIn],
    ] as const) {
      if (!renderedPerRequest(page)) {
        throw new Error(
          `the anchor's "/" ${label}: HTTP ${page.status}, Cache-Control ` +
            `"${page.cacheControl}"${page.cached ? ", served from a cache" : ""}`,
        );
      }
    }
    if (
      !signedIn.body.includes(`Signed in as ${ANCHOR_NAME}`) ||
      anonymous.body.includes(ANCHOR_NAME) ||
      !anonymous.body.includes("Signed out")
    ) {
      throw new Error(`the anchor's "/" does not show its user only when signed in`);
    }
    return { server, cookie, cacheControl: anonymous.cacheControl };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
