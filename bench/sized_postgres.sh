#!/usr/bin/env bash
# A private PostgreSQL server sized for a registry: its shared buffers hold the identity
# tables and indexes, as a production server's memory would, and pg_prewarm is loaded.
#
#   bench/sized_postgres.sh start [PORT] [SHARED_BUFFERS] [DIR]   (5433, 8GB, /tmp/coresponder-sized-pg)
#   bench/sized_postgres.sh stop  [PORT] [SHARED_BUFFERS] [DIR]
#
# Then, for example: BENCH_ONLINE_DATABASE_URL=postgres://postgres@127.0.0.1:5433 \
#   BENCH_ONLINE_PREWARM=1 .venv/bin/python bench/bench_linkage_online.py 1000000
# Runs as the `postgres` system user (root runs it through runuser), never touching the
# machine's own server.
set -euo pipefail
action=${1:?start or stop}
port=${2:-5433}
buffers=${3:-8GB}
dir=${4:-/tmp/coresponder-sized-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

case $action in
  start)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir" && chown postgres:postgres "$dir"
      as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
    fi
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_buffers=$buffers \
       -c effective_cache_size=16GB -c maintenance_work_mem=1GB -c max_wal_size=8GB \
       -c shared_preload_libraries=pg_prewarm -c pg_prewarm.autoprewarm=off" start
    ;;
  stop)
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop
    ;;
  *) echo "usage: $0 start|stop [PORT] [SHARED_BUFFERS] [DIR]" >&2; exit 2 ;;
esac
