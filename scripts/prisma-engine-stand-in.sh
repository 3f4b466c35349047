#!/bin/sh
# Stand-in for Prisma's native schema engine, so `prisma generate` runs offline.
# Generation needs no engine, but the CLI insists that one exists before it starts.
# Anything that really needs the engine (prisma migrate/db push) lands here and stops.
echo "Gatehouse: Prisma's native schema engine is not installed (offline install)." >&2
echo "Use 'npm run db:migrate' to apply migrations and 'npm run db:diff' to write new ones." >&2
exit 1
