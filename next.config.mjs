/** @type {import("next").NextConfig} */
const nextConfig = {
  // PGlite loads its WASM and data files relative to its own module URL; bundled, it
  // fails at build with "path argument … Received an instance of URL". ioredis and pg
  // are plain Node libraries with optional native bits, so they stay external too.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "pg", "ioredis"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
