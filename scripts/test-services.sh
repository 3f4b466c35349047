#!/usr/bin/env bash
# Starts a throw-away PostgreSQL and redis-server on 127.0.0.1 for tests, or stops them.
#
#   scripts/test-services.sh start DIR   prints `export TEST_DATABASE_URL=… TEST_REDIS_URL=…`
#   scripts/test-services.sh stop DIR
#
# Used by .ci/run and by the vitest global setup when the servers are installed (Debian:
# `postgresql`, `redis-server`) but no TEST_*_URL is given. Everything lives in DIR, so
# nothing touches a system-wide cluster. Ports come from PG_PORT / REDIS_PORT (defaults
# 55432 / 56379) to stay clear of servers a developer already runs.
set -euo pipefail

cmd=${1:?usage: test-services.sh start|stop DIR}
dir=${2:?usage: test-services.sh start|stop DIR}
pg_port=${PG_PORT:-55432}
redis_port=${REDIS_PORT:-56379}

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] || pg_bin=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")

# initdb refuses to run as root; run the cluster as the `postgres` user Debian creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  [ -x "$pg_bin/pg_ctl" ] || { echo "test-services: PostgreSQL not installed" >&2; exit 3; }
  command -v redis-server >/dev/null || { echo "test-services: redis-server not installed" >&2; exit 3; }
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  if [ ! -f "$dir/pg/PG_VERSION" ]; then
    as_pg "$pg_bin/initdb" -D "$dir/pg" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  # fsync off: a test cluster trades durability for speed; it is deleted afterwards.
  as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/pg.log" >&2; exit 1; }
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
  for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$redis_port" ping >/dev/null || { cat "$dir/redis.log" >&2; exit 1; }
  echo "export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/postgres"
  echo "export TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
  ;;
stop)
  if [ -f "$dir/pg/postmaster.pid" ]; then as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null || true; fi
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  ;;
*)
  echo "usage: test-services.sh start|stop DIR" >&2
  exit 2
  ;;
esac
