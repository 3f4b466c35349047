import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// next-auth imports "next/server" without a file extension, which Node's ESM loader
// refuses; letting Vite process it resolves the import the way Next's bundler does.
const server = { deps: { inline: ["next-auth"] } };

export default defineConfig({
  resolve: { alias: { "@": root } },
  test: {
    // Integration suites start real servers and migrate fresh databases; give them room.
    // Runs once for the whole run (projects below do not inherit it), so the servers it
    // starts are shared by every project.
    globalSetup: ["tests/support/global-setup.ts"],
    // At least two files at once. Vitest's default (cores − 1) is one on a 2-core CI machine,
    // which put every unit and integration file in the same line as the e2e files; with two,
    // they run beside the e2e files, which still go one after another (fileParallelism
    // below) and spend much of their time waiting on browsers and clocks.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        resolve: { alias: { "@": root } },
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"], environment: "node", server },
      },
      {
        resolve: { alias: { "@": root } },
        test: {
          name: "integration",
          server,
          testTimeout: 30_000,
          hookTimeout: 120_000,
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        resolve: { alias: { "@": root } },
        test: {
          name: "e2e",
          hookTimeout: 600_000,
          include: ["e2e/**/*.test.ts"],
          environment: "node",
          // One production server per backend is shared by the e2e files; run them in
          // sequence so a slow 2-core machine is not asked to drive two browsers at once.
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
