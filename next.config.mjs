/** @type {import("next").NextConfig} */
const nextConfig = {
  // PGlite loads its WASM and data files relative to its own module URL; bundled, it
  // fails at build with "path argument … Received an instance of URL". ioredis and pg
  // are plain Node libraries with optional native bits, so they stay external too.
  // pino and pino-pretty: loaded from node_modules at run time, as Next 16 already does by
  // default (its server-external-packages list names both, and thread-stream), listed here so
  // the decision does not hang on that list. The logger uses no pino transports anyway
  // (lib/logger.ts): their worker threads load files by path and break once bundled.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "pg",
    "ioredis",
    "pino",
    "pino-pretty",
  ],
  // Read at run time from the project root (lib/auth/common-passwords.ts); listed so that a
  // traced deployment (Vercel, standalone output) carries it.
  outputFileTracingIncludes: { "/*": ["./lib/auth/common-passwords.txt"] },
  poweredByHeader: false,
  // `next dev` otherwise prints every server action call with its arguments, and those
  // include the passwords typed into the sign-in, sign-up and account forms: secrets must
  // not reach a terminal or a log file, even a developer's.
  logging: { serverFunctions: false },
  reactStrictMode: true,
  // public/'s files have fixed names (no content hash), so Next serves them with
  // `public, max-age=0`: every use asks again. A day keeps a phone from re-asking on every
  // page view and still lets a changed icon or robots.txt reach everyone within a day.
  async headers() {
    const aDay = [{ key: "Cache-Control", value: "public, max-age=86400" }];
    return ["/robots.txt", "/apple-touch-icon.png", "/icons/:file*"].map((source) => ({
      source,
      headers: aDay,
    }));
  },
};

export default nextConfig;
