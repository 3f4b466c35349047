# syntax=docker/dockerfile:1
#
# Gatehouse's image: one image for the web server (the default command), the migrations and
# the worker (compose.yaml runs `node dist/db-migrate.mjs` and `node dist/worker.mjs` in it).
# docs/docker.md explains the choices below and how they are tested without Docker.

# The Node release the tests run on (CI's Node 22); Debian, like the test machines, so the
# native packages (@node-rs/argon2, sharp) are the glibc builds npm installs there too.
ARG NODE_IMAGE=node:22.23.5-bookworm-slim

# ---------------------------------------------------------------------------------------
# build: every dependency, the Prisma client, `next build`, then the runtime bundle.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1

# Dependencies first, so a source change reuses this layer. The postinstall script generates
# the Prisma client offline, from the schema: it needs these files and nothing else.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/prisma-generate.mjs scripts/prisma-engine-stand-in.sh ./scripts/
# `npm install` honours the lock file; `npm ci` would refuse a lock file made where the
# registry lacked other platforms' optional packages (docs/docker.md).
RUN npm install --no-audit --no-fund

COPY . .
# `next build` loads the settings as a production start does, so it needs values that pass
# lib/env.ts, but no backend: the embedded ones stand in. They live only for this command
# and nothing the build writes depends on them (each start brings its own); the secret is
# random, never written down.
RUN AUTH_SECRET="$(node -p 'require("node:crypto").randomBytes(32).toString("base64")')" \
    APP_URL=http://localhost:3000 \
    GATEHOUSE_ALLOW_EMBEDDED_IN_PRODUCTION=1 \
    GATEHOUSE_DATA_DIR=/tmp/gatehouse-build \
    SMTP_URL=smtp://127.0.0.1:9 \
    EMAIL_FROM="Gatehouse <no-reply@localhost>" \
    NODE_ENV=production \
    npm run build
# What the runtime stage copies: the build, production packages only, the compiled
# migrate and worker scripts (the same script e2e/container.test.ts runs and starts).
RUN node scripts/runtime-bundle.mjs /bundle

# ---------------------------------------------------------------------------------------
# runtime: Node and the bundle, nothing else (no npm scripts, no tsx, no compiler).
FROM ${NODE_IMAGE} AS runtime
# HOSTNAME: Docker sets it to the container's id, and server.mjs listens on $HOSTNAME, which
# would leave out 127.0.0.1 (the health check below) and any other address.
ENV NODE_ENV=production \
    HOSTNAME=0.0.0.0 \
    PORT=3000 \
    NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
# Owned by root: the app's user can read its code but not change it. Next writes only its
# cache at run time (image optimisation, fetch cache), so that folder alone is the user's.
COPY --from=build /bundle/ ./
RUN mkdir -p .next/cache && chown node:node .next/cache

# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 3000

# Liveness only (/api/health/live: the process answers); readiness with its dependencies is
# /api/health. No curl in the slim image: Node's own fetch does it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/api/health/live`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is the process Docker signals (no shell or npm in between). server.mjs
# handles SIGTERM itself (finishes in-flight requests, exits within 10 s), which is what a
# PID 1 needs: the kernel gives PID 1 no default action for SIGTERM. compose.yaml adds
# `init: true` as well, to reap any child process.
CMD ["node", "server.mjs"]
