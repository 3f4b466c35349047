// Runs `prisma generate` without internet access.
//
// Prisma's CLI downloads a native schema engine before any command, although `generate`
// never uses it. Pointing PRISMA_SCHEMA_ENGINE_BINARY at a stand-in skips the download,
// so air-gapped installs and CI behind a registry-only proxy can still generate the
// client. Someone who has the real engine can set PRISMA_SCHEMA_ENGINE_BINARY themselves.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const standIn = fileURLToPath(new URL("./prisma-engine-stand-in.sh", import.meta.url));
const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");

const result = spawnSync(process.execPath, [prismaCli, "generate"], {
  stdio: "inherit",
  env: {
    PRISMA_SCHEMA_ENGINE_BINARY: standIn,
    // The stand-in has no published checksum to compare against.
    PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: "1",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    ...process.env,
  },
});
process.exit(result.status ?? 1);
